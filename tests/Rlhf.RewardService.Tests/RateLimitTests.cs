using Rlhf.Contracts.V1;
using Rlhf.ServiceDefaults.RateLimiting;
using System.Globalization;
using Grpc.Core;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

public sealed class RateLimitTests
{
    [Fact]
    public async Task ScoreResponses_OverKeyRateLimit_ResourceExhaustedThenRecovers()
    {
        var file = Path.Combine(TestData.ScratchDir, "keys-" + Guid.NewGuid().ToString("N")[..6] + ".json");
        await File.WriteAllTextAsync(file, """
            {"keys": [
              {"name": "slow-team", "key": "slow-key", "scopes": ["score"], "rate_per_second": 1},
              {"name": "fast-team", "key": "fast-key", "scopes": ["score"]}
            ]}
            """);
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "true",
            ["Auth:KeysFile"] = file,
            ["RateLimit:Enabled"] = "true",
            ["RateLimit:PermitsPerSecond"] = "1000",
            ["RateLimit:Burst"] = "1000",
        });
        var slow = host.Reward("slow-key");
        var fast = host.Reward("fast-key");

        // slow-team: 1 call/s with a bucket of 1 (the burst scales with the rate); 6 calls at once exceed it.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Outcome(() => slow.GetModelInfoAsync(new GetModelInfoRequest()).ResponseAsync)));
        var refused = outcomes.OfType<RpcException>().ToList();
        var fastOutcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Outcome(() => fast.GetModelInfoAsync(new GetModelInfoRequest()).ResponseAsync)));

        Assert.NotEmpty(refused);
        Assert.Contains(outcomes, o => o is null);
        Assert.All(refused, e => Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode));
        Assert.Contains("retry after", refused[0].Status.Detail, StringComparison.Ordinal);
        var retryAfterMs = refused.Max(e => long.Parse(e.Trailers.GetValue(RateLimitInterceptor.RetryAfterTrailer)!, CultureInfo.InvariantCulture));
        Assert.InRange(retryAfterMs, 1, 1000);
        Assert.All(fastOutcomes, Assert.Null); // another key has its own bucket

        await Task.Delay(TimeSpan.FromMilliseconds(retryAfterMs + 200));
        var recovered = await slow.ScoreResponsesAsync(ServiceHost.Texts(1));
        Assert.Single(recovered.Scores);
    }

    [Fact]
    public async Task GetModelInfo_RateLimitOff_NeverRefused()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["RateLimit:Enabled"] = "false", ["RateLimit:PermitsPerSecond"] = "1" });
        var client = host.Reward();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Outcome(() => client.GetModelInfoAsync(new GetModelInfoRequest()).ResponseAsync)));
        Assert.All(outcomes, Assert.Null);
    }

    [Fact]
    public async Task GetModelInfo_AnonymousCallersOverLimit_ResourceExhaustedByPeer()
    {
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["RateLimit:Enabled"] = "true",
            ["RateLimit:PermitsPerSecond"] = "0.5",
            ["RateLimit:Burst"] = "2",
        });
        var client = host.Reward();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Outcome(() => client.GetModelInfoAsync(new GetModelInfoRequest()).ResponseAsync)));
        var refused = outcomes.OfType<RpcException>().ToList();
        Assert.Equal(2, outcomes.Count(o => o is null));
        Assert.All(refused, e => Assert.Contains("peer ipv4:127.0.0.1", e.Status.Detail, StringComparison.Ordinal));
    }

    /// <summary>Null when the call succeeds, else its RpcException.</summary>
    private static async Task<RpcException?> Outcome<T>(Func<Task<T>> call)
    {
        try
        {
            await call();
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }
}
