using Rlhf.Models;
using Rlhf.ModelServices;
using Rlhf.Engine.IO;
using Grpc.Core;
using Rlhf.Contracts.V1;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

public sealed class HotReloadTests
{
    [Fact]
    public async Task LoadCheckpoint_DuringConcurrentScoring_DropsNoCallAndChangesVersion()
    {
        var other = TestData.CreateRewardCheckpoint(Path.Combine(TestData.ScratchDir, "reward-b-" + Guid.NewGuid().ToString("N")[..6]), headSeed: 2);
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Reward:MaxWaitMs"] = "2" });
        var client = host.Reward();
        var before = (await client.GetModelInfoAsync(new GetModelInfoRequest())).ModelVersion.CheckpointId;

        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scoring = Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        async Task<List<string>> Worker(int i)
        {
            var versions = new List<string>();
            var afterReload = 0;
            try
            {
                while (afterReload < 3)
                {
                    var response = await client.ScoreResponsesAsync(ServiceHost.Texts(1 + (i % 3)));
                    versions.Add(response.ModelVersion.CheckpointId);
                    scoring[i].TrySetResult();
                    if (reloaded.Task.IsCompleted)
                        afterReload++;
                }
            }
            catch (Exception e)
            {
                scoring[i].TrySetException(e);
                throw;
            }
            return versions;
        }
        var workers = Enumerable.Range(0, 4).Select(Worker).ToList();
        await Task.WhenAll(scoring.Select(s => s.Task)); // every worker has scored on the old weights
        await Task.Delay(300);
        var load = await client.LoadCheckpointAsync(new LoadCheckpointRequest { Path = other });
        reloaded.SetResult();
        var seen = await Task.WhenAll(workers); // any failed call would throw here

        var after = load.ModelInfo.ModelVersion.CheckpointId;
        Assert.NotEqual(before, after);
        Assert.StartsWith(Path.GetFileName(other) + "@", after, StringComparison.Ordinal);
        Assert.All(seen, versions => Assert.Equal(after, versions[^1]));
        Assert.All(seen.SelectMany(v => v), v => Assert.Contains(v, new[] { before, after }));
        // Each worker saw the old weights first, then the new ones, and never the old ones again once it had seen the new.
        Assert.All(seen, versions =>
        {
            Assert.Equal(before, versions[0]);
            var switched = versions.IndexOf(after);
            Assert.All(versions.Skip(switched), v => Assert.Equal(after, v));
        });
        Assert.Equal(after, (await client.GetModelInfoAsync(new GetModelInfoRequest())).ModelVersion.CheckpointId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task LoadCheckpoint_EmptyPath_InvalidArgumentAndScoringUnchanged(string path)
    {
        var dir = TestData.CreateRewardCheckpoint(Path.Combine(TestData.ScratchDir, "calibrated-" + Guid.NewGuid().ToString("N")[..6]), headSeed: 1);
        File.WriteAllText(Path.Combine(dir, RewardCalibration.FileName), new RewardCalibration(Mean: 0.75, Std: 2.5, Count: 100, ReferenceSet: "test").ToJson());
        await using var host = await ServiceHost.StartAsync(checkpoint: dir);
        var client = host.Reward();
        var before = await client.ScoreResponsesAsync(ServiceHost.Texts(3, includeRawScores: true));

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.LoadCheckpointAsync(new LoadCheckpointRequest { Path = path }));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("path is required", e.Status.Detail, StringComparison.Ordinal);
        var after = await client.ScoreResponsesAsync(ServiceHost.Texts(3, includeRawScores: true));
        Assert.Equal(before.Scores, after.Scores);
        Assert.Equal(before.RawScores, after.RawScores);
        Assert.Equal(before.ModelVersion, after.ModelVersion);
        Assert.NotEqual(after.RawScores[0], after.Scores[0]); // still calibrated
    }

    [Fact]
    public async Task LoadCheckpoint_MalformedCalibration_FailedPreconditionAndScoringUnchanged()
    {
        var broken = TestData.CreateRewardCheckpoint(Path.Combine(TestData.ScratchDir, "broken-" + Guid.NewGuid().ToString("N")[..6]), headSeed: 2);
        File.WriteAllText(Path.Combine(broken, RewardCalibration.FileName), "{\"mean\": 1}");
        await using var host = await ServiceHost.StartAsync();
        var client = host.Reward();
        var before = await client.ScoreResponsesAsync(ServiceHost.Texts(3, includeRawScores: true));

        var e = await Assert.ThrowsAsync<RpcException>(async () => await client.LoadCheckpointAsync(new LoadCheckpointRequest { Path = broken }));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        var after = await client.ScoreResponsesAsync(ServiceHost.Texts(3, includeRawScores: true));
        Assert.Equal(before.Scores, after.Scores);
        Assert.Equal(before.ModelVersion, after.ModelVersion);
    }

    [Fact]
    public async Task LoadCheckpoint_CheckpointWithCalibration_ScoresUseTheNewCalibration()
    {
        var calibrated = TestData.CreateRewardCheckpoint(Path.Combine(TestData.ScratchDir, "calibrated-" + Guid.NewGuid().ToString("N")[..6]), headSeed: 2);
        File.WriteAllText(Path.Combine(calibrated, RewardCalibration.FileName), new RewardCalibration(Mean: -0.5, Std: 4, Count: 10, ReferenceSet: "test").ToJson());
        await using var host = await ServiceHost.StartAsync();
        var client = host.Reward();
        var uncalibrated = await client.ScoreResponsesAsync(ServiceHost.Texts(3, includeRawScores: true));
        Assert.Equal(uncalibrated.RawScores, uncalibrated.Scores);

        await client.LoadCheckpointAsync(new LoadCheckpointRequest { Path = calibrated });

        var response = await client.ScoreResponsesAsync(ServiceHost.Texts(3, includeRawScores: true));
        Assert.Equal(3, response.RawScores.Count);
        for (var i = 0; i < 3; i++)
            Assert.Equal((response.RawScores[i] + 0.5) / 4, response.Scores[i], 5);
    }
}
