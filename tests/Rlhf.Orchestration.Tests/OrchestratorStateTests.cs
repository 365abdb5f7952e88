using System.Text.Json;
using Rlhf.Alignment;
using Rlhf.Orchestration.Training;

namespace Rlhf.Orchestration.Tests;

public sealed class OrchestratorStateTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("null")]
    [InlineData("""{ "Count": 3, "Mean": 0.5, "M2": 1.25 }""")]
    public void ReadState_FileWrittenWithScoreMoments_LoadsAndIgnoresIt(string scoreMoments)
    {
        File.WriteAllText(_dir.Sub(PpoRun.StateFile), $$"""
            {
              "Iteration": 20,
              "KlController": { "Kind": "adaptive", "KlCoef": 0.07, "Target": 6, "Horizon": 10000 },
              "ScoreMoments": {{scoreMoments}},
              "WallSeconds": 12.5,
              "InitialEval": { "Score": 0.1, "Kl": 0.0, "RefNll": 1.3, "ResponseLength": 40, "EosFraction": 0.25 }
            }
            """);

        var state = PpoRun.ReadState(_dir.Path);

        Assert.Equal(new OrchestratorState(20, new KlControllerState("adaptive", 0.07, 6, 10000), 12.5, new EvaluationResult(0.1, 0, 1.3, 40, 0.25)), state);
    }

    [Fact]
    public void ReadState_SerializedState_RoundTripsWithoutScoreMoments()
    {
        var state = new OrchestratorState(3, new KlControllerState("fixed", 0.05), 1.5, null);
        var json = JsonSerializer.Serialize(state);
        File.WriteAllText(_dir.Sub(PpoRun.StateFile), json);

        Assert.Equal(state, PpoRun.ReadState(_dir.Path));
        Assert.DoesNotContain("ScoreMoments", json);
    }
}
