using Grpc.Core;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

public sealed class KeysFileTests
{
    [Fact]
    public async Task ScoreResponses_KeysFromMountedFile_ScoreKeyAcceptedTrainKeyDenied()
    {
        var file = Path.Combine(TestData.ScratchDir, "keys-" + Guid.NewGuid().ToString("N")[..6] + ".json");
        await File.WriteAllTextAsync(file, """
            {"keys": [
              {"name": "team-a", "key": "file-score-key", "scopes": ["score"]},
              {"name": "trainer", "key": "file-train-key", "scopes": ["train"]}
            ]}
            """);
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Auth:Enabled"] = "true", ["Auth:KeysFile"] = file });

        var scored = await host.Reward("file-score-key").ScoreResponsesAsync(ServiceHost.Texts(2));
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await host.Reward("file-train-key").ScoreResponsesAsync(ServiceHost.Texts(1)));
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await host.Reward("score-secret-1").ScoreResponsesAsync(ServiceHost.Texts(1)));

        Assert.Equal(2, scored.Scores.Count);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
    }
}
