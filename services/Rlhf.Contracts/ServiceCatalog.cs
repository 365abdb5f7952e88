using Google.Protobuf.Reflection;
using Rlhf.Contracts.V1;

namespace Rlhf.Contracts;

/// <summary>One service of the suite: its short name, gRPC name, host project and default port.</summary>
/// <param name="Name">Short name used in configs, logs and <c>rlhf up</c> (<c>policy</c>, <c>reference</c>, …).</param>
/// <param name="Descriptor">The generated service descriptor.</param>
/// <param name="HostProject">The host project (and assembly) that serves it, e.g. <c>Rlhf.PolicyService</c>.</param>
/// <param name="DefaultPort">Port a host listens on when no URL is configured.</param>
public sealed record ServiceEntry(string Name, ServiceDescriptor Descriptor, string HostProject, int DefaultPort)
{
    /// <summary>Fully-qualified gRPC service name, e.g. <c>rlhf.v1.PolicyService</c>.</summary>
    public string FullName => Descriptor.FullName;
}

/// <summary>
/// The suite's services in one table: the port table, the host projects and the gRPC names (docs/CONVENTIONS.md;
/// deploy/k8s uses the same ports). Every other place reads them from here.
/// </summary>
public static class ServiceCatalog
{
    /// <summary>rlhf.v1.PolicyService on 50051.</summary>
    public static readonly ServiceEntry Policy = new("policy", PolicyServiceReflection.Descriptor.Services[0], "Rlhf.PolicyService", 50051);

    /// <summary>rlhf.v1.ReferenceService on 50052.</summary>
    public static readonly ServiceEntry Reference = new("reference", ReferenceServiceReflection.Descriptor.Services[0], "Rlhf.ReferenceService", 50052);

    /// <summary>rlhf.v1.CriticService on 50053.</summary>
    public static readonly ServiceEntry Critic = new("critic", CriticServiceReflection.Descriptor.Services[0], "Rlhf.CriticService", 50053);

    /// <summary>rlhf.v1.RewardService on 50054.</summary>
    public static readonly ServiceEntry Reward = new("reward", RewardServiceReflection.Descriptor.Services[0], "Rlhf.RewardService", 50054);

    /// <summary>rlhf.v1.OrchestratorService on 50055.</summary>
    public static readonly ServiceEntry Orchestrator = new("orchestrator", OrchestratorServiceReflection.Descriptor.Services[0], "Rlhf.OrchestratorService", 50055);

    /// <summary>All five, in start order (model services first).</summary>
    public static readonly IReadOnlyList<ServiceEntry> All = [Policy, Reference, Critic, Reward, Orchestrator];

    /// <summary>The entry named <paramref name="name"/> (short name), or null.</summary>
    public static ServiceEntry? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
