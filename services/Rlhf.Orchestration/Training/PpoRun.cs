using System.Diagnostics;
using System.Text.Json;
using Rlhf.Alignment;
using Rlhf.Client;
using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Gates;
using Rlhf.Orchestration.Reporting;
using Rlhf.Configuration.Runs;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>How a run is driven beyond its configuration.</summary>
/// <param name="RunId">Run id (the training lease); generated when null.</param>
/// <param name="Gates">Gates evaluated on summary.json at the end.</param>
/// <param name="Resume">Resume from the latest checkpoint in the run directory.</param>
/// <param name="Progress">Receives one line per iteration, ending with the elapsed time and an ETA (and a few lines
/// around the run); ignored when <paramref name="Reporter"/> is given.</param>
/// <param name="IterationCompleted">Called after each iteration's metrics line is written (and its checkpoint, when
/// one is due), with the iteration number (from 1) and its metrics; not called for iterations restored by a resume.</param>
/// <param name="Overwrite">A new run deletes another run's files in the output directory instead of refusing
/// (<see cref="RunStart.Overwrite"/>); ignored with <paramref name="Resume"/>.</param>
/// <param name="Reporter">Where the progress lines go, with a bar on a terminal (<see cref="ProgressReporter.ForConsole"/>).</param>
public sealed record PpoRunOptions(string? RunId = null, IReadOnlyList<Gate>? Gates = null, bool Resume = false, Action<string>? Progress = null,
    Action<int, IReadOnlyDictionary<string, double>>? IterationCompleted = null, bool Overwrite = false, ProgressReporter? Reporter = null);

/// <summary>The outcome of a run.</summary>
/// <param name="Summary">summary.json values.</param>
/// <param name="Gates">Gate results (empty without gates).</param>
/// <param name="RunDirectory">The run directory.</param>
public sealed record PpoRunResult(IReadOnlyDictionary<string, double> Summary, IReadOnlyList<GateResult> Gates, RunDirectory RunDirectory)
{
    /// <summary>Whether every gate passed.</summary>
    public bool Passed => GateEvaluator.AllPassed(Gates);
}

/// <summary>
/// Drives a whole run: takes the training leases, evaluates the initial policy on held-out prompts, runs the
/// iterations (metrics.jsonl, samples.jsonl, checkpoints of policy, critic and orchestrator state), evaluates again,
/// and writes summary.json and report.html, then evaluates the gates. A resumed run reloads the latest checkpoint
/// (weights, AdamW moments, KL controller, iteration) and continues exactly as an uninterrupted run would. Every
/// iteration's metrics include the diversity of its responses (<see cref="TextDiversity"/>); the responses of the
/// initial and the final evaluation go to eval_samples.jsonl for the report's before/after panel.
/// </summary>
public static class PpoRun
{
    /// <summary>File of the orchestrator's state inside a checkpoint.</summary>
    public const string StateFile = "orchestrator_state.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Runs (or resumes) a run to its last iteration.</summary>
    /// <exception cref="ModelServiceRestartedException">The policy or critic restarted mid-run (clients from <see cref="ModelConnections"/>); the message names the resume command. The leases are released on any failure.</exception>
    /// <exception cref="RpcException">Another service call failed.</exception>
    /// <exception cref="RunDirectoryInUseException">A new run's output_dir holds another run (see <see cref="RunDirectory.Open"/>).</exception>
    public static async Task<PpoRunResult> RunAsync(PpoConfig config, ModelClients clients, IReadOnlyList<string> trainPrompts,
        IReadOnlyList<string> evalPrompts, PpoRunOptions options, CancellationToken cancellationToken)
    {
        var reporter = options.Reporter ?? new ProgressReporter(options.Progress ?? (_ => { }));
        var runId = options.RunId ?? $"ppo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var run = RunDirectory.Open(config.OutputDir, options.Resume ? RunStart.Resume : options.Overwrite ? RunStart.Overwrite : RunStart.New);
        run.WriteConfig(ConfigYaml.Serialize(config));
        var call = new CallOptions(cancellationToken: cancellationToken);

        // 0. training leases on the trainable services
        try
        {
            // Inside the try: a call cancelled after the service granted the lease must not leave it behind.
            await clients.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = runId }, call).ConfigureAwait(false);
            if (TrainedCritic(clients, config) is { } critic)
                await critic.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = runId }, call).ConfigureAwait(false);
            var rewardByText = await CheckTokenizersAsync(clients, call).ConfigureAwait(false);
            var trainer = new PpoTrainer(config, clients, trainPrompts, evalPrompts, runId, rewardByText);

            OrchestratorState state;
            if (options.Resume && run.LatestCheckpoint() is { } latest)
            {
                state = await RestoreAsync(clients, config, runId, latest.Path, call).ConfigureAwait(false);
                trainer.RestoreKlController(state.KlController);
                reporter.WriteLine($"resumed {run.Root} at iteration {state.Iteration} from {latest.Path}");
            }
            else
            {
                var (initial, rollout, kl) = await trainer.EvaluateAsync(cancellationToken).ConfigureAwait(false);
                run.WriteEvalSamples(EvalSamples(EvalSampleRecord.Initial, 0, rollout, kl));
                state = new OrchestratorState(0, trainer.KlControllerState, 0, initial);
                reporter.WriteLine($"initial eval: score {initial.Score:F3}  kl {initial.Kl:F3}  ref_nll {initial.RefNll:F3}  len {initial.ResponseLength:F1}");
            }

            using (var metrics = run.OpenMetricsWriter(state.Iteration))
            using (var samples = run.OpenSamplesWriter(state.Iteration))
            using (var pass = reporter.Start("ppo", config.Iterations, state.Iteration, plainLines: false))
            {
                for (var iteration = state.Iteration + 1; iteration <= config.Iterations; iteration++)
                {
                    using var activity = PpoTelemetry.StartIteration(runId, iteration);
                    var watch = Stopwatch.StartNew();
                    var outcome = await trainer.RunIterationAsync(iteration, cancellationToken).ConfigureAwait(false);
                    var values = new Dictionary<string, double>(outcome.Metrics);
                    foreach (var (name, value) in TextDiversity.Metrics(outcome.Rollout.ResponseTexts))
                        values[name] = value;
                    if (config.EvalEvery > 0 && iteration % config.EvalEvery == 0 && iteration != config.Iterations)
                    {
                        var (eval, _, _) = await trainer.EvaluateAsync(cancellationToken).ConfigureAwait(false);
                        AddEval(values, eval);
                    }
                    if (config.SampleEvery > 0 && (iteration % config.SampleEvery == 0 || iteration == 1))
                        WriteSamples(samples, iteration, outcome.Rollout, outcome.KlPerResponse);
                    state = state with { Iteration = iteration, KlController = trainer.KlControllerState, WallSeconds = state.WallSeconds + watch.Elapsed.TotalSeconds };
                    // The metrics line goes first: a failure while saving leaves the previous checkpoint as latest, and a
                    // resume from it drops this line again, so every iteration appears exactly once.
                    metrics.Append(iteration, values);
                    if (iteration == config.Iterations || (config.SaveEvery > 0 && iteration % config.SaveEvery == 0))
                    {
                        await SaveAsync(clients, config, runId, run, state, call).ConfigureAwait(false);
                    }
                    pass.Report(iteration, ProgressLine(iteration, config.Iterations, values));
                    options.IterationCompleted?.Invoke(iteration, values);
                }
            }

            // final evaluation, summary, report, gates
            var (final, finalRollout, finalKl) = await trainer.EvaluateAsync(cancellationToken).ConfigureAwait(false);
            var initialEval = state.InitialEval ?? throw new InvalidOperationException("the run's state has no initial evaluation");
            run.WriteEvalSamples([
                .. run.ReadEvalSamples().Where(s => s.Phase == EvalSampleRecord.Initial),
                .. EvalSamples(EvalSampleRecord.Final, state.Iteration, finalRollout, finalKl),
            ]);
            var summary = new RunSummary(initialEval.Score, final.Score, final.Kl, initialEval.RefNll, final.RefNll, state.Iteration, state.WallSeconds)
            {
                Extra = new Dictionary<string, double>
                {
                    [SummaryKeys.KlInitial] = initialEval.Kl,
                    [SummaryKeys.ResponseLengthInitial] = initialEval.ResponseLength,
                    [SummaryKeys.ResponseLengthFinal] = final.ResponseLength,
                    [SummaryKeys.EosFractionFinal] = final.EosFraction,
                    [SummaryKeys.RefNllRatio] = final.RefNll / initialEval.RefNll,
                },
            };
            run.WriteSummary(summary);
            var summaryValues = run.ReadSummary();
            var gates = GateEvaluator.EvaluateAll(options.Gates ?? [], summaryValues);
            run.WriteReport(HtmlReport.Render(ReportData.FromRun(run, $"PPO run {runId}", gates)));
            await ReleaseAsync(clients, config, runId, call, quietly: false).ConfigureAwait(false);
            reporter.WriteLine($"final eval: score {final.Score:F3} (initial {initialEval.Score:F3}, gain {final.Score - initialEval.Score:+0.000;-0.000})  kl {final.Kl:F3}  ref_nll {final.RefNll:F3} (initial {initialEval.RefNll:F3})");
            return new PpoRunResult(summaryValues, gates, run);
        }
        catch
        {
            // Leave no lease behind on a surviving service, so `--resume` (a new run id) can take it at once: a few
            // seconds, no retries, whatever the run's own cancellation token says.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await ReleaseAsync(clients, config, runId, new CallOptions(cancellationToken: timeout.Token), quietly: true)
                .ConfigureAwait(false);
            throw;
        }
    }

    private static void AddEval(Dictionary<string, double> values, EvaluationResult eval)
    {
        values[MetricNames.EvalScore] = eval.Score;
        values[MetricNames.EvalKl] = eval.Kl;
        values[MetricNames.EvalRefNll] = eval.RefNll;
        values[MetricNames.EvalResponseLength] = eval.ResponseLength;
    }

    private static string ProgressLine(int iteration, int total, IReadOnlyDictionary<string, double> m) =>
        $"iter {iteration}/{total}  score {m.GetValueOrDefault(MetricNames.ObjectiveScores):F3}  kl {m.GetValueOrDefault(MetricNames.ObjectiveKl):F3}  " +
        $"kl_coef {m.GetValueOrDefault(MetricNames.ObjectiveKlCoef):F4}  entropy {m.GetValueOrDefault(MetricNames.ObjectiveEntropy):F3}  " +
        $"pg_loss {m.GetValueOrDefault(MetricNames.LossPolicyAvg):F4}  vf_loss {m.GetValueOrDefault(MetricNames.LossValueAvg):F4}  " +
        $"clipfrac {m.GetValueOrDefault(MetricNames.PolicyClipFracAvg):F3}  {m.GetValueOrDefault("timing/iteration_s"):F1}s  " +
        $"{m.GetValueOrDefault("throughput/tokens_per_s"):F0} tok/s" +
        (m.TryGetValue(MetricNames.EvalScore, out var e) ? $"  eval_score {e:F3}" : "");

    private static IEnumerable<EvalSampleRecord> EvalSamples(string phase, int iteration, Rollout rollout, double[] klPerResponse) =>
        Enumerable.Range(0, rollout.Count).Select(i =>
            new EvalSampleRecord(phase, iteration, i, rollout.PromptTexts[i], rollout.ResponseTexts[i], rollout.Scores[i], klPerResponse[i]));

    private static void WriteSamples(SamplesWriter samples, int iteration, Rollout rollout, double[] klPerResponse)
    {
        for (var i = 0; i < Math.Min(rollout.Count, 8); i++)
            samples.Append(new SampleRecord(iteration, rollout.PromptTexts[i], rollout.ResponseTexts[i], rollout.Scores[i], klPerResponse[i]));
    }

    private static async Task<bool> CheckTokenizersAsync(ModelClients clients, CallOptions call)
    {
        var policy = await clients.Policy.GetModelInfoAsync(new GetModelInfoRequest(), call).ConfigureAwait(false);
        var reference = await clients.Reference.GetModelInfoAsync(new GetModelInfoRequest(), call).ConfigureAwait(false);
        var reward = await clients.Reward.GetModelInfoAsync(new GetModelInfoRequest(), call).ConfigureAwait(false);
        if (policy.TokenizerFingerprint != reference.TokenizerFingerprint || policy.VocabSize != reference.VocabSize)
            throw Rpc.Error(StatusCode.FailedPrecondition,
                $"policy and reference use different tokenizers ({policy.TokenizerFingerprint} vs {reference.TokenizerFingerprint}); the KL penalty needs the same vocabulary");
        if (clients.Critic is not null)
        {
            var critic = await clients.Critic.GetModelInfoAsync(new GetModelInfoRequest(), call).ConfigureAwait(false);
            if (critic.TokenizerFingerprint != policy.TokenizerFingerprint || critic.VocabSize != policy.VocabSize)
                throw Rpc.Error(StatusCode.FailedPrecondition,
                    $"policy and critic use different tokenizers ({policy.TokenizerFingerprint} vs {critic.TokenizerFingerprint}); values are per policy token");
        }
        // A reward model with another tokenizer scores by text.
        return reward.TokenizerFingerprint != policy.TokenizerFingerprint || reward.VocabSize != policy.VocabSize;
    }

    private static async Task SaveAsync(ModelClients clients, PpoConfig config, string runId, RunDirectory run, OrchestratorState state, CallOptions call)
    {
        var dir = Path.GetFullPath(run.CheckpointPath(state.Iteration));
        Directory.CreateDirectory(dir);
        await clients.Policy.SaveCheckpointAsync(new SaveCheckpointRequest { RunId = runId, Path = Path.Combine(dir, "policy"), IncludeOptimizerState = true }, call).ConfigureAwait(false);
        if (TrainedCritic(clients, config) is { } critic)
            await critic.SaveCheckpointAsync(new SaveCheckpointRequest { RunId = runId, Path = Path.Combine(dir, "critic"), IncludeOptimizerState = true }, call).ConfigureAwait(false);
        AtomicFile.WriteAllText(Path.Combine(dir, StateFile), JsonSerializer.Serialize(state, Json));
        run.MarkLatestCheckpoint(state.Iteration);
    }

    private static async Task<OrchestratorState> RestoreAsync(ModelClients clients, PpoConfig config, string runId, string dir, CallOptions call)
    {
        var state = ReadState(dir);
        await clients.Policy.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = runId, Path = Path.GetFullPath(Path.Combine(dir, "policy")), LoadOptimizerState = true }, call).ConfigureAwait(false);
        if (TrainedCritic(clients, config) is { } critic)
            await critic.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = runId, Path = Path.GetFullPath(Path.Combine(dir, "critic")), LoadOptimizerState = true }, call).ConfigureAwait(false);
        return state;
    }

    /// <summary>The orchestrator state saved in checkpoint folder <paramref name="dir"/>.</summary>
    /// <exception cref="InvalidDataException">The file holds JSON null.</exception>
    internal static OrchestratorState ReadState(string dir)
    {
        var path = Path.Combine(dir, StateFile);
        return JsonSerializer.Deserialize<OrchestratorState>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
    }

    /// <summary>The critic client when the algorithm trains one (lease, checkpoints), else null.</summary>
    private static CriticService.CriticServiceClient? TrainedCritic(ModelClients clients, PpoConfig config) => config.UsesCritic ? clients.Critic : null;

    /// <summary>
    /// Releases the training leases on the policy and, when the algorithm trains one, the critic. With
    /// <paramref name="quietly"/> (best effort after a failure) both releases are tried, and RPC errors and cancellation
    /// are swallowed: the service may be gone, or may never have granted the lease.
    /// </summary>
    private static async Task ReleaseAsync(ModelClients clients, PpoConfig config, string runId, CallOptions call, bool quietly)
    {
        var request = new ReleaseTrainingLeaseRequest { RunId = runId };
        await Release(clients.Policy.ReleaseTrainingLeaseAsync(request, call).ResponseAsync).ConfigureAwait(false);
        if (TrainedCritic(clients, config) is { } critic)
            await Release(critic.ReleaseTrainingLeaseAsync(request, call).ResponseAsync).ConfigureAwait(false);

        async Task Release(Task release)
        {
            try
            {
                await release.ConfigureAwait(false);
            }
            catch (Exception e) when (quietly && e is RpcException or OperationCanceledException)
            {
                // best effort
            }
        }
    }
}
