using Rlhf.Models;
using Rlhf.Engine.IO;
using Rlhf.ModelServices;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

public sealed class CalibrationTests
{
    [Fact]
    public async Task ScoreResponses_CheckpointWithCalibration_ScoresAreStandardized()
    {
        var dir = TestData.CreateRewardCheckpoint(Path.Combine(TestData.ScratchDir, "calibrated-" + Guid.NewGuid().ToString("N")[..6]), headSeed: 1);
        File.WriteAllText(Path.Combine(dir, RewardCalibration.FileName), new RewardCalibration(Mean: 0.75, Std: 2.5, Count: 100, ReferenceSet: "test").ToJson());
        await using var host = await ServiceHost.StartAsync(checkpoint: dir);

        var response = await host.Reward().ScoreResponsesAsync(ServiceHost.Texts(4, includeRawScores: true));

        // the served score is the float (the wire type) nearest (raw − mean) / std; comparing double expectations with
        // the float at 5 decimals failed whenever the two straddled a rounding boundary (1.37959499… vs 1.37959504…)
        Assert.Equal(4, response.RawScores.Count);
        for (var i = 0; i < 4; i++)
            Assert.Equal((float)((response.RawScores[i] - 0.75) / 2.5), response.Scores[i]);
        Assert.NotEqual(response.RawScores[0], response.Scores[0]);
    }

    [Fact]
    public async Task ScoreResponses_CheckpointWithoutCalibration_ScoresAreRaw()
    {
        await using var host = await ServiceHost.StartAsync();
        var response = await host.Reward().ScoreResponsesAsync(ServiceHost.Texts(2, includeRawScores: true));
        Assert.Equal(response.RawScores, response.Scores);
    }
}
