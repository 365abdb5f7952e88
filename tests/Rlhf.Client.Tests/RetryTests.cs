using Grpc.Core;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client.Tests.Infrastructure;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Client.Tests;

/// <summary>
/// grpc-dotnet's retries as AddRlhfClient configures them, over real HTTP/2: an idempotent RPC is retried on
/// UNAVAILABLE and on nothing else; an RPC without an idempotency option is never retried.
/// </summary>
public sealed class RetryTests : IAsyncLifetime
{
    private readonly ScriptedPolicy _policy = new();
    private LoopbackServer _server = null!;
    private ServiceProvider _provider = null!;

    private PolicyService.PolicyServiceClient Client => _provider.GetRequiredService<PolicyService.PolicyServiceClient>();

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(_policy);
        var services = new ServiceCollection();
        // 1 s of patience: up to 4 attempts, backoffs drawn below 250 ms, 500 ms, 1 s.
        services.AddRlhfClient<PolicyService.PolicyServiceClient>(ServiceCatalog.Policy, _server.Address.ToString(),
            new RlhfClientOptions { RetryPatience = TimeSpan.FromSeconds(1), CircuitBreaker = false });
        _provider = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task IdempotentRpc_UnavailableTwice_RetriedUntilItAnswers()
    {
        _policy.FailNext(nameof(ScriptedPolicy.GetModelInfo), StatusCode.Unavailable, StatusCode.Unavailable);

        var info = await Client.GetModelInfoAsync(new GetModelInfoRequest());

        Assert.Equal("rlhf.v1.PolicyService", info.Service);
        Assert.Equal(3, _policy.Attempts(nameof(ScriptedPolicy.GetModelInfo)));
    }

    [Fact]
    public async Task IdempotentRpc_UnavailableLongerThanThePatience_FailsUnavailableAfterEveryAttempt()
    {
        _policy.FailNext(nameof(ScriptedPolicy.GetModelInfo), Enumerable.Repeat(StatusCode.Unavailable, 10).ToArray());

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetModelInfoAsync(new GetModelInfoRequest()));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(RetryPolicies.Attempts(TimeSpan.FromSeconds(1)), _policy.Attempts(nameof(ScriptedPolicy.GetModelInfo)));
    }

    [Theory]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.DeadlineExceeded)]
    public async Task IdempotentRpc_OtherStatus_NotRetried(StatusCode code)
    {
        _policy.FailNext(nameof(ScriptedPolicy.GetModelInfo), code);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetModelInfoAsync(new GetModelInfoRequest()));

        Assert.Equal(code, e.StatusCode);
        Assert.Equal(1, _policy.Attempts(nameof(ScriptedPolicy.GetModelInfo)));
    }

    [Fact]
    public async Task NonIdempotentRpc_Unavailable_NotRetried()
    {
        _policy.FailNext(nameof(ScriptedPolicy.ComputeLogProbs), StatusCode.Unavailable);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.ComputeLogProbsAsync(new ComputeLogProbsRequest()));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.Equal(1, _policy.Attempts(nameof(ScriptedPolicy.ComputeLogProbs)));
    }

    [Fact]
    public void ServiceConfig_Retries_JitteredExponentialBackoffOnUnavailableOnly()
    {
        var config = RetryPolicies.ServiceConfig(ServiceCatalog.Policy.Descriptor, TimeSpan.FromSeconds(30), roundRobin: false);

        var retry = Assert.Single(config.MethodConfigs).RetryPolicy!;
        // grpc-dotnet waits a uniformly random time up to the current backoff (the gRPC retry design, A6), which
        // starts at InitialBackoff and grows by BackoffMultiplier up to MaxBackoff.
        Assert.Equal(TimeSpan.FromMilliseconds(250), retry.InitialBackoff);
        Assert.Equal(2, retry.BackoffMultiplier);
        Assert.Equal(TimeSpan.FromSeconds(4), retry.MaxBackoff);
        Assert.Equal([StatusCode.Unavailable], retry.RetryableStatusCodes);
        Assert.Equal(RetryPolicies.Attempts(TimeSpan.FromSeconds(30)), retry.MaxAttempts);
        Assert.Empty(config.LoadBalancingConfigs);
    }

    [Fact]
    public void ServiceConfig_ZeroPatience_NoRetryPolicy()
    {
        var config = RetryPolicies.ServiceConfig(ServiceCatalog.Reward.Descriptor, TimeSpan.Zero, roundRobin: true);

        Assert.Empty(config.MethodConfigs);
        Assert.IsType<RoundRobinConfig>(Assert.Single(config.LoadBalancingConfigs));
    }
}
