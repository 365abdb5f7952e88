using Rlhf.Deploy.Tests.Infrastructure;

namespace Rlhf.Deploy.Tests;

/// <summary>
/// Client-side load balancing in the cluster: the replicated model services have headless Services, and the
/// orchestrator and the PPO Job address them as <c>dns:///…</c> so that one run spreads its calls over every replica
/// (a ClusterIP Service balances connections, and one gRPC channel is one connection).
/// </summary>
public sealed class LoadBalancingTests
{
    [KubectlTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void HeadlessServices_Overlay_BesideEachReplicatedServiceWithItsPodsAndPort(string overlay)
    {
        var rendering = Kubectl.Overlay(overlay);

        foreach (var name in Conventions.Replicated)
        {
            var service = rendering.Get("Service", name);
            var headless = rendering.Get("Service", name + "-headless");
            Assert.Equal("None", headless.Spec.Str("clusterIP"));
            Assert.NotEqual("true", headless.Spec.Str("publishNotReadyAddresses"));
            Assert.Equal(service.Spec.StringMap("selector"), headless.Spec.StringMap("selector"));
            var port = Assert.Single(headless.Spec.Seq("ports"));
            var servicePort = service.Spec.Seq("ports").Single();
            Assert.Equal(servicePort.Int("port"), port.Int("port"));
            Assert.Equal("grpc", port.Str("targetPort"));
            Assert.Equal("grpc", port.Str("appProtocol"));
        }
        var others = rendering.OfKind("Service").Where(s => s.Spec.Str("clusterIP") == "None").Select(s => s.Name).Order();
        Assert.Equal(Conventions.Replicated.Select(n => n + "-headless").Order(), others);
    }

    [KubectlFact]
    public void Replicated_Overlays_AreExactlyTheServicesThatRunSeveralReplicas()
    {
        var scaled = new[] { "dev", "prod" }.Select(Kubectl.Overlay).SelectMany(rendering =>
            rendering.OfKind("Deployment").Where(d => d.Spec.Int("replicas") > 1).Select(d => d.Name)
                .Concat(rendering.OfKind("HorizontalPodAutoscaler").Where(h => h.Spec.Int("maxReplicas") > 1).Select(h => h.Spec.Map("scaleTargetRef").Str("name")!)));

        Assert.Equal(Conventions.Replicated.Order(), scaled.Distinct().Order());
    }

    [KubectlTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void OrchestratorConfig_ServiceAddresses_ReplicatedThroughDnsTrainedThroughTheirService(string overlay)
    {
        var rendering = Kubectl.Overlay(overlay);
        var data = rendering.Get("ConfigMap", "orchestrator-config").Root.StringMap("data");

        var problems = ServiceAddresses.ModelServices.Select(name => ServiceAddresses.Problem(rendering, name, data.GetValueOrDefault($"Orchestrator__{char.ToUpperInvariant(name[0])}{name[1..]}Url")));

        Assert.Empty(problems.OfType<string>());
    }
}
