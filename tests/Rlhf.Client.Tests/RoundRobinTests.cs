using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client.Tests.Infrastructure;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Client.Tests;

/// <summary>
/// Client-side load balancing: a <c>dns:///</c> address that resolves to three replicas (as a Kubernetes headless
/// Service does) gets calls spread round robin over all three; an <c>http://</c> address keeps one connection.
/// </summary>
public sealed class RoundRobinTests
{
    private const string HeadlessName = "reward-headless";

    [Fact]
    public async Task DnsAddress_ThreeReplicas_CallsRotateOverEveryReplica()
    {
        var replicas = new[] { new Replica("a"), new Replica("b"), new Replica("c") };
        var servers = new List<LoopbackServer>();
        foreach (var replica in replicas)
            servers.Add(await LoopbackServer.StartAsync(replica));
        try
        {
            var services = new ServiceCollection();
            // Registered before AddRlhfClient, so grpc-dotnet uses it for dns: (the first factory of a scheme wins):
            // the name resolves to the three loopback servers.
            services.AddSingleton<ResolverFactory>(new ReplicasResolverFactory(HeadlessName, [.. servers.Select(s => new BalancerAddress(s.Address.Host, s.Address.Port))]));
            services.AddRlhfClient<RewardService.RewardServiceClient>(ServiceCatalog.Reward, $"dns:///{HeadlessName}:50054", new RlhfClientOptions { CircuitBreaker = false, ApiKey = "rr-key" });
            await using var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<RewardService.RewardServiceClient>();

            // Until every subchannel is connected the picker only has the ready ones; with pick_first all stay on one.
            for (var i = 0; i < 200 && replicas.Any(r => r.Calls == 0); i++)
                await client.GetModelInfoAsync(new GetModelInfoRequest());
            Assert.All(replicas, r => Assert.True(r.Calls > 0, $"replica {r.Name} got no call"));
            var before = replicas.Select(r => r.Calls).ToArray();
            var served = new List<string>();
            for (var i = 0; i < 30; i++)
                served.Add((await client.GetModelInfoAsync(new GetModelInfoRequest())).ModelVersion.InstanceId);

            Assert.Equal([10, 10, 10], replicas.Select((r, i) => r.Calls - before[i]));
            Assert.Equal(served.Take(3).Order(), served.Skip(3).Take(3).Order());
            // the bearer key travels on the dns:/// channel too (call credentials over cleartext h2c)
            Assert.All(replicas, r => Assert.Equal(["Bearer rr-key"], r.Authorizations.Distinct()));
        }
        finally
        {
            foreach (var server in servers)
                await server.DisposeAsync();
        }
    }

    /// <summary>A reward replica that names itself in ModelInfo.model_version.instance_id and counts its calls.</summary>
    private sealed class Replica(string name) : RewardService.RewardServiceBase
    {
        private int _calls;

        public string Name => name;

        public int Calls => Volatile.Read(ref _calls);

        public System.Collections.Concurrent.ConcurrentBag<string> Authorizations { get; } = [];

        public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref _calls);
            Authorizations.Add(context.RequestHeaders.GetValue("authorization") ?? "");
            return Task.FromResult(new ModelInfo { Service = "rlhf.v1.RewardService", ModelVersion = new ModelVersion { InstanceId = name } });
        }
    }

    /// <summary>The <c>dns</c> scheme, resolving <paramref name="name"/> to <paramref name="addresses"/> (grpc-dotnet's static resolver).</summary>
    private sealed class ReplicasResolverFactory(string name, IReadOnlyList<BalancerAddress> addresses) : ResolverFactory
    {
        private readonly StaticResolverFactory _inner = new(uri =>
            uri.AbsolutePath.TrimStart('/').StartsWith(name + ":", StringComparison.Ordinal) ? addresses : throw new InvalidOperationException($"unknown name {uri}"));

        public override string Name => "dns";

        public override Resolver Create(ResolverOptions options) => _inner.Create(options);
    }
}
