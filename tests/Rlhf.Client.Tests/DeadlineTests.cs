using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Rlhf.Client.Tests.Infrastructure;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Client.Tests;

/// <summary>The default deadline: unary calls without one get it; it reaches the server and ends the call DEADLINE_EXCEEDED.</summary>
public sealed class DeadlineTests
{
    [Fact]
    public async Task DefaultDeadlineInterceptor_CallWithoutDeadline_GetsNowPlusTheTimeout()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var seen = new List<DateTime?>();
        var invoker = new FakeCallInvoker((_, _, options) =>
        {
            seen.Add(options.Deadline);
            return new ModelInfo();
        });
        var client = new RewardService.RewardServiceClient(invoker.Intercept(new DefaultDeadlineInterceptor(TimeSpan.FromMinutes(10), time)));
        var own = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        await client.GetModelInfoAsync(new GetModelInfoRequest());
        await client.GetModelInfoAsync(new GetModelInfoRequest(), deadline: own);

        Assert.Equal([new DateTime(2026, 12, 6, 12, 10, 0, DateTimeKind.Utc), own], seen);
    }

    [Fact]
    public async Task AddRlhfClient_DefaultDeadline_ReachesTheHandlerAndEndsTheCallDeadlineExceeded()
    {
        var policy = new ScriptedPolicy { HangUntilCancelled = new TaskCompletionSource<TimeSpan?>(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var server = await LoopbackServer.StartAsync(policy);
        var services = new ServiceCollection();
        services.AddRlhfClient<PolicyService.PolicyServiceClient>(ServiceCatalog.Policy, server.Address.ToString(),
            new RlhfClientOptions { DefaultDeadline = TimeSpan.FromMilliseconds(300), RetryPatience = TimeSpan.Zero });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<PolicyService.PolicyServiceClient>();

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.GetModelInfoAsync(new GetModelInfoRequest()));
        var remaining = await policy.HangUntilCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        // the server's deadline came from the client's grpc-timeout header: at most the default deadline
        Assert.InRange(remaining!.Value, TimeSpan.Zero, TimeSpan.FromMilliseconds(300));
    }
}
