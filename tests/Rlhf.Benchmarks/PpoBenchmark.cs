using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Polly;
using Rlhf.Client;
using Rlhf.Data;
using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Grpc;
using Rlhf.Grpc.AspNetCore;
using Rlhf.ModelServices;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Training;
using Rlhf.Protos.V1;

namespace Rlhf.Benchmarks;

/// <summary>
/// What gRPC costs a PPO iteration: the same iterations of the main job's configuration
/// (examples/tinystories-positive.yaml: batch 32, max_new_tokens 48, ppo_epochs 4, mini_batch 8) run twice on fresh
/// services with the same seeds — once over real gRPC on loopback (<see cref="EmbeddedSuite"/> + <see cref="GrpcChannel"/>,
/// as <c>rlhf ppo</c> runs), once with direct in-process calls (<see cref="InProcessCallInvoker"/> over the same
/// service implementations, hosts built the same way but never started) — and reports the trainer's
/// <c>timing/*_s</c> stage times and the transport share (gRPC − direct) / gRPC per stage.
/// Models: stories260K policy and reference; critic and reward from runs/reward-sst2/model when it exists, else
/// stories260K with a seeded random scalar head (score.weight ~ N(0, 1/dim), bias 0) so scores, values and
/// advantages are non-trivial.
/// </summary>
internal static class PpoBenchmark
{
    /// <summary>Seed of the random scalar head.</summary>
    private const ulong ScoreHeadSeed = 1234;

    private static readonly string[] Stages = ["generate", "score", "math", "optimize", "iteration"];

    /// <summary>Process CPU time (all threads: trainer and services) over the iteration, in seconds.</summary>
    private const string CpuKey = "cpu";

    /// <summary>RPCs made over the iteration.</summary>
    private const string CallsKey = "calls";

    /// <summary>Protobuf-encoded bytes of the iteration's requests and responses (what gRPC puts on the wire, before framing).</summary>
    private const string BytesKey = "bytes";

    /// <summary>Runs the benchmark (arguments after <c>ppo</c>): <c>[--iterations N] [--warmup N] [--quick]</c>.</summary>
    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick");
        var iterations = BenchArgs.Option<int>(args, "--iterations") ?? (quick ? 1 : 3);
        var warmup = BenchArgs.Option<int>(args, "--warmup") ?? 1;
        return RunAsync(iterations, warmup, quick).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int iterations, int warmup, bool quick)
    {
        var work = Directory.CreateTempSubdirectory("rlhf-bench-ppo-");
        try
        {
            var (scoreModel, scoreModelText) = ScoreModel(work.FullName);
            var overrides = new List<string>
            {
                $"reward_model={scoreModel}", $"critic_model={scoreModel}", $"output_dir={Path.Combine(work.FullName, "run")}",
                "batch_size=32", "max_new_tokens=48", "ppo_epochs=4", "mini_batch_size=8", $"iterations={warmup + iterations}",
            };
            if (quick)
                overrides.AddRange(["batch_size=8", "mini_batch_size=4", "ppo_epochs=1", "max_new_tokens=16"]);
            var configPath = Path.Combine(BenchPaths.RepoRoot, "examples", "tinystories-positive.yaml");
            var config = ConfigLoader.Load<PpoConfig>(configPath, overrides, Environment.CurrentDirectory);
            var prompts = RunEnvironment.LoadPrompts(config);

            var (grpc, direct) = await RunBothAsync(config, prompts, warmup, iterations).ConfigureAwait(false);
            Print(config, scoreModelText, warmup, iterations, grpc, direct);
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

        var model = ModelFiles.Load(Path.Combine(BenchPaths.DataDir, "stories260K.bin"));
        var rng = new Xoshiro256StarStar(ScoreHeadSeed);
        var std = 1.0 / Math.Sqrt(model.Config.Dim);
        foreach (var p in model.Parameters.Where(p => p.Name == "score.weight"))
        {
            var span = p.Data.Span;
            for (var i = 0; i < span.Length; i++)
                span[i] = (float)(rng.NextGaussian() * std);
        }
        var dir = Path.Combine(work, "score-model");
        CheckpointDirectory.Save(dir, model.Config, model.Parameters, tokenizerPath: Path.Combine(BenchPaths.DataDir, "tok512.bin"));
        return (dir, $"stories260K with a random scalar head (score.weight ~ N(0, 1/{model.Config.Dim}), seed {ScoreHeadSeed})");
    }

    /// <summary>Stage times (s) of each measured iteration, and the non-timing metrics (to check both modes computed the same).</summary>
    private sealed record ModeResult(List<Dictionary<string, double>> Timings, List<Dictionary<string, double>> Metrics);

    /// <summary>
    /// Runs both modes on their own fresh services, alternating iterations (gRPC first on odd iterations, direct first on
    /// even ones) so that load from elsewhere on the machine falls on both alike.
    /// </summary>
    private static async Task<(ModeResult Grpc, ModeResult Direct)> RunBothAsync(PpoConfig config, PromptSet prompts, int warmup, int iterations)
    {
        await using var grpc = await Mode.StartAsync(config, prompts, overTransport: true).ConfigureAwait(false);
        await using var direct = await Mode.StartAsync(config, prompts, overTransport: false).ConfigureAwait(false);
        for (var iteration = 1; iteration <= warmup + iterations; iteration++)
        {
            var order = iteration % 2 == 1 ? new[] { grpc, direct } : [direct, grpc];
            foreach (var mode in order)
                await mode.RunIterationAsync(iteration, measured: iteration > warmup).ConfigureAwait(false);
        }
        await grpc.ReleaseAsync().ConfigureAwait(false);
        await direct.ReleaseAsync().ConfigureAwait(false);
        return (grpc.Result, direct.Result);
    }

    /// <summary>One way of calling the services: its hosts, clients, trainer and measurements.</summary>
    private sealed class Mode : IAsyncDisposable
    {
        private readonly List<GrpcChannel> _channels = [];
        private readonly List<WebApplication> _apps = [];
        private EmbeddedSuite? _suite;
        private ModelClients? _clients;
        private PpoTrainer? _trainer;
        private readonly CallCounter _counter = new();
        private string _runId = "";

        private Mode(string name) => Name = name;

        public string Name { get; }

        public ModeResult Result { get; } = new([], []);

        /// <summary>
        /// Hosts the four services — started behind Kestrel for gRPC (as <c>rlhf ppo</c> does), or built but never
        /// started and called through <see cref="InProcessCallInvoker"/> — and takes the training leases.
        /// </summary>
        public static async Task<Mode> StartAsync(PpoConfig config, PromptSet prompts, bool overTransport)
        {
            var mode = new Mode(overTransport ? "gRPC" : "direct");
            try
            {
                await mode.StartCoreAsync(config, prompts, overTransport).ConfigureAwait(false);
                return mode;
            }
            catch
            {
                await mode.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        private async Task StartCoreAsync(PpoConfig config, PromptSet prompts, bool overTransport)
        {
            var roles = RunEnvironment.EmbeddedModels(config);
            var invokers = new Dictionary<ModelRole, CallInvoker>();
            if (overTransport)
            {
                _suite = await EmbeddedSuite.StartAsync(roles, config.Threads, CancellationToken.None).ConfigureAwait(false);
                foreach (var role in roles.Keys)
                {
                    var channel = GrpcChannel.ForAddress(_suite.Address(role), new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20, MaxSendMessageSize = 64 << 20 });
                    _channels.Add(channel);
                    invokers[role] = channel.CreateCallInvoker();
                }
            }
            else
            {
                foreach (var (role, model) in roles)
                {
                    var app = ModelServiceHosting.Build(role, ["--urls", "http://127.0.0.1:0"], EmbeddedSuite.HostSettings(model, config.Threads));
                    _apps.Add(app);
                    var direct = new InProcessCallInvoker(app.Services);
                    var descriptor = ModelServiceHosting.Descriptor(role);
                    invokers[role] = role switch
                    {
                        ModelRole.Policy => direct.AddService<PolicyServiceImpl>(descriptor),
                        ModelRole.Reference => direct.AddService<ReferenceServiceImpl>(descriptor),
                        ModelRole.Critic => direct.AddService<CriticServiceImpl>(descriptor),
                        _ => direct.AddService<RewardServiceImpl>(descriptor),
                    };
                }
            }

            foreach (var role in invokers.Keys.ToList())
                invokers[role] = new CountingCallInvoker(invokers[role], _counter);
            var pipeline = GrpcResiliencePipeline.Create(new GrpcResilienceOptions { OverallTimeout = TimeSpan.FromMinutes(10) });
            _clients = new ModelClients(
                new PolicyServiceClient(invokers[ModelRole.Policy], pipeline),
                new ReferenceServiceClient(invokers[ModelRole.Reference], pipeline),
                new CriticServiceClient(invokers[ModelRole.Critic], pipeline),
                new RewardServiceClient(invokers[ModelRole.Reward], pipeline));
            _runId = $"bench-{Name}-{Guid.NewGuid():N}";
            await _clients.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = _runId }).ConfigureAwait(false);
            await _clients.Critic!.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = _runId }).ConfigureAwait(false);
            _trainer = new PpoTrainer(config, _clients, prompts.Train, RunEnvironment.EvalPrompts(config, prompts), _runId);
        }

        /// <summary>Runs one iteration; records its stage times and metrics when <paramref name="measured"/>.</summary>
        public async Task RunIterationAsync(int iteration, bool measured)
        {
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var (callsBefore, bytesBefore) = (_counter.Calls, _counter.Bytes);
            var outcome = await _trainer!.RunIterationAsync(iteration, CancellationToken.None).ConfigureAwait(false);
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Name} iteration {iteration}{(measured ? "" : " (warm-up)")}: {outcome.Metrics["timing/iteration_s"]:0.000} s"));
            if (!measured)
                return;
            var timings = Stages.ToDictionary(s => s, s => outcome.Metrics[$"timing/{s}_s"]);
            timings[CpuKey] = cpu;
            timings[CallsKey] = _counter.Calls - callsBefore;
            timings[BytesKey] = _counter.Bytes - bytesBefore;
            Result.Timings.Add(timings);
            Result.Metrics.Add(outcome.Metrics.Where(kv => !kv.Key.StartsWith("timing/", StringComparison.Ordinal) && !kv.Key.StartsWith("throughput/", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value));
        }

        /// <summary>Gives the training leases back.</summary>
        public async Task ReleaseAsync()
        {
            await _clients!.Policy.ReleaseTrainingLeaseAsync(new ReleaseTrainingLeaseRequest { RunId = _runId }).ConfigureAwait(false);
            await _clients.Critic!.ReleaseTrainingLeaseAsync(new ReleaseTrainingLeaseRequest { RunId = _runId }).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var channel in _channels)
                channel.Dispose();
            if (_suite is not null)
                await _suite.DisposeAsync().ConfigureAwait(false);
            foreach (var app in _apps)
                await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void Print(PpoConfig config, string scoreModel, int warmup, int iterations, ModeResult grpc, ModeResult direct)
    {
        static double Mean(ModeResult r, string stage) => r.Timings.Average(t => t[stage]);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv,
            $"## PPO iteration: gRPC vs in-process (batch {config.BatchSize}, max_new_tokens {config.MaxNewTokens}, ppo_epochs {config.PpoEpochs}, mini_batch {config.MiniBatchSize}; mean of {iterations} iteration(s) after {warmup} warm-up; engine threads {config.Threads})"));
        Console.WriteLine();
        Console.WriteLine("| stage | gRPC loopback (ms) | direct in-process (ms) | gRPC − direct (ms) | transport + serialization share |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var stage in Stages.Append(CpuKey))
        {
            double g = Mean(grpc, stage) * 1e3, d = Mean(direct, stage) * 1e3;
            var name = stage switch
            {
                "score" => "score (logprobs, ref_logprobs, values, reward)",
                "iteration" => "**total (iteration wall time)**",
                CpuKey => "process CPU time over the iteration (all threads; not wall time)",
                _ => stage,
            };
            Console.WriteLine(string.Create(inv, $"| {name} | {g:N1} | {d:N1} | {g - d:+#,0.0;−#,0.0;0.0} | {(g > 0 ? (g - d) / g : double.NaN):+0.0%;−0.0%;0.0%} |"));
        }
        Console.WriteLine();
        double calls = Mean(grpc, CallsKey), bytes = Mean(grpc, BytesKey);
        Console.WriteLine(string.Create(inv,
            $"RPCs per iteration: {calls:N0} ({bytes / 1e6:0.00} MB of protobuf messages); transport + serialization per RPC: {(Mean(grpc, "iteration") - Mean(direct, "iteration")) * 1e3 / calls:0.00} ms wall, {(Mean(grpc, CpuKey) - Mean(direct, CpuKey)) * 1e3 / calls:0.00} ms CPU."));
        Console.WriteLine(string.Create(inv, $"Per-iteration totals (s): gRPC {string.Join(", ", grpc.Timings.Select(t => t["iteration"].ToString("0.000", inv)))}; direct {string.Join(", ", direct.Timings.Select(t => t["iteration"].ToString("0.000", inv)))}."));
        var same = grpc.Metrics.Count == direct.Metrics.Count && grpc.Metrics.Zip(direct.Metrics).All(p =>
            p.First.Count == p.Second.Count && p.First.All(kv => p.Second.TryGetValue(kv.Key, out var v) && (v.Equals(kv.Value))));
        Console.WriteLine($"Both modes computed {(same ? "identical" : "DIFFERENT")} training metrics (rewards, KL, losses, response lengths) in every measured iteration.");
        Console.WriteLine($"Critic and reward model: {scoreModel}.");
    }

    /// <summary>Counts a mode's RPCs and their encoded message bytes.</summary>
    private sealed class CallCounter
    {
        private long _calls;
        private long _bytes;

        public long Calls => Interlocked.Read(ref _calls);

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Add(long bytes)
        {
            Interlocked.Increment(ref _calls);
            Interlocked.Add(ref _bytes, bytes);
        }

        public void AddBytes(long bytes) => Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>Counts unary calls (request and response sizes) on the way through; the same wrapper in both modes.</summary>
    private sealed class CountingCallInvoker(CallInvoker inner, CallCounter counter) : CallInvoker
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        {
            counter.Add(request.CalculateSize());
            var call = inner.AsyncUnaryCall(method, request, options);
            var response = call.ResponseAsync.ContinueWith(t =>
            {
                counter.AddBytes(t.IsCompletedSuccessfully ? t.Result.CalculateSize() : 0);
                return t;
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
            return new AsyncUnaryCall<TResponse>(response, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
        }

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        {
            counter.Add(request.CalculateSize());
            return inner.AsyncServerStreamingCall(method, request, options);
        }

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
            inner.AsyncClientStreamingCall(method, options);

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
            inner.AsyncDuplexStreamingCall(method, options);
    }
}
