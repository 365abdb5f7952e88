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

    [Fact]
    public void CompatibilityStep_PatchesTheBuildOutputOnlyAndOnlyWhereNeeded()
    {
        // Arrange: the loaded copy (build output) and the NuGet cache's, found as TorchSharp itself probes it
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var cache = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var libstdcxx = new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        if (!OperatingSystem.IsLinux() || libstdcxx is null || !File.Exists(output))
            return; // not a Linux x64 build: nothing is patched

        // Act
        var hostHasVersion = Contains(File.ReadAllBytes(libstdcxx), "GLIBCXX_3.4.32");
        var outputPatched = Contains(File.ReadAllBytes(output), "libglibcxx_compat.so");

        // Assert
        Assert.Equal(!hostHasVersion, outputPatched);
        Assert.Equal(outputPatched, File.Exists(Path.Combine(Path.GetDirectoryName(output)!, "libglibcxx_compat.so")));
        if (File.Exists(cache))
            Assert.False(Contains(File.ReadAllBytes(cache), "libglibcxx_compat.so"), $"the NuGet cache's {cache} was modified");
    }

    private static bool Contains(byte[] data, string text) =>
        data.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(text)) >= 0;
}
