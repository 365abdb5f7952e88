using Rlhf.Models.Torch;
using TorchSharp;

namespace Rlhf.Models.Tests;

public sealed class TorchSharpLoadTests
{
    [Fact]
    public void TorchSharp_LoadsAndBackpropagatesAMatmul()
    {
        // Arrange: on Debian 12 this loads only if the build's torchsharp-compat step patched libLibTorchSharp.so
        TorchRuntime.EnsureLoaded();
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2], requires_grad: true);
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);

        // Act: loss = Σ (a · b), so ∂loss/∂a = 1 · bᵀ (row sums of b for each column pair)
        using var loss = torch.matmul(a, b).sum();
        loss.backward();

        // Assert
        Assert.Equal(1 * 5 + 2 * 7 + 1 * 6 + 2 * 8 + 3 * 5 + 4 * 7 + 3 * 6 + 4 * 8, loss.item<float>());
        using var grad = a.grad!;
        Assert.Equal(new float[] { 11, 15, 11, 15 }, grad.data<float>().ToArray());
    }

    [Fact]
    public void Load_CudaWithoutCuda_RefusesNamingTheMissingPackage()
    {
        TorchRuntime.EnsureLoaded();
        if (torch.cuda.is_available())
            return; // a GPU machine: nothing to refuse

        var e = Assert.Throws<ModelBackendUnavailableException>(() =>
            TorchSequenceModel.Load(TestData.Data("stories260K.bin"), new ModelLoadOptions { Device = "cuda:0" }));

        Assert.Contains("Model:Device=cuda:0", e.Message);
        Assert.Contains("libtorch-cpu-linux-x64", e.Message);
    }

    [Fact]
    public void ParseDevice_Garbage_NamesTheKey()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelLoadOptions.ParseDevice("gpu0"));
        Assert.Contains("Model:Device", e.Message);
    }
}
