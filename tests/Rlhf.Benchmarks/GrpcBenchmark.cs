using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rlhf.Benchmarks.Protos;
using Rlhf.Grpc;
using Rlhf.Grpc.AspNetCore;

namespace Rlhf.Benchmarks;

/// <summary>
/// Unary gRPC throughput (calls/s) and latency (p50, p99) of a ~100-byte echo (Protos/bench_echo.proto) between our
/// stack (Rlhf.Grpc client, Rlhf.Grpc.AspNetCore server on Kestrel) and python3-grpcio, with 1 and 16 concurrent
/// callers. Every server is its own process on 127.0.0.1 (ours: this program with <c>--serve</c>; grpcio:
/// bench_grpc.py server); our client runs in this process, the grpcio client in bench_grpc.py (threads sharing one
/// channel). grpcio → grpcio is the reference, and our client over <see cref="InProcessCallInvoker"/> (same handler, no
/// transport) the floor. Each cell: a warm-up, then a fixed measured window; a call counts when it starts and ends inside it.
/// </summary>
internal static class GrpcBenchmark
{
    /// <summary>Payload size in bytes of every request and reply.</summary>
    private const int PayloadBytes = 100;

    private static readonly int[] Callers = [1, 16];

    /// <summary>The last rows' "server": the same handler called through <see cref="InProcessCallInvoker"/>, no transport.</summary>
    private const string InProcessServer = "same handler in-process (InProcessCallInvoker, no HTTP/2, no serialization)";

    private static readonly Method<EchoRequest, EchoReply> EchoMethod =
        BenchEchoReflection.Descriptor.Services[0].GetMethod<EchoRequest, EchoReply>("Echo");

    /// <summary>One measured cell.</summary>
    private sealed record Cell(string Client, string Server, int Callers, long Calls, double CallsPerSecond, double P50Ms, double P99Ms);

    /// <summary>Runs the benchmark (arguments after <c>grpc</c>): <c>[--quick] [--warmup S] [--duration S]</c>, or <c>--serve</c>.</summary>
    public static int Run(string[] args)
    {
        if (args.Contains("--serve"))
        {
            ServeAsync().GetAwaiter().GetResult();
            return 0;
        }

        var quick = args.Contains("--quick");
        var warmup = BenchArgs.Option<double>(args, "--warmup") ?? (quick ? 0.5 : 3.0);
        var duration = BenchArgs.Option<double>(args, "--duration") ?? (quick ? 1.0 : 5.0);
        var cells = new List<Cell>();
        using (var ours = ServerProcess.StartOurs())
        {
            foreach (var callers in Callers)
            {
                cells.Add(RunOurClient("Rlhf.Grpc (C#)", "Rlhf.Grpc.AspNetCore (C#)", ours.Port, callers, warmup, duration));
                cells.Add(RunPythonClient("Rlhf.Grpc.AspNetCore (C#)", ours.Port, callers, warmup, duration));
            }
        }

        foreach (var callers in Callers)
            cells.Add(RunInProcess(callers, warmup, duration));

        using (var python = ServerProcess.StartPython())
        {
            foreach (var callers in Callers)
            {
                cells.Add(RunOurClient("Rlhf.Grpc (C#)", "grpcio (Python)", python.Port, callers, warmup, duration));
                cells.Add(RunPythonClient("grpcio (Python)", python.Port, callers, warmup, duration));
            }
        }

        Console.WriteLine($"## gRPC transport: unary echo, {PayloadBytes}-byte payload, loopback ({warmup:0.#} s warm-up + {duration:0.#} s measured per cell)");
        Console.WriteLine();
        Console.WriteLine("| client → server | callers | calls/s | p50 latency (ms) | p99 latency (ms) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        var order = new[] { ("Rlhf.Grpc (C#)", "Rlhf.Grpc.AspNetCore (C#)"), ("grpcio (Python)", "Rlhf.Grpc.AspNetCore (C#)"), ("Rlhf.Grpc (C#)", "grpcio (Python)"), ("grpcio (Python)", "grpcio (Python)"), ("Rlhf.Grpc (C#)", InProcessServer) };
        foreach (var (client, server) in order)
        {
            foreach (var c in cells.Where(c => c.Client == client && c.Server == server).OrderBy(c => c.Callers))
            {
                var reference = server == InProcessServer ? "" : client == "grpcio (Python)" && server == "grpcio (Python)" ? " (reference)" : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Client} → {c.Server}{reference} | {c.Callers} | {c.CallsPerSecond:N0} | {c.P50Ms:0.000} | {c.P99Ms:0.000} |"));
            }
        }
        Console.WriteLine();
        Console.WriteLine("Our client: one GrpcChannel (one HTTP/2 connection) shared by N async callers; our server: Kestrel, no interceptors, its own process.");
        Console.WriteLine("grpcio client: one grpc.insecure_channel shared by N threads making blocking calls; grpcio server: grpc.server with a 16-thread pool.");
        return 0;
    }

    /// <summary>The payload every side sends: bytes i mod 251 (bench_grpc.py builds the same).</summary>
    private static ByteString Payload() => ByteString.CopyFrom(Enumerable.Range(0, PayloadBytes).Select(i => (byte)(i % 251)).ToArray());

    private static Cell RunOurClient(string client, string server, int port, int callers, double warmup, double duration)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        return RunInvoker(client, server, channel.CreateCallInvoker(), callers, warmup, duration);
    }

    /// <summary>The echo service behind <see cref="InProcessCallInvoker"/>: the same handler with no transport at all.</summary>
    private static Cell RunInProcess(int callers, double warmup, double duration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGrpcServer();
        services.AddSingleton<EchoService>();
        using var provider = services.BuildServiceProvider();
        var invoker = new InProcessCallInvoker(provider).AddService<EchoService>(BenchEchoReflection.Descriptor.Services[0]);
        return RunInvoker("Rlhf.Grpc (C#)", InProcessServer, invoker, callers, warmup, duration);
    }

    private static Cell RunInvoker(string client, string server, CallInvoker invoker, int callers, double warmup, double duration)
    {
        var request = new EchoRequest { Payload = Payload() };
        invoker.UnaryAsync(EchoMethod, request).GetAwaiter().GetResult(); // connection set-up outside the clock

        var start = Stopwatch.GetTimestamp();
        var from = start + (long)(warmup * Stopwatch.Frequency);
        var to = from + (long)(duration * Stopwatch.Frequency);
        var perCaller = Enumerable.Range(0, callers).Select(_ => new List<double>()).ToArray();
        var tasks = perCaller.Select(latencies => Task.Run(async () =>
        {
            while (true)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= to)
                    return;
                await invoker.UnaryAsync(EchoMethod, request).ConfigureAwait(false);
                var t1 = Stopwatch.GetTimestamp();
                if (t0 >= from && t1 <= to)
                    latencies.Add((t1 - t0) * 1e3 / Stopwatch.Frequency);
            }
        })).ToArray();
        Task.WaitAll(tasks);
        var all = perCaller.SelectMany(l => l).Order().ToArray();
        return new Cell(client, server, callers, all.Length, all.Length / duration, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static Cell RunPythonClient(string server, int port, int callers, double warmup, double duration)
    {
        var output = Python.Run([Python.Script("bench_grpc.py"), "client", $"127.0.0.1:{port}", callers.ToString(CultureInfo.InvariantCulture),
            warmup.ToString(CultureInfo.InvariantCulture), duration.ToString(CultureInfo.InvariantCulture), PayloadBytes.ToString(CultureInfo.InvariantCulture)]);
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var root = json.RootElement;
        return new Cell("grpcio (Python)", server, callers, root.GetProperty("calls").GetInt64(), root.GetProperty("calls_per_s").GetDouble(),
            root.GetProperty("p50_ms").GetDouble(), root.GetProperty("p99_ms").GetDouble());
    }

    /// <summary>Nearest-rank percentile of an ascending array (<paramref name="q"/> in (0, 1]); NaN when empty.</summary>
    internal static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>Our echo server (<c>--serve</c>): Kestrel HTTP/2 on 127.0.0.1, no interceptors; prints <c>PORT n</c>, stops when stdin closes.</summary>
    private static async Task ServeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.ListenGrpc(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpcServer();
        builder.Services.AddSingleton<EchoService>();
        var app = builder.Build();
        app.MapGrpcService<EchoService>(BenchEchoReflection.Descriptor.Services[0]);
        await app.StartAsync().ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"PORT {new Uri(bound).Port}");
        Console.Out.Flush();
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        await app.StopAsync().ConfigureAwait(false);
    }

    /// <summary>The echo handler.</summary>
    internal sealed class EchoService
    {
        /// <summary>Returns the request's payload.</summary>
        public Task<EchoReply> Echo(EchoRequest request, ServerCallContext context) => Task.FromResult(new EchoReply { Payload = request.Payload });
    }

    /// <summary>A server child process that prints <c>PORT n</c> and serves until its stdin closes.</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;

        private ServerProcess(ProcessStartInfo start)
        {
            start.RedirectStandardInput = true;
            start.RedirectStandardOutput = true;
            start.UseShellExecute = false;
            start.Environment.Remove("OPENBLAS_CORETYPE");
            _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("PORT ", StringComparison.Ordinal))
                {
                    Port = int.Parse(line[5..], CultureInfo.InvariantCulture);
                    return;
                }
            }
            throw new InvalidOperationException($"{start.FileName} {start.Arguments} exited without printing its port");
        }

        public int Port { get; }

        /// <summary>This program with <c>grpc --serve</c>.</summary>
        public static ServerProcess StartOurs()
        {
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
            var start = Path.GetFileNameWithoutExtension(self) == "dotnet"
                ? new ProcessStartInfo(self) { ArgumentList = { typeof(GrpcBenchmark).Assembly.Location, "grpc", "--serve" } }
                : new ProcessStartInfo(self) { ArgumentList = { "grpc", "--serve" } };
            return new ServerProcess(start);
        }

        /// <summary>bench_grpc.py server.</summary>
        public static ServerProcess StartPython() =>
            new(new ProcessStartInfo(Python.Executable) { ArgumentList = { Python.Script("bench_grpc.py"), "server" } });

        public void Dispose()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
                _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
