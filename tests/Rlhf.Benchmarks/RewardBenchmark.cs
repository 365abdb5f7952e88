using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client;
using Grpc.Core;
using Grpc.Net.Client;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Rlhf.Contracts.V1;
using Rlhf.ServiceDefaults;

namespace Rlhf.Benchmarks;

/// <summary>
/// RewardService over real gRPC on loopback (the host its executable runs, started in this process on stories260K
/// from the shared data): scored sequences per second and p50/p99 call latency at concurrency 1, 8 and 32, each call
/// one (prompt, response) of 16 + 128 token ids, with micro-batching on (<c>Reward:MaxBatchSize</c> 64,
/// <c>Reward:MaxWaitMs</c> 5) and off. Each cell runs closed-loop clients for a fixed time after a warm-up.
/// </summary>
public static class RewardBenchmark
{
    private const int PromptTokens = 16;
    private const int ResponseTokens = 128;
    private static readonly int[] Concurrencies = [1, 8, 32];

    /// <summary>Runs the benchmark and prints the table; returns the exit code.</summary>
    /// <param name="args"><c>--seconds S</c> (measured time per cell, default 5), <c>--data DIR</c> (default ../shared/data or $RLHF_DATA_DIR).</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = BenchArgs.Option<double>(args, "--seconds") ?? 5;
        var data = BenchArgs.Option(args, "--data") ?? BenchPaths.DataDir;
        var model = Path.Combine(data, "stories260K.bin");
        if (!File.Exists(model))
        {
            Console.Error.WriteLine($"reward benchmark: {model} not found (pass --data DIR or set RLHF_DATA_DIR)");
            return 2;
        }

        Console.WriteLine($"RewardService, stories260K, {PromptTokens}+{ResponseTokens} tokens per sequence, one sequence per call, {seconds:0.#} s per cell, {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| micro-batching | concurrency | sequences/s | p50 latency (ms) | p99 latency (ms) | mean batch |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var batching in new[] { true, false })
        {
            var app = OrchestratorServiceHost.ModelServiceHosts.Reward(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string?>
            {
                ["Model:Checkpoint"] = model,
                ["Model:Threads"] = "0",
                ["Serilog:MinimumLevel:Default"] = "Warning",
                ["Reward:Batching"] = batching ? "true" : "false",
                ["Reward:MaxBatchSize"] = "64",
                ["Reward:MaxWaitMs"] = "5",
            });
            await app.StartAsync().ConfigureAwait(false);
            try
            {
                using var channel = GrpcChannel.ForAddress(app.BoundAddress());
                var client = new RewardService.RewardServiceClient(channel);
                using var batches = new BatchSizes(app.Services.GetRequiredService<IMeterFactory>());
                // JIT tiering and the thread pool settle before the first cell (the first host would pay it otherwise)
                await MeasureAsync(client, 8, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                foreach (var concurrency in Concurrencies)
                {
                    await MeasureAsync(client, concurrency, TimeSpan.FromSeconds(Math.Min(1, seconds / 4))).ConfigureAwait(false);
                    batches.Reset();
                    var cell = await MeasureAsync(client, concurrency, TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {(batching ? "on" : "off")} | {concurrency} | {cell.SequencesPerSecond:0.0} | {cell.P50Ms:0.0} | {cell.P99Ms:0.0} | {batches.Mean:0.0} |"));
                }
            }
            finally
            {
                await app.StopAsync().ConfigureAwait(false);
                await app.DisposeAsync().ConfigureAwait(false);
            }
        }
        return 0;
    }

    private static async Task<Cell> MeasureAsync(RewardService.RewardServiceClient client, int concurrency, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        async Task Worker(int worker)
        {
            var request = Request(worker);
            while (clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                await client.ScoreResponsesAsync(request).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(Worker)).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        return new Cell(sorted.Length / elapsed, Stats.Percentile(sorted, 0.50), Stats.Percentile(sorted, 0.99));
    }

    /// <summary>One sequence: BOS and 15 prompt ids, 128 response ids, deterministic per worker (ids in [3, 512)).</summary>
    private static ScoreResponsesRequest Request(int worker)
    {
        var rng = new Random(1000 + worker);
        var sequence = new Sequence();
        sequence.PromptIds.Add(1);
        for (var i = 1; i < PromptTokens; i++)
            sequence.PromptIds.Add(rng.Next(3, 512));
        for (var i = 0; i < ResponseTokens; i++)
            sequence.ResponseIds.Add(rng.Next(3, 512));
        return new ScoreResponsesRequest { Sequences = { sequence } };
    }

    private sealed record Cell(double SequencesPerSecond, double P50Ms, double P99Ms);

    /// <summary>Mean of <c>rlhf.reward.batch_size</c> (sequences per forward pass) of one host.</summary>
    private sealed class BatchSizes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _batches;
        private long _sequences;

        public BatchSizes(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RewardMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Name == "rlhf.reward.batch_size")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, size, _, _) =>
            {
                Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _sequences, size);
            });
            _listener.Start();
        }

        public double Mean => Interlocked.Read(ref _batches) is var b and > 0 ? (double)Interlocked.Read(ref _sequences) / b : double.NaN;

        public void Reset()
        {
            Interlocked.Exchange(ref _batches, 0);
            Interlocked.Exchange(ref _sequences, 0);
        }

        public void Dispose() => _listener.Dispose();
    }
}
