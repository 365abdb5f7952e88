using Rlhf.Alignment;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Tests.Infrastructure;
using Rlhf.Orchestration.Training;

namespace Rlhf.Orchestration.Tests;

/// <summary>
/// Run directories (issue 16, item 2), end to end over <see cref="PpoRun"/> against scripted services: a rerun never
/// mixes two runs, and a run stopped midway leaves a directory that <c>--resume</c> completes with nothing stale.
/// </summary>
public sealed class RunLifecycleTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static PpoConfig Config(string outputDir, int iterations)
    {
        var config = FakeServices.Config();
        config.Iterations = iterations;
        config.SaveEvery = 2;
        config.SampleEvery = 1;
        config.EvalEvery = 0;
        config.OutputDir = outputDir;
        return config;
    }

    private static Task<PpoRunResult> RunAsync(PpoConfig config, PpoRunOptions? options = null, FakeServices? services = null) =>
        PpoRun.RunAsync(config, (services ?? new FakeServices(varied: true)).Clients, ["a prompt", "another prompt", "a third"], ["held out", "held out too"],
            options ?? new PpoRunOptions(), CancellationToken.None);

    /// <summary>Every file under the directory with its bytes (links as "-> target").</summary>
    private static Dictionary<string, string> Snapshot(string root) =>
        new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Where(e => e is FileInfo || e.LinkTarget is not null)
            .ToDictionary(e => Path.GetRelativePath(root, e.FullName),
                e => e.LinkTarget is { } t ? "-> " + t : Convert.ToBase64String(File.ReadAllBytes(e.FullName)));

    [Fact]
    public async Task RunAsync_NewRunIntoAFinishedRunsDirectory_RefusesBeforeTouchingAnything()
    {
        var dir = _temp.Sub("run");
        await RunAsync(Config(dir, 2));
        var before = Snapshot(dir);
        var services = new FakeServices(varied: true);

        var e = await Assert.ThrowsAsync<RunDirectoryInUseException>(() => RunAsync(Config(dir, 3), services: services));

        Assert.Equal(before, Snapshot(dir));
        Assert.Empty(services.Calls);   // refused before any lease or model call
        Assert.False(e.Foreign);
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith($"{dir} already holds a run (", e.Message);
        Assert.Contains("config.yaml", e.Message);
        Assert.Contains("checkpoints/", e.Entries);
    }

    [Fact]
    public async Task RunAsync_OverwriteStoppedMidwayThenResumed_EveryIterationOnceAndNothingFromEitherEarlierRun()
    {
        var dir = _temp.Sub("run");
        // 1. a finished run of 4 iterations: summary, report, checkpoints 2 and 4
        await RunAsync(Config(dir, 4));
        Assert.Equal(4, new RunDirectory(dir).LatestCheckpoint()?.Iteration);

        // 2. --overwrite, and the new run dies after iteration 3 (logged; its checkpoint is 2)
        var crash = new InvalidOperationException("killed");
        var stopped = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(Config(dir, 4),
            new PpoRunOptions(Overwrite: true, IterationCompleted: (i, _) => { if (i == 3) throw crash; })));
        Assert.Same(crash, stopped);
        var run = new RunDirectory(dir);
        Assert.Equal([1, 2, 3], run.ReadMetrics().Select(m => m.Iteration));
        Assert.Equal(2, run.LatestCheckpoint()?.Iteration);
        Assert.False(Directory.Exists(run.CheckpointPath(4)), "the first run's iter-0004 survived the overwrite");
        Assert.False(File.Exists(run.SummaryPath), "the first run's summary.json survived the overwrite");
        Assert.False(File.Exists(run.ReportPath), "the first run's report.html survived the overwrite");
        Assert.All(run.ReadEvalSamples(), s => Assert.Equal(EvalSampleRecord.Initial, s.Phase));
        // what a crash in the middle of a save or an atomic write leaves behind
        File.WriteAllText(Path.Combine(dir, ".summary.json.0123.tmp"), "{");
        Directory.CreateDirectory(Path.Combine(run.CheckpointPath(4), "policy"));

        // 3. a plain new run refuses; --resume finishes it
        await Assert.ThrowsAsync<RunDirectoryInUseException>(() => RunAsync(Config(dir, 4)));
        var lines = new List<string>();
        var result = await RunAsync(Config(dir, 4), new PpoRunOptions(Resume: true, Progress: lines.Add));

        Assert.Contains(lines, l => l.StartsWith($"resumed {run.Root} at iteration 2", StringComparison.Ordinal));
        Assert.Equal([1, 2, 3, 4], run.ReadMetrics().Select(m => m.Iteration));
        Assert.Equal([1, 2, 3, 4], run.ReadSamples().Select(s => s.Iteration).Distinct());
        Assert.Equal(4, run.LatestCheckpoint()?.Iteration);
        Assert.True(File.Exists(Path.Combine(run.CheckpointPath(4), "policy", "model.marker")), "iter-0004 must be saved afresh by the resumed run");
        Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp"));
        Assert.Equal(4, result.Summary[SummaryKeys.Iterations]);
        Assert.True(File.Exists(run.ReportPath));
        var evalSamples = run.ReadEvalSamples();
        Assert.Equal([EvalSampleRecord.Initial, EvalSampleRecord.Final], evalSamples.Select(s => s.Phase).Distinct());
        Assert.All(evalSamples.Where(s => s.Phase == EvalSampleRecord.Final), s => Assert.Equal(4, s.Iteration));
        Assert.Equal(evalSamples.Where(s => s.Phase == EvalSampleRecord.Initial).Select(s => (s.Index, s.Prompt)),
            evalSamples.Where(s => s.Phase == EvalSampleRecord.Final).Select(s => (s.Index, s.Prompt)));
    }

    [Fact]
    public async Task RunAsync_ResumeOfAFinishedRunWithMoreIterations_DropsTheOldEndAndWritesTheNewOne()
    {
        var dir = _temp.Sub("run");
        var first = await RunAsync(Config(dir, 2));
        var firstFinal = first.RunDirectory.ReadEvalSamples().Where(s => s.Phase == EvalSampleRecord.Final).ToList();

        var resumed = await RunAsync(Config(dir, 4), new PpoRunOptions(Resume: true));

        Assert.Equal([1, 2, 3, 4], resumed.RunDirectory.ReadMetrics().Select(m => m.Iteration));
        var final = resumed.RunDirectory.ReadEvalSamples().Where(s => s.Phase == EvalSampleRecord.Final).ToList();
        Assert.Equal(firstFinal.Count, final.Count);
        Assert.All(final, s => Assert.Equal(4, s.Iteration));
        Assert.Equal(first.Summary[SummaryKeys.InitialScore], resumed.Summary[SummaryKeys.InitialScore]);
    }

    [Fact]
    public async Task RunAsync_EveryIteration_LogsDiversityAndEndsItsProgressLineWithElapsedAndEta()
    {
        var lines = new List<string>();

        var result = await RunAsync(Config(_temp.Sub("run"), 3), new PpoRunOptions(Progress: lines.Add));

        foreach (var m in result.RunDirectory.ReadMetrics())
        {
            Assert.InRange(m.Values[MetricNames.DiversityDistinct1], 0.01, 1);
            Assert.InRange(m.Values[MetricNames.DiversityDistinct2], 0.01, 1);
            Assert.InRange(m.Values[MetricNames.DiversitySelfBleu], 0, 1);
        }
        var iterationLines = lines.Where(l => l.StartsWith("iter ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, iterationLines.Count);
        Assert.All(iterationLines, l => Assert.Matches(@"  elapsed \d+s  ETA \d+s$", l));
        Assert.Equal(0.75, result.Summary[SummaryKeys.KlInitial], 12);   // 3 tokens × (−1 − (−1.25))
    }

    [Fact]
    public async Task ResolveModelPath_LatestCheckpointOfARun_IsItsPolicyFolder()
    {
        var result = await RunAsync(Config(_temp.Sub("run"), 2));
        var latest = result.RunDirectory.LatestPointerPath;

        Assert.Equal(Path.Combine(result.RunDirectory.CheckpointPath(2), "policy"), RunDirectory.ResolveModelPath(latest));
        Assert.Equal(Path.Combine(result.RunDirectory.CheckpointPath(2), "critic"), RunDirectory.ResolveModelPath(latest, "critic"));
        Assert.Equal("policy after 8 steps\n", File.ReadAllText(Path.Combine(RunDirectory.ResolveModelPath(latest), "model.marker")));
    }
}
