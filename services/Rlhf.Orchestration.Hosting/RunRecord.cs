using Google.Protobuf.WellKnownTypes;
using Rlhf.Orchestration.Gates;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// One run known to the OrchestratorService: its lifecycle state, finished iterations, and the signal WatchRun waits
/// on. Thread-safe: the run's background task writes, RPC handlers read snapshots.
/// </summary>
public sealed class RunRecord
{
    private readonly object _gate = new();
    private readonly List<IterationMetrics> _iterations = [];
    private readonly Run _run;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="runId">Run id.</param>
    /// <param name="sequence">Creation order (larger = newer); orders ListRuns and its page tokens.</param>
    /// <param name="config">The effective configuration.</param>
    /// <param name="outputDir">The run directory.</param>
    /// <param name="createTime">When the run was created.</param>
    public RunRecord(string runId, long sequence, RunConfig config, string outputDir, DateTimeOffset createTime)
    {
        Sequence = sequence;
        _run = new Run
        {
            RunId = runId,
            State = RunState.Pending,
            Config = config,
            OutputDir = outputDir,
            CreateTime = Timestamp.FromDateTimeOffset(createTime),
        };
    }

    /// <summary>Run id.</summary>
    public string RunId => _run.RunId;

    /// <summary>Creation order (larger = newer).</summary>
    public long Sequence { get; }

    /// <summary>Cancels the run's work (CancelRun).</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Whether the run has ended (SUCCEEDED, FAILED or CANCELLED).</summary>
    public bool IsFinished
    {
        get { lock (_gate) { return IsTerminal(_run.State); } }
    }

    /// <summary>A snapshot of the run.</summary>
    public Run Snapshot()
    {
        lock (_gate)
        {
            return _run.Clone();
        }
    }

    /// <summary>The iterations from index <paramref name="from"/> on, whether the run has ended, and a task that completes at the next change.</summary>
    public (IReadOnlyList<IterationMetrics> Iterations, bool Finished, Task Changed) ReadFrom(int from)
    {
        lock (_gate)
        {
            return ([.. _iterations.Skip(from)], IsTerminal(_run.State), _changed.Task);
        }
    }

    /// <summary>PENDING → RUNNING.</summary>
    public void MarkRunning() => Update(r =>
    {
        if (r.State == RunState.Pending)
            r.State = RunState.Running;
    });

    /// <summary>Records a finished iteration.</summary>
    public void AddIteration(int iteration, IReadOnlyDictionary<string, double> metrics)
    {
        var entry = new IterationMetrics { Iteration = iteration };
        foreach (var (key, value) in metrics)
            entry.Metrics[key] = value;
        Update(r =>
        {
            _iterations.Add(entry);
            r.IterationsDone = iteration;
            r.Latest = entry;
        });
    }

    /// <summary>Ends the run with its summary and gate results: SUCCEEDED when every gate passed, else FAILED.</summary>
    public void Complete(IReadOnlyDictionary<string, double> summary, IReadOnlyList<GateResult> gates) => Update(r =>
    {
        foreach (var (key, value) in summary)
            r.Summary[key] = value;
        foreach (var gate in gates)
            r.GateResults.Add($"{(gate.Passed ? "PASS" : "FAIL")} {gate.Gate} ({(gate.Actual is { } a ? a.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) : "missing")})");
        var failed = gates.Where(g => !g.Passed).Select(g => g.Reason).ToList();
        r.State = failed.Count == 0 ? RunState.Succeeded : RunState.Failed;
        r.ErrorMessage = string.Join("; ", failed);
    });

    /// <summary>Ends the run FAILED with <paramref name="message"/>.</summary>
    public void Fail(string message) => Update(r =>
    {
        r.State = RunState.Failed;
        r.ErrorMessage = message;
    });

    /// <summary>Ends the run CANCELLED.</summary>
    public void MarkCancelled() => Update(r => r.State = RunState.Cancelled);

    private void Update(Action<Run> change)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (IsTerminal(_run.State))
                return;
            change(_run);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    private static bool IsTerminal(RunState state) => state is RunState.Succeeded or RunState.Failed or RunState.Cancelled;
}
