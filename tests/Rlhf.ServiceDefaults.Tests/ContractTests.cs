using System.Collections.Concurrent;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client;
using Rlhf.Contracts;
using Rlhf.ServiceDefaults.Authentication;
using Rlhf.ServiceDefaults.Calls;
using Rlhf.ServiceDefaults.Tests.Infrastructure;

namespace Rlhf.ServiceDefaults.Tests;

/// <summary>
/// The contract (protos/rlhf/v1, compiled into Rlhf.Contracts) against the five hosts: every RPC of every rlhf.v1
/// service is bound by its host with the right call type and scope, and the clients retry exactly the RPCs whose
/// proto declares <c>idempotency_level</c> NO_SIDE_EFFECTS or IDEMPOTENT.
/// </summary>
public sealed class ContractTests
{
    public static TheoryData<string> Services => [.. ServiceCatalog.All.Select(s => s.Name)];

    /// <summary>Every file of the contract declares exactly one service, and the catalog lists each of them once.</summary>
    [Fact]
    public void Catalog_ListsEveryServiceOfTheContract()
    {
        var files = new[]
        {
            Rlhf.Contracts.V1.PolicyServiceReflection.Descriptor, Rlhf.Contracts.V1.ReferenceServiceReflection.Descriptor,
            Rlhf.Contracts.V1.CriticServiceReflection.Descriptor, Rlhf.Contracts.V1.RewardServiceReflection.Descriptor,
            Rlhf.Contracts.V1.OrchestratorServiceReflection.Descriptor,
        };
        var declared = files.Concat(files.SelectMany(f => f.Dependencies)).Distinct()
            .Where(f => f.Package == "rlhf.v1").SelectMany(f => f.Services).Select(s => s.FullName).Order();
        Assert.Equal(declared, ServiceCatalog.All.Select(s => s.FullName).Order());
    }

    [DataTheory]
    [MemberData(nameof(Services))]
    public async Task EveryRpc_IsBoundByItsHostWithItsCallType(string name)
    {
        var service = ServiceCatalog.Find(name)!;
        await using var app = RunningService.Build(service);

        var bound = GrpcEndpoints(app).Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method)
            .Where(m => m.ServiceName.StartsWith("rlhf.", StringComparison.Ordinal))
            .ToDictionary(m => m.Name, m => m.Type);

        var declared = service.Descriptor.Methods.ToDictionary(m => m.Name, CallType);
        Assert.Equal(declared.OrderBy(kv => kv.Key), bound.OrderBy(kv => kv.Key));
        Assert.All(GrpcEndpoints(app).Select(e => e.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method.ServiceName).Where(s => s.StartsWith("rlhf.", StringComparison.Ordinal)),
            s => Assert.Equal(service.FullName, s));
    }

    /// <summary>
    /// The scope of every RPC: ScoreResponses and the reward's GetModelInfo need <c>score</c>, the other GetModelInfo
    /// any valid key, everything else (generation, forwards, Backward, OptimizerStep, leases, checkpoints, runs)
    /// <c>train</c>; health and reflection need nothing.
    /// </summary>
    [DataTheory]
    [MemberData(nameof(Services))]
    public async Task EveryRpc_RequiresItsScope_HealthAndReflectionNone(string name)
    {
        var service = ServiceCatalog.Find(name)!;
        await using var app = RunningService.Build(service);

        foreach (var endpoint in GrpcEndpoints(app))
        {
            var method = endpoint.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method;
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToArray();
            if (!method.ServiceName.StartsWith("rlhf.", StringComparison.Ordinal))
            {
                Assert.True(policies.Length == 0, $"{method.FullName} requires {string.Join(", ", policies)}");
                continue;
            }
            var expected = (service.Name, method.Name) switch
            {
                ("reward", "ScoreResponses" or "GetModelInfo") => Scopes.Score,
                (_, "GetModelInfo") => Scopes.AnyKey,
                _ => Scopes.Train,
            };
            Assert.True(policies.SequenceEqual([expected]), $"{method.FullName}: expected [{expected}], found [{string.Join(", ", policies)}]");
        }
        Assert.Contains(GrpcEndpoints(app), e => e.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method.ServiceName == "grpc.health.v1.Health");
        Assert.Contains(GrpcEndpoints(app), e => e.Metadata.GetMetadata<GrpcMethodMetadata>()!.Method.ServiceName.StartsWith("grpc.reflection.", StringComparison.Ordinal));
    }

    /// <summary>
    /// Over real HTTP/2: every RPC of the service answers UNAVAILABLE, and a client registered as the suite registers
    /// them (<see cref="RlhfClientServiceCollectionExtensions.AddRlhfClient{TClient}"/>, one retry allowed) calls each
    /// once. The server counts the attempts: two for each RPC whose proto declares NO_SIDE_EFFECTS or IDEMPOTENT, one
    /// for every other.
    /// </summary>
    [DataTheory]
    [MemberData(nameof(Services))]
    public async Task Client_RetriesExactlyTheIdempotentRpcs(string name)
    {
        var service = ServiceCatalog.Find(name)!;
        var attempts = new AttemptCounter();
        await using var host = await RunningService.StartAsync(service, configure: builder =>
        {
            builder.Services.AddSingleton(attempts);
            builder.Services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<AttemptCounter>());
        }, waitForModel: false);
        var services = new ServiceCollection();
        services.AddRlhfClient<RawClient>(service, host.Address.ToString(), new RlhfClientOptions
        {
            RetryPatience = TimeSpan.FromMilliseconds(1), // the first backoff covers it: one retry
            CircuitBreaker = false,
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<RawClient>();

        foreach (var method in service.Descriptor.Methods)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(service, method));
            Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        }

        foreach (var method in service.Descriptor.Methods)
        {
            var level = method.GetOptions()?.IdempotencyLevel ?? MethodOptions.Types.IdempotencyLevel.IdempotencyUnknown;
            var idempotent = level is MethodOptions.Types.IdempotencyLevel.NoSideEffects or MethodOptions.Types.IdempotencyLevel.Idempotent;
            Assert.True(attempts.Of($"/{service.FullName}/{method.Name}") == (idempotent ? 2 : 1),
                $"{method.Name} ({level}): {attempts.Of($"/{service.FullName}/{method.Name}")} attempts");
            Assert.Equal(idempotent, RetryPolicies.IsRetried(method));
        }
    }

    /// <summary>The training RPCs are never retried (a duplicate Backward or OptimizerStep would train twice).</summary>
    [Fact]
    public void TrainingRpcs_AreNotIdempotent()
    {
        foreach (var service in new[] { ServiceCatalog.Policy, ServiceCatalog.Critic })
        {
            foreach (var name in new[] { "Backward", "OptimizerStep", "ReleaseTrainingLease" })
                Assert.False(RetryPolicies.IsRetried(service.Descriptor.FindMethodByName(name)), $"{service.FullName}/{name}");
        }
        Assert.False(RetryPolicies.IsRetried(ServiceCatalog.Orchestrator.Descriptor.FindMethodByName("StartRun")));
    }

    private static IEnumerable<Endpoint> GrpcEndpoints(WebApplication app) =>
        ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).Where(e => e.Metadata.GetMetadata<GrpcMethodMetadata>() is not null);

    private static MethodType CallType(MethodDescriptor method) => (method.IsClientStreaming, method.IsServerStreaming) switch
    {
        (false, false) => MethodType.Unary,
        (false, true) => MethodType.ServerStreaming,
        (true, false) => MethodType.ClientStreaming,
        _ => MethodType.DuplexStreaming,
    };

    /// <summary>Fails every call with UNAVAILABLE, counting the attempts per method. Outermost, so nothing else runs.</summary>
    private sealed class AttemptCounter : ServerCallInterceptor
    {
        private readonly ConcurrentDictionary<string, int> _attempts = new();

        public int Of(string method) => _attempts.GetValueOrDefault(method);

        protected override Task InvokeAsync(ServerCallContext context, Func<Task> next)
        {
            _attempts.AddOrUpdate(context.Method, 1, (_, n) => n + 1);
            throw new RpcException(new Status(StatusCode.Unavailable, "unavailable on purpose"));
        }
    }

    /// <summary>A client of any method, sending and receiving raw message bytes (an empty message: all defaults).</summary>
    private sealed class RawClient : ClientBase<RawClient>
    {
        private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

        public RawClient(CallInvoker invoker) : base(invoker)
        {
        }

        private RawClient(ClientBaseConfiguration configuration) : base(configuration)
        {
        }

        public async Task CallAsync(ServiceEntry service, MethodDescriptor descriptor)
        {
            var method = new Method<byte[], byte[]>(CallType(descriptor), service.FullName, descriptor.Name, Bytes, Bytes);
            if (method.Type == MethodType.Unary)
            {
                await CallInvoker.AsyncUnaryCall(method, null, default, []);
                return;
            }
            using var call = CallInvoker.AsyncServerStreamingCall(method, null, default, []);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }

        protected override RawClient NewInstance(ClientBaseConfiguration configuration) => new(configuration);
    }
}
