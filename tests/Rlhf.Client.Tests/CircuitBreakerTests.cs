using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rlhf.Client.Tests.Infrastructure;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Client.Tests;

/// <summary>
/// The gRPC-level circuit breaker of AddRlhfClient over real HTTP/2, on a fake clock: UNAVAILABLE answers (HTTP 200 with
/// grpc-status 14, which an HTTP-level breaker never sees) open it; while open, calls fail fast without reaching the
/// server; after the break one trial call closes it again.
/// </summary>
public sealed class CircuitBreakerTests : IAsyncLifetime
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(5);

    private readonly ScriptedPolicy _policy = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private LoopbackServer _server = null!;
    private ServiceProvider _provider = null!;

    private PolicyService.PolicyServiceClient Client => _provider.GetRequiredService<PolicyService.PolicyServiceClient>();

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync(_policy);
        var services = new ServiceCollection();
        services.AddRlhfClient<PolicyService.PolicyServiceClient>(ServiceCatalog.Policy, _server.Address.ToString(), new RlhfClientOptions
        {
            RetryPatience = TimeSpan.Zero,
            DefaultDeadline = null,
            CircuitBreakDuration = Break,
            TimeProvider = _time,
        });
        _provider = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Unavailable_MinimumThroughputCalls_OpensCircuitThatFailsFastUntilTheBreakEnds()
    {
        const string method = nameof(ScriptedPolicy.GetModelInfo);
        var failures = CircuitBreakerInterceptor.MinimumThroughput;
        _policy.FailNext(method, Enumerable.Repeat(StatusCode.Unavailable, failures).ToArray());
        for (var i = 0; i < failures; i++)
            Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(async () => await Client.GetModelInfoAsync(new GetModelInfoRequest()))).StatusCode);

        var open = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetModelInfoAsync(new GetModelInfoRequest()));
        var openOther = await Assert.ThrowsAsync<RpcException>(async () => await Client.ComputeLogProbsAsync(new ComputeLogProbsRequest()));
        Assert.Equal(failures, _policy.Attempts(method));
        Assert.Equal(0, _policy.Attempts(nameof(ScriptedPolicy.ComputeLogProbs)));
        _time.Advance(Break + TimeSpan.FromMilliseconds(1));
        var trial = await Client.GetModelInfoAsync(new GetModelInfoRequest());
        var after = await Client.ComputeLogProbsAsync(new ComputeLogProbsRequest());

        Assert.Equal(StatusCode.Unavailable, open.StatusCode);
        Assert.Equal("rlhf.v1.PolicyService is unavailable: most recent calls failed with UNAVAILABLE, so calls fail fast for 5 s (circuit breaker)", open.Status.Detail);
        Assert.Equal(StatusCode.Unavailable, openOther.StatusCode);
        Assert.Equal("rlhf.v1.PolicyService", trial.Service);
        Assert.Equal("f", after.ForwardId);
        Assert.Equal(failures + 1, _policy.Attempts(method));
    }

    [Fact]
    public async Task OtherStatuses_ManyCalls_NeverOpenTheCircuit()
    {
        const string method = nameof(ScriptedPolicy.GetModelInfo);
        var codes = new[] { StatusCode.InvalidArgument, StatusCode.Internal, StatusCode.NotFound, StatusCode.ResourceExhausted, StatusCode.FailedPrecondition };
        _policy.FailNext(method, [.. codes, .. codes]);

        for (var i = 0; i < 2 * codes.Length; i++)
            Assert.Equal(codes[i % codes.Length], (await Assert.ThrowsAsync<RpcException>(async () => await Client.GetModelInfoAsync(new GetModelInfoRequest()))).StatusCode);
        var info = await Client.GetModelInfoAsync(new GetModelInfoRequest());

        Assert.Equal("rlhf.v1.PolicyService", info.Service);
        Assert.Equal(2 * codes.Length + 1, _policy.Attempts(method));
    }

    [Fact]
    public async Task Closed_SuccessfulCall_ExposesTheInnerCallsStatusAndHeaders()
    {
        using var call = Client.GetModelInfoAsync(new GetModelInfoRequest());
        await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.NotNull(headers);
        Assert.NotNull(call.GetTrailers());
    }
}
