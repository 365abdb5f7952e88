using System.Text.Json;
using Rlhf.Orchestration.Gates;
using Rlhf.Configuration.Runs;

namespace Rlhf.Orchestration.Tests;

public sealed class RunDirectoryTests
{
    private static Dictionary<string, double> Metrics(int i) => new()
    {
        ["objective/scores"] = 0.1 * i,
        ["objective/kl"] = 0.05 * i,
        ["loss/policy_avg"] = -0.01 * i,
    };

    [Fact]
    public void Metrics_WriteThenRead_RoundTripsOneObjectPerLine()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);

        using (var writer = run.OpenMetricsWriter())
        {
            for (var i = 1; i <= 3; i++)
                writer.Append(i, Metrics(i));
        }

        var lines = File.ReadAllLines(run.MetricsPath);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("{\"iteration\":1,\"objective/scores\":0.1,", lines[0]);
        var records = run.ReadMetrics();
        Assert.Equal([1, 2, 3], records.Select(r => r.Iteration));
        Assert.Equal(Metrics(2), records[1].Values);
    }

    [Fact]
    public void Metrics_Append_VisibleBeforeDispose()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        using var writer = run.OpenMetricsWriter();

        writer.Append(1, Metrics(1));

        using var read = new FileStream(run.MetricsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Assert.EndsWith("}\n", new StreamReader(read).ReadToEnd());
    }

    [Fact]
    public void Metrics_NonFiniteValues_WrittenAsNullAndReadAsNaN()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);

        using (var writer = run.OpenMetricsWriter())
            writer.Append(1, new Dictionary<string, double> { ["a"] = double.NaN, ["b"] = double.PositiveInfinity, ["c"] = 2 });

        Assert.Equal("{\"iteration\":1,\"a\":null,\"b\":null,\"c\":2}", File.ReadAllText(run.MetricsPath).Trim());
        var values = run.ReadMetrics()[0].Values;
        Assert.True(double.IsNaN(values["a"]));
        Assert.True(double.IsNaN(values["b"]));
        Assert.Equal(2, values["c"]);
    }

    [Fact]
    public void OpenMetricsWriter_Resume_DropsLinesBeyondResumedIterationThenAppends()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        using (var writer = run.OpenMetricsWriter())
        {
            for (var i = 1; i <= 5; i++)
                writer.Append(i, Metrics(i));
        }

        using (var writer = run.OpenMetricsWriter(resumeFromIteration: 3))
            writer.Append(4, Metrics(40));

        var records = run.ReadMetrics();
        Assert.Equal([1, 2, 3, 4], records.Select(r => r.Iteration));
        Assert.Equal(Metrics(40), records[3].Values);
    }

    [Fact]
    public void OpenMetricsWriter_ResumeAfterTornLastLine_DropsTheTornLine()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        File.WriteAllText(run.MetricsPath, "{\"iteration\":1,\"x\":1}\n{\"iteration\":2,\"x\":2}\n{\"iteration\":3,\"x\"");

        Assert.Equal(2, run.ReadMetrics().Count);
        using (var writer = run.OpenMetricsWriter(resumeFromIteration: 2))
            writer.Append(3, new Dictionary<string, double> { ["x"] = 3 });

        Assert.Equal([1, 2, 3], run.ReadMetrics().Select(r => r.Iteration));
        Assert.Equal(3, File.ReadAllLines(run.MetricsPath).Length);
    }

    [Fact]
    public void ReadMetrics_MalformedMiddleLine_ThrowsNamingLine()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        File.WriteAllText(run.MetricsPath, "{\"iteration\":1}\n{oops\n{\"iteration\":3}\n");

        var e = Assert.Throws<FormatException>(() => run.ReadMetrics());

        Assert.Contains("metrics.jsonl:2", e.Message);
    }

    [Fact]
    public void OpenMetricsWriter_FreshRun_StartsEmptyFile()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        File.WriteAllText(run.MetricsPath, "{\"iteration\":9}\n");

        using (run.OpenMetricsWriter())
        {
        }

        Assert.Empty(run.ReadMetrics());
    }

    [Fact]
    public void Samples_WriteResumeRead_RoundTripsAndTruncates()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        using (var writer = run.OpenSamplesWriter())
        {
            writer.Append(new SampleRecord(1, "Once upon a time", " there was a \"cat\".\n", 0.5, 0.1));
            writer.Append(new SampleRecord(2, "p", "r", double.NaN, 0.2));
        }

        using (var writer = run.OpenSamplesWriter(resumeFromIteration: 1))
            writer.Append(new SampleRecord(2, "p2", "r2", 1.5, 0.3));

        var samples = run.ReadSamples();
        Assert.Equal(2, samples.Count);
        Assert.Equal(new SampleRecord(1, "Once upon a time", " there was a \"cat\".\n", 0.5, 0.1), samples[0]);
        Assert.Equal("p2", samples[1].Prompt);
    }

    [Fact]
    public void WriteSummary_TypedSummary_WritesStandardKeysReadableByGates()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        var summary = new RunSummary(0.2, 0.9, 4.5, 1.1, 1.3, 50, 12.5)
        {
            Extra = new Dictionary<string, double> { ["eval/score_std"] = 0.3 },
        };

        run.WriteSummary(summary);
        var read = run.ReadSummary();

        Assert.Equal(0.7, read[SummaryKeys.ScoreGain], 12);
        Assert.Equal(
            ["initial_score", "final_score", "score_gain", "kl", "ref_nll_initial", "ref_nll_final", "iterations", "wall_seconds", "eval/score_std"],
            read.Keys);
        Assert.True(GateEvaluator.AllPassed(GateEvaluator.EvaluateAll(GateEvaluator.ParseAll(["score_gain>=0.5", "kl<=8"]), read)));
    }

    [Fact]
    public void WriteSummary_NonFinite_WrittenAsNullAndFailsGates()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);

        run.WriteSummary(new Dictionary<string, double> { ["kl"] = double.NaN });

        using var doc = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("kl").ValueKind);
        Assert.False(Gate.Parse("kl<=8").Evaluate(run.ReadSummary()).Passed);
    }

    [Fact]
    public void WriteSummary_Overwrite_ReplacesWholeFileAndLeavesNoTempFiles()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);

        run.WriteSummary(new Dictionary<string, double> { ["a"] = 1, ["long_key_that_makes_the_file_longer"] = 2 });
        run.WriteSummary(new Dictionary<string, double> { ["a"] = 3 });

        Assert.Equal(new Dictionary<string, double> { ["a"] = 3 }, run.ReadSummary());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void AtomicWrite_WriterThrowsMidway_OldContentKeptAndTempRemoved()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "summary.json");
        File.WriteAllText(path, "{\"a\":1}");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("{\"a\":"u8);
            throw new InvalidOperationException("crash mid-write");
        }));

        Assert.Equal("{\"a\":1}", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData(12, "iter-0012")]
    [InlineData(0, "iter-0000")]
    [InlineData(12345, "iter-12345")]
    public void CheckpointName_Iteration_ZeroPaddedToFourDigits(int iteration, string expected)
    {
        Assert.Equal(expected, RunDirectory.CheckpointName(iteration));
    }

    [Fact]
    public void MarkLatestCheckpoint_AfterSave_PointerNamesNewestFolder()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        Assert.Null(run.LatestCheckpoint());

        Directory.CreateDirectory(run.CheckpointPath(10));
        run.MarkLatestCheckpoint(10);
        Directory.CreateDirectory(run.CheckpointPath(20));
        run.MarkLatestCheckpoint(20);

        Assert.Equal("iter-0020", new FileInfo(run.LatestPointerPath).LinkTarget);   // relative: the run can move
        Assert.True(Directory.Exists(run.LatestPointerPath));
        Assert.Equal((20, Path.Combine(dir.Path, "checkpoints", "iter-0020")), run.LatestCheckpoint());
        Assert.Single(Directory.GetFileSystemEntries(run.CheckpointsPath, "latest*"));
        Assert.Empty(Directory.GetFileSystemEntries(run.CheckpointsPath, ".*"));
    }

    [Fact]
    public void MarkLatestCheckpoint_RunWrittenBeforeLinks_TextPointerReadThenReplacedByALink()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        Directory.CreateDirectory(run.CheckpointPath(10));
        File.WriteAllText(run.LatestPointerPath, "iter-0010\n");
        Assert.Equal(10, run.LatestCheckpoint()?.Iteration);
        Assert.Equal(run.CheckpointPath(10), RunDirectory.ResolveModelPath(run.LatestPointerPath, role: ""));

        Directory.CreateDirectory(run.CheckpointPath(20));
        run.MarkLatestCheckpoint(20);

        Assert.Equal("iter-0020", new FileInfo(run.LatestPointerPath).LinkTarget);
        Assert.Equal(20, run.LatestCheckpoint()?.Iteration);
    }

    [Fact]
    public void MarkLatestCheckpoint_FolderMissing_Throws()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);

        Assert.Throws<DirectoryNotFoundException>(() => run.MarkLatestCheckpoint(5));
        Assert.False(File.Exists(run.LatestPointerPath));
    }

    [Fact]
    public void LatestCheckpoint_PointerNamesMissingFolder_ThrowsFormatException()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        Directory.CreateDirectory(run.CheckpointsPath);
        File.WriteAllText(run.LatestPointerPath, "iter-0007\n");

        Assert.Throws<FormatException>(() => run.LatestCheckpoint());
    }

    [Fact]
    public void WriteConfig_Yaml_StoredAsConfigYaml()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);

        run.WriteConfig("batch_size: 8\n");

        Assert.Equal("batch_size: 8\n", File.ReadAllText(Path.Combine(dir.Path, "config.yaml")));
    }

    [Fact]
    public void Open_NewRunInAMissingOrEmptyDirectory_CreatesIt()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("empty/checkpoints"));   // what an older run directory made up front

        Assert.True(Directory.Exists(RunDirectory.Open(dir.Sub("missing/run"), RunStart.New).Root));
        Assert.Equal(dir.Sub("empty"), RunDirectory.Open(dir.Sub("empty"), RunStart.New).Root);
    }

    [Fact]
    public void Open_NewRunWhereAnotherRunIs_RefusesNamingTheDirectoryAndItsFiles()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("config.yaml"), "x: 1\n");
        File.WriteAllText(dir.Sub("metrics.jsonl"), "");
        Directory.CreateDirectory(dir.Sub("checkpoints/iter-0002"));

        var e = Assert.Throws<RunDirectoryInUseException>(() => RunDirectory.Open(dir.Path, RunStart.New));

        Assert.Equal(["checkpoints/", "config.yaml", "metrics.jsonl"], e.Entries);
        Assert.Equal($"{dir.Path} already holds a run (checkpoints/, config.yaml, metrics.jsonl)", e.Message);
    }

    [Fact]
    public void Open_Overwrite_DeletesTheRunsFilesLinksNotTheirTargets()
    {
        using var dir = new TempDir();
        var run = dir.Dir("run");
        var outside = dir.Dir("outside");
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "mine");
        foreach (var name in new[] { "config.yaml", "metrics.jsonl", "samples.jsonl", "eval_samples.jsonl", "summary.json", "report.html", ".report.html.ab.tmp" })
            File.WriteAllText(Path.Combine(run, name), "old");
        Directory.CreateDirectory(Path.Combine(run, "checkpoints", "iter-0040", "policy"));
        Directory.CreateSymbolicLink(Path.Combine(run, "model"), outside);

        RunDirectory.Open(run, RunStart.Overwrite);

        Assert.Empty(Directory.EnumerateFileSystemEntries(run));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(outside, "keep.txt")));
    }

    [Fact]
    public void Open_OverwriteWithFilesThatAreNotARuns_RefusesAndDeletesNothing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("config.yaml"), "x: 1\n");
        File.WriteAllText(dir.Sub("notes.txt"), "important");

        var e = Assert.Throws<RunDirectoryInUseException>(() => RunDirectory.Open(dir.Path, RunStart.Overwrite));

        Assert.True(e.Foreign);
        Assert.Equal(["notes.txt"], e.Entries);
        Assert.Contains("never deleted", e.Message);
        Assert.True(File.Exists(dir.Sub("config.yaml")));
        Assert.True(File.Exists(dir.Sub("notes.txt")));
    }

    [Fact]
    public void Open_Resume_DropsTheOldEndAndHalfWrittenStepsKeepsTheRest()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        foreach (var i in new[] { 2, 4, 6 })
            Directory.CreateDirectory(run.CheckpointPath(i));
        run.MarkLatestCheckpoint(4);
        run.WriteSummary(new Dictionary<string, double> { ["kl"] = 1 });
        run.WriteReport("<html></html>");
        run.WriteConfig("x: 1\n");
        File.WriteAllText(dir.Sub(".metrics.jsonl.77.tmp"), "");
        run.WriteEvalSamples([new(EvalSampleRecord.Initial, 0, 0, "p", "before", 0.1, 0), new(EvalSampleRecord.Final, 6, 0, "p", "after", 0.9, 3)]);

        RunDirectory.Open(dir.Path, RunStart.Resume);

        Assert.False(File.Exists(run.SummaryPath));
        Assert.False(File.Exists(run.ReportPath));
        Assert.False(File.Exists(dir.Sub(".metrics.jsonl.77.tmp")));
        Assert.True(File.Exists(run.ConfigPath));
        Assert.True(Directory.Exists(run.CheckpointPath(2)));
        Assert.Equal(4, run.LatestCheckpoint()?.Iteration);
        Assert.False(Directory.Exists(run.CheckpointPath(6)), "a checkpoint newer than latest is half-written");
        Assert.Equal("before", Assert.Single(run.ReadEvalSamples()).Response);
    }

    [Fact]
    public void CreateTimestamped_TwoRunsInOneSecond_TwoDirectoriesAndLatestPointsAtTheNewest()
    {
        using var dir = new TempDir();
        var now = new DateTimeOffset(2026, 11, 21, 9, 5, 7, TimeSpan.Zero);
        var parent = dir.Sub("runs/tinystories-positive");

        var first = RunDirectory.CreateTimestamped(parent, now);
        var second = RunDirectory.CreateTimestamped(parent, now);

        Assert.Equal(Path.Combine(parent, "20261121-090507"), first.Root);
        Assert.Equal(Path.Combine(parent, "20261121-090507-2"), second.Root);
        Assert.Equal("20261121-090507-2", new FileInfo(Path.Combine(parent, "latest")).LinkTarget);
        Assert.Equal(second.Root, new RunDirectory(Path.Combine(parent, "latest")).Root);   // a run opened through latest stays put
    }

    [Fact]
    public void ForNewRun_OutputDirUnset_TimestampedUnderRunsAndTheConfigName()
    {
        using var dir = new TempDir();

        var run = RunDirectory.ForNewRun("", overwrite: false, "/configs/tinystories-positive.yaml", dir.Path, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

        Assert.Equal(dir.Sub("runs/tinystories-positive/20260102-030405"), run.Root);
    }

    [Fact]
    public void ResolveModelPath_NotACheckpoint_Unchanged()
    {
        using var dir = new TempDir();
        var model = dir.Dir("reward/model");
        Directory.CreateDirectory(Path.Combine(model, "policy"));   // a folder named policy inside a non-checkpoint

        Assert.Equal(model, RunDirectory.ResolveModelPath(model));
        Assert.Equal("/data/stories260K.bin", RunDirectory.ResolveModelPath("/data/stories260K.bin"));
        Assert.Equal(dir.Sub("missing"), RunDirectory.ResolveModelPath(dir.Sub("missing")));
    }

    [Fact]
    public void EvalSamples_WriteThenRead_RoundTripsEveryField()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        EvalSampleRecord[] samples = [new(EvalSampleRecord.Initial, 0, 0, "Once", "upon \"a\"\ntime", 0.25, double.NaN), new(EvalSampleRecord.Final, 50, 0, "Once", "happy", 1.5, 6.5)];

        run.WriteEvalSamples(samples);

        Assert.Equal(samples, run.ReadEvalSamples());
        Assert.Equal(2, File.ReadAllLines(run.EvalSamplesPath).Length);
    }
}
