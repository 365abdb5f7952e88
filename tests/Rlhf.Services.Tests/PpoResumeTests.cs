using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Training;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>Runs the uninterrupted reference run (N = 4 iterations, a checkpoint every 2) once for the resume tests.</summary>
public sealed class UninterruptedRunFixture : IAsyncLifetime
{
    private readonly TempDir _temp = new();

    internal PpoRunResult? Result { get; private set; }

    internal TempDir Temp => _temp;

    public async Task InitializeAsync()
    {
        if (TestData.MissingReason(TestData.Stories260K, TestData.Tok512, TestData.TinyStories) is not null)
            return;
        var config = EmbeddedRun.Config(_temp.Sub("uninterrupted"), iterations: PpoResumeTests.N);
        config.SaveEvery = 2;
        Result = await EmbeddedRun.RunAsync(config, new PpoRunOptions(RunId: "run-uninterrupted"));
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Exact resume (issue 6, item 5): k iterations, then a resume to N on fresh services loaded from the checkpoint,
/// equals N uninterrupted iterations metric for metric (all but <c>timing/*</c> and <c>throughput/*</c>), and the
/// summary's scores are equal.
/// </summary>
public sealed class PpoResumeTests(UninterruptedRunFixture uninterrupted) : IClassFixture<UninterruptedRunFixture>
{
    internal const int N = 4;

    [DataFact]
    public async Task RunAsync_ResumedAfterTwoOfFourIterations_EqualsUninterruptedRunMetricForMetric()
    {
        var dir = uninterrupted.Temp.Sub("stopped-at-2");
        var first = EmbeddedRun.Config(dir, iterations: 2);
        first.SaveEvery = 2;
        await EmbeddedRun.RunAsync(first, new PpoRunOptions(RunId: "run-b"));

        var resumed = await ResumeAsync(dir);

        AssertEqualRuns(uninterrupted.Result!, resumed);
    }

    [DataFact]
    public async Task RunAsync_ResumedAfterCrashPastTheCheckpoint_RedoesTheLostIterationExactly()
    {
        // Iteration 3 was logged but the run died before its checkpoint: the newest checkpoint is iteration 2.
        var dir = uninterrupted.Temp.Sub("crashed-in-3");
        var first = EmbeddedRun.Config(dir, iterations: 3);
        first.SaveEvery = 2;
        var crashed = await EmbeddedRun.RunAsync(first, new PpoRunOptions(RunId: "run-c"));
        Directory.Delete(crashed.RunDirectory.CheckpointPath(3), recursive: true);
        crashed.RunDirectory.MarkLatestCheckpoint(2);
        Assert.Equal(3, crashed.RunDirectory.ReadMetrics().Count);

        var resumed = await ResumeAsync(dir);

        AssertEqualRuns(uninterrupted.Result!, resumed);
    }

    private static async Task<PpoRunResult> ResumeAsync(string dir)
    {
        var config = EmbeddedRun.Config(dir, iterations: N);
        config.SaveEvery = 2;
        var progress = new List<string>();
        // fresh services: the resume path reloads policy and critic weights and AdamW state from checkpoint 2
        var result = await EmbeddedRun.RunAsync(config, new PpoRunOptions(RunId: "run-resumed", Resume: true, Progress: progress.Add));
        Assert.Contains(progress, l => l.StartsWith("resumed", StringComparison.Ordinal) && l.Contains("at iteration 2", StringComparison.Ordinal));
        return result;
    }

    private static void AssertEqualRuns(PpoRunResult expected, PpoRunResult actual)
    {
        var metricsA = expected.RunDirectory.ReadMetrics();
        var metricsB = actual.RunDirectory.ReadMetrics();
        Assert.Equal(Enumerable.Range(1, N), metricsA.Select(m => m.Iteration));
        Assert.Equal(Enumerable.Range(1, N), metricsB.Select(m => m.Iteration));
        for (var i = 0; i < N; i++)
        {
            var a = Deterministic(metricsA[i].Values);
            var b = Deterministic(metricsB[i].Values);
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var (name, value) in a)
                Assert.True(value.Equals(b[name]), $"iteration {i + 1}: {name} = {value:R} uninterrupted, {b[name]:R} resumed");
        }
        foreach (var key in PpoRunTests.SummaryKeysRequired.Where(k => k != SummaryKeys.WallSeconds))
            Assert.True(expected.Summary[key].Equals(actual.Summary[key]), $"summary {key}: {expected.Summary[key]:R} uninterrupted, {actual.Summary[key]:R} resumed");
    }

    private static Dictionary<string, double> Deterministic(IReadOnlyDictionary<string, double> values) =>
        values.Where(kv => !kv.Key.StartsWith("timing/", StringComparison.Ordinal) && !kv.Key.StartsWith("throughput/", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
}
