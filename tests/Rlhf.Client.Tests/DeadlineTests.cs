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
    public async Task AddRlhfClient_DefaultDeadline_ReachesTheServer()
    {
        var policy = new ScriptedPolicy();
        await using var server = await LoopbackServer.StartAsync(policy);
        await using var provider = Provider(server, TimeSpan.FromMinutes(10));
        var before = DateTime.UtcNow;

        await provider.GetRequiredService<PolicyService.PolicyServiceClient>().GetModelInfoAsync(new GetModelInfoRequest());

        // sent as grpc-timeout: the server's deadline is the client's, up to the header's resolution
        Assert.InRange(policy.LastDeadline!.Value, before + TimeSpan.FromMinutes(9), DateTime.UtcNow + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task AddRlhfClient_DefaultDeadline_EndsAHangingCallDeadlineExceeded()
    {
        var policy = new ScriptedPolicy { Hang = true };
        await using var server = await LoopbackServer.StartAsync(policy);
        await using var provider = Provider(server, TimeSpan.FromMilliseconds(300));

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await provider.GetRequiredService<PolicyService.PolicyServiceClient>().GetModelInfoAsync(new GetModelInfoRequest()));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
    }

    private static ServiceProvider Provider(LoopbackServer server, TimeSpan deadline)
    {
        var services = new ServiceCollection();
        services.AddRlhfClient<PolicyService.PolicyServiceClient>(ServiceCatalog.Policy, server.Address.ToString(),
            new RlhfClientOptions { DefaultDeadline = deadline, RetryPatience = TimeSpan.Zero });
        return services.BuildServiceProvider();
    }
}
