using Grpc.Health.V1;
using Grpc.Core;
using Rlhf.Contracts.V1;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

/// <summary>A reward service with authentication on and three keys from configuration: score only, train only, both.</summary>
public sealed class AuthFixture : IAsyncLifetime
{
    public const string ScoreKey = "score-secret-1";
    public const string TrainKey = "train-secret-1";
    public const string BothKey = "both-secret-1";

    internal ServiceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ServiceHost.StartAsync(new Dictionary<string, string?>
    {
        ["Auth:Enabled"] = "true",
        ["Auth:Keys:0:Name"] = "team-score",
        ["Auth:Keys:0:Key"] = ScoreKey,
        ["Auth:Keys:0:Scopes:0"] = "score",
        ["Auth:Keys:1:Name"] = "trainer",
        ["Auth:Keys:1:Key"] = TrainKey,
        ["Auth:Keys:1:Scopes:0"] = "train",
        ["Auth:Keys:2:Name"] = "admin",
        ["Auth:Keys:2:Key"] = BothKey,
        ["Auth:Keys:2:Scopes:0"] = "score",
        ["Auth:Keys:2:Scopes:1"] = "train",
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class AuthTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    [Fact]
    public async Task ScoreResponses_NoKey_Unauthenticated()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Host.Reward().ScoreResponsesAsync(ServiceHost.Texts(1)));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("authorization: Bearer", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreResponses_UnknownKey_Unauthenticated()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Host.Reward("not-a-key").ScoreResponsesAsync(ServiceHost.Texts(1)));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
    }

    [Fact]
    public async Task ScoreResponses_TrainOnlyKey_PermissionDenied()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Host.Reward(AuthFixture.TrainKey).ScoreResponsesAsync(ServiceHost.Texts(1)));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("'score'", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadCheckpoint_ScoreKey_PermissionDenied()
    {
        var request = new LoadCheckpointRequest { Path = TestData.RewardCheckpoint };
        var e = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Host.Reward(AuthFixture.ScoreKey).LoadCheckpointAsync(request));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Contains("'train'", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreResponses_ScoreKey_OneScorePerSequence()
    {
        var response = await fixture.Host.Reward(AuthFixture.ScoreKey).ScoreResponsesAsync(ServiceHost.Texts(3));
        Assert.Equal(3, response.Scores.Count);
        Assert.NotEqual(response.Scores[0], response.Scores[1]);
    }

    [Fact]
    public async Task LoadCheckpoint_TrainKey_Reloads()
    {
        var response = await fixture.Host.Reward(AuthFixture.BothKey).LoadCheckpointAsync(new LoadCheckpointRequest { Path = TestData.RewardCheckpoint });
        Assert.StartsWith("reward-a@", response.ModelInfo.ModelVersion.CheckpointId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthCheck_NoKey_Serving()
    {
        var health = new Health.HealthClient(fixture.Host.Channel);
        var response = await health.CheckAsync(new HealthCheckRequest { Service = "rlhf.v1.RewardService" });
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }
}
