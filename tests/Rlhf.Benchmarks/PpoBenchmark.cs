using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Rlhf.Engine;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Training;
using Rlhf.ServiceDefaults;
using Rlhf.ServiceDefaults.Calls;

namespace Rlhf.Benchmarks;

/// <summary>
/// What the gRPC transport costs a PPO iteration: the main job's configuration (examples/tinystories-positive.yaml:
/// batch 32, max_new_tokens 48, ppo_epochs 4, mini_batch 8, engine threads 2) run as <c>rlhf ppo</c> runs it
/// (<see cref="RunEnvironment"/>: the four model services in this process on loopback Kestrel ports, real HTTP/2;
/// <see cref="PpoRun"/>), under the tracer provider <c>rlhf ppo</c> builds (<see cref="SuiteTracing"/>). Each iteration is one
/// trace; per iteration and stage it adds up the time inside the gRPC client calls (client spans) and the time inside
/// the server handlers (<c>rlhf.grpc.server.duration</c> of <see cref="CallObserverInterceptor"/>, attributed to its
/// call through the server span current when it is recorded). Transport = client − handler: HTTP/2 framing, protobuf
/// serialization both ways, sockets, Kestrel and the grpc-dotnet pipelines. Concurrent calls (the score stage makes four at
/// once) add up their transport separately, so the sum bounds the wall time it costs from above.
/// Models: stories260K policy and reference; critic and reward from runs/reward-sst2/model when it exists, else
/// stories260K with a seeded random scalar head (score.weight ~ N(0, 1/dim), bias 0).
/// </summary>
internal static class PpoBenchmark
{
    /// <summary>Seed of the random scalar head.</summary>
    private const ulong ScoreHeadSeed = 1234;

    /// <summary>Stages in table order; "checkpoint and samples" is the iteration's own spans outside the three stages.</summary>
    private static readonly (string Span, string Label)[] Stages =
    [
        (PpoTelemetry.GenerateActivity, "generate"),
        (PpoTelemetry.ScoreActivity, "score (logprobs, ref_logprobs, values, reward)"),
        (PpoTelemetry.OptimizeActivity, "optimize"),
        (PpoTelemetry.IterationActivity, "rest of the iteration (math, checkpoint)"),
    ];

    /// <summary>Runs the benchmark (arguments after <c>ppo</c>): <c>[--iterations N] [--warmup N] [--quick]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var iterations = BenchArgs.Option<int>(args, "--iterations") ?? (quick ? 1 : 3);
        var warmup = BenchArgs.Option<int>(args, "--warmup") ?? 1;
        var work = Directory.CreateTempSubdirectory("rlhf-bench-ppo-");
        try
        {
            var (scoreModel, scoreModelText) = ScoreModel(work.FullName);
            var overrides = new List<string>
            {
                $"reward_model={scoreModel}", $"critic_model={scoreModel}", $"output_dir={Path.Combine(work.FullName, "run")}",
                $"iterations={warmup + iterations}",
            };
            if (quick)
                overrides.AddRange(["batch_size=8", "mini_batch_size=4", "ppo_epochs=1", "max_new_tokens=16", "eval_prompts=4"]);
            var configPath = Path.Combine(BenchPaths.RepoRoot, "examples", "tinystories-positive.yaml");
            var config = ConfigLoader.Load<PpoConfig>(configPath, overrides, Environment.CurrentDirectory);
            var prompts = RunEnvironment.LoadPrompts(config);

            using var spans = new SpanLedger();
            using (SuiteTracing.CreateTracerProvider("rlhf-bench-ppo", otlpEndpoint: null, b => b.AddProcessor(spans)))
            {
                await using var environment = await RunEnvironment.StartAsync(config, OrchestratorServiceHost.ModelServiceHosts, apiKey: null,
                    progress: null, CancellationToken.None).ConfigureAwait(false);
                await PpoRun.RunAsync(config, environment.Clients, prompts.Train, RunEnvironment.EvalPrompts(config, prompts),
                    new PpoRunOptions(RunId: "bench-ppo", Progress: line => Console.Error.WriteLine(line)), CancellationToken.None).ConfigureAwait(false);
            }
            Print(config, scoreModelText, warmup, spans.Iterations().Where(i => i.Number > warmup).ToList());
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The critic/reward checkpoint: the SST-2 reward model when trained, else stories260K with a random scalar head.</summary>
    private static (string Path, string Description) ScoreModel(string work)
    {
        var sst2 = Path.Combine(BenchPaths.RepoRoot, "runs", "reward-sst2", "model");
        if (Directory.Exists(sst2))
            return (sst2, "the SST-2 reward model (runs/reward-sst2/model)");

        using var model = Rlhf.Models.Native.NativeSequenceModel.Load(Path.Combine(BenchPaths.DataDir, "stories260K.bin"),
            new Rlhf.Models.ModelLoadOptions { Threads = 1, TokenizerPath = Path.Combine(BenchPaths.DataDir, "tok512.bin") });
        var rng = new Xoshiro256StarStar(ScoreHeadSeed);
        var std = 1.0 / Math.Sqrt(model.Model.Config.Dim);
        var weight = model.Model.Parameters.Single(p => p.Name == "score.weight").Data.Span;
        for (var i = 0; i < weight.Length; i++)
            weight[i] = (float)(rng.NextGaussian() * std);
        var dir = Path.Combine(work, "score-model");
        model.SaveCheckpoint(dir, includeOptimizerState: false);
        return (dir, $"stories260K with a random scalar head (score.weight ~ N(0, 1/{model.Model.Config.Dim}), seed {ScoreHeadSeed})");
    }

    /// <summary>One stage of one iteration: wall time, RPCs, and the summed time in client calls, server requests and handlers (ms).</summary>
    private sealed record StageTimes(double WallMs, int Calls, double ClientMs, double ServerMs, double HandlerMs)
    {
        public double TransportMs => ClientMs - HandlerMs;

        public static StageTimes operator +(StageTimes a, StageTimes b) =>
            new(a.WallMs + b.WallMs, a.Calls + b.Calls, a.ClientMs + b.ClientMs, a.ServerMs + b.ServerMs, a.HandlerMs + b.HandlerMs);
    }

    /// <summary>One measured iteration: its number, and the times of each stage (<see cref="Stages"/>) and of the whole.</summary>
    private sealed record IterationTimes(int Number, Dictionary<string, StageTimes> Stages, StageTimes Total);

    /// <summary>
    /// Collects every ended span (a tracer-provider processor) and the handler time of every call (a listener on
    /// <c>rlhf.grpc.server.duration</c>, keyed by the server span current while the interceptor records it).
    /// </summary>
    private sealed class SpanLedger : BaseProcessor<Activity>
    {
        private sealed record Span(ActivityTraceId TraceId, ActivitySpanId SpanId, ActivitySpanId ParentSpanId, ActivityKind Kind,
            string Source, string Name, double DurationMs, object? Iteration);

        private readonly ConcurrentBag<Span> _spans = [];
        private readonly ConcurrentDictionary<ActivitySpanId, double> _handlerMs = new();
        private readonly MeterListener _listener = new();

        public SpanLedger()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                // the meter's one histogram: the duration of the call around the service method (ms)
                if (instrument.Meter.Name == CallObserverInterceptor.MeterName && instrument is Histogram<double>)
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((_, ms, _, _) =>
            {
                if (Activity.Current is { Kind: ActivityKind.Server } server)
                    _handlerMs[server.SpanId] = ms;
            });
            _listener.Start();
        }

        public override void OnEnd(Activity data) =>
            _spans.Add(new Span(data.TraceId, data.SpanId, data.ParentSpanId, data.Kind, data.Source.Name, data.OperationName,
                data.Duration.TotalMilliseconds, data.GetTagItem(PpoTelemetry.IterationTag)));

        /// <summary>Every iteration's times, in order.</summary>
        public List<IterationTimes> Iterations()
        {
            var spans = _spans.ToArray();
            var byId = spans.ToDictionary(s => s.SpanId);
            var result = new List<IterationTimes>();
            foreach (var root in spans.Where(s => s.Source == PpoTelemetry.SourceName && s.Name == PpoTelemetry.IterationActivity).OrderBy(s => (int)s.Iteration!))
            {
                var inTrace = spans.Where(s => s.TraceId == root.TraceId).ToList();
                // the stage a call belongs to: its client span's nearest orchestration ancestor
                string StageOf(Span client)
                {
                    var s = client;
                    while (byId.TryGetValue(s.ParentSpanId, out var parent))
                    {
                        if (parent.Source == PpoTelemetry.SourceName && Stages.Any(st => st.Span == parent.Name))
                            return parent.Name;
                        s = parent;
                    }
                    return PpoTelemetry.IterationActivity;
                }

                var stages = Stages.ToDictionary(st => st.Span, st => new StageTimes(
                    st.Span == PpoTelemetry.IterationActivity ? 0 : inTrace.Where(s => s.Name == st.Span).Sum(s => s.DurationMs), 0, 0, 0, 0));
                foreach (var client in inTrace.Where(s => s.Kind == ActivityKind.Client))
                {
                    var servers = inTrace.Where(s => s.Kind == ActivityKind.Server && s.ParentSpanId == client.SpanId).ToList();
                    var stage = StageOf(client);
                    stages[stage] += new StageTimes(0, 1, client.DurationMs, servers.Sum(s => s.DurationMs),
                        servers.Sum(s => _handlerMs.GetValueOrDefault(s.SpanId)));
                }
                var inStages = stages.Where(kv => kv.Key != PpoTelemetry.IterationActivity).Sum(kv => kv.Value.WallMs);
                stages[PpoTelemetry.IterationActivity] = stages[PpoTelemetry.IterationActivity] with { WallMs = root.DurationMs - inStages };
                var total = stages.Values.Aggregate((a, b) => a + b) with { WallMs = root.DurationMs };
                result.Add(new IterationTimes((int)root.Iteration!, stages, total));
            }
            return result;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _listener.Dispose();
            base.Dispose(disposing);
        }
    }

    private static void Print(PpoConfig config, string scoreModel, int warmup, List<IterationTimes> measured)
    {
        var inv = CultureInfo.InvariantCulture;
        if (measured.Count == 0)
            throw new InvalidOperationException("no iteration was measured: are the iteration spans (Rlhf.Orchestration) traced?");
        StageTimes Mean(Func<IterationTimes, StageTimes> select)
        {
            var sum = measured.Select(select).Aggregate((a, b) => a + b);
            double n = measured.Count;
            return new StageTimes(sum.WallMs / n, (int)Math.Round(sum.Calls / n), sum.ClientMs / n, sum.ServerMs / n, sum.HandlerMs / n);
        }

        Console.WriteLine(string.Create(inv,
            $"## PPO iteration: transport share (batch {config.BatchSize}, max_new_tokens {config.MaxNewTokens}, ppo_epochs {config.PpoEpochs}, mini_batch {config.MiniBatchSize}; mean of {measured.Count} iteration(s) after {warmup} warm-up; engine threads {config.Threads}; {Environment.ProcessorCount} cores)"));
        Console.WriteLine();
        Console.WriteLine("| stage | wall (ms) | RPCs | in gRPC client calls (ms) | in server handlers (ms) | transport = client − handler (ms) | transport / wall |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (span, label) in Stages)
        {
            var t = Mean(i => i.Stages[span]);
            Console.WriteLine(string.Create(inv,
                $"| {label} | {t.WallMs:N1} | {t.Calls} | {t.ClientMs:N1} | {t.HandlerMs:N1} | {t.TransportMs:N1} | {t.TransportMs / t.WallMs:0.0%} |"));
        }
        var total = Mean(i => i.Total);
        Console.WriteLine(string.Create(inv,
            $"| **iteration** | {total.WallMs:N1} | {total.Calls} | {total.ClientMs:N1} | {total.HandlerMs:N1} | {total.TransportMs:N1} | **{total.TransportMs / total.WallMs:0.0%}** |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(inv,
            $"Transport share of the iteration: {total.TransportMs / total.WallMs:0.0%} (target ≤ 5%); {total.TransportMs / total.Calls:0.00} ms per RPC, of which {(total.ServerMs - total.HandlerMs) / total.Calls:0.00} ms in the server's pipeline (ASP.NET Core request span − handler: request and response (de)serialization, Kestrel, interceptors outside the call observer) and {(total.ClientMs - total.ServerMs) / total.Calls:0.00} ms on the client side and the wire (client span − server span)."));
        Console.WriteLine(string.Create(inv,
            $"Per-iteration transport share: {string.Join(", ", measured.Select(i => $"{i.Number}: {i.Total.TransportMs / i.Total.WallMs:0.0%} of {i.Total.WallMs / 1e3:0.000} s"))}."));
        Console.WriteLine($"Critic and reward model: {scoreModel}.");
    }
}
