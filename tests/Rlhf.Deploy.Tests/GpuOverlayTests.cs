using Rlhf.Deploy.Tests.Infrastructure;

namespace Rlhf.Deploy.Tests;

/// <summary>
/// overlays/gpu (issue 13): prod with the four model services on the torch backend on CUDA, one GPU each, from the
/// images built with <c>-p:TorchBackend=cuda</c>; the orchestrator stays as in prod.
/// </summary>
public sealed class GpuOverlayTests
{
    private static readonly string[] ModelServices = ["policy", "reference", "critic", "reward"];

    [KubectlFact]
    public void Render_Gpu_ModelServicesOnTorchCudaWithOneGpuEachFromCudaImages()
    {
        var gpu = Kubectl.Overlay("gpu");
        var prod = Kubectl.Overlay("prod");

        Assert.Equal(prod.All.Select(m => m.ToString()).Order(), gpu.All.Select(m => m.ToString()).Order());
        foreach (var name in ModelServices)
        {
            var data = gpu.Get("ConfigMap", name + "-config").Root.StringMap("data");
            Assert.Equal("torch", data.GetValueOrDefault("Model__Backend"));
            Assert.Equal("cuda", data.GetValueOrDefault("Model__Device"));
            var container = gpu.Get("Deployment", name).Container;
            Assert.Equal("1", container.Map("resources").Map("limits").Str("nvidia.com/gpu"));
            Assert.EndsWith($"/rlhf/{name}:0.1.0-cuda", container.Str("image"), StringComparison.Ordinal);
            Assert.Contains(gpu.Get("Deployment", name).PodSpec.Seq("tolerations"), t => t.Str("key") == "nvidia.com/gpu");
        }
        var orchestrator = gpu.Get("Deployment", "orchestrator").Container;
        Assert.Null(orchestrator.Map("resources").Map("limits").Str("nvidia.com/gpu"));
        Assert.Equal(prod.Get("Deployment", "orchestrator").Container.Str("image"), orchestrator.Str("image"));
        Assert.False(gpu.Get("ConfigMap", "orchestrator-config").Root.StringMap("data").ContainsKey("Model__Device"));
    }

    [KubectlTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Render_CpuOverlays_RequestNoGpuAndLeaveTheBackendDefault(string overlay)
    {
        var rendering = Kubectl.Overlay(overlay);

        foreach (var name in ModelServices)
        {
            Assert.False(rendering.Get("ConfigMap", name + "-config").Root.StringMap("data").ContainsKey("Model__Backend"));
            Assert.Null(rendering.Get("Deployment", name).Container.Map("resources").Map("limits").Str("nvidia.com/gpu"));
        }
    }
}
