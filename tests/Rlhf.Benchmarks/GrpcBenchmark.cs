using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rlhf.Benchmarks.Protos;
using Rlhf.Contracts;
using Rlhf.ServiceDefaults;

namespace Rlhf.Benchmarks;

/// <summary>
/// Unary gRPC throughput (calls/s) and latency (p50, p99) of a 100-byte echo (Protos/bench_echo.proto) between
/// grpc-dotnet (Grpc.Net.Client; Grpc.AspNetCore on Kestrel) and python3-grpcio in every pairing, with 1 and 16
/// concurrent callers, all in one run. Every server is its own process on 127.0.0.1 (grpc-dotnet: this program with
/// <c>grpc --serve</c>, bare or with the suite's <see cref="ServiceDefaultsExtensions.AddServiceDefaults"/>; grpcio:
/// bench_grpc.py server); the grpc-dotnet client runs in this process, the grpcio client in bench_grpc.py (threads
/// sharing one channel). Each cell: a warm-up, then a fixed measured window; a call counts when it starts and ends
/// inside it.
/// </summary>
internal static class GrpcBenchmark
{
    /// <summary>Payload size in bytes of every request and reply.</summary>
    private const int PayloadBytes = 100;

    private static readonly int[] Callers = [1, 16];

    private const string DotnetClient = "grpc-dotnet (C#)";
    private const string DotnetServer = "grpc-dotnet (C#)";
    private const string DefaultsServer = "grpc-dotnet + suite defaults (C#)";
    private const string Grpcio = "grpcio (Python)";

    /// <summary>The echo service as the suite's defaults see it (no default port: the benchmark binds port 0).</summary>
    private static readonly ServiceEntry EchoEntry = new("bench-echo", BenchEchoReflection.Descriptor.Services[0], "Rlhf.Benchmarks", 0);

    /// <summary>One measured cell; <paramref name="CpuUsPerCall"/> is the client's and the server's process CPU time over the measured window per call.</summary>
    private sealed record Cell(string Client, string Server, int Callers, long Calls, double CallsPerSecond, double P50Ms, double P99Ms, double CpuUsPerCall);

    /// <summary>
    /// Runs the benchmark (arguments after <c>grpc</c>): <c>[--quick] [--warmup S] [--duration S]</c>, or
    /// <c>--serve [--defaults]</c> (a server for the benchmark's own use).
    /// </summary>
    public static int Run(string[] args)
    {
        if (args.Contains("--serve"))
        {
            ServeAsync(withDefaults: args.Contains("--defaults")).GetAwaiter().GetResult();
            return 0;
        }

        var quick = args.Contains("--quick");
        var warmup = BenchArgs.Option<double>(args, "--warmup") ?? (quick ? 0.5 : 3.0);
        var duration = BenchArgs.Option<double>(args, "--duration") ?? (quick ? 1.0 : 5.0);
        var cells = new List<Cell>();
        using (var ours = ServerProcess.StartOurs(withDefaults: false))
        {
            foreach (var callers in Callers)
            {
                cells.Add(RunOurClient(DotnetServer, ours, callers, warmup, duration));
                cells.Add(RunPythonClient(DotnetServer, ours, callers, warmup, duration));
            }
        }
        using (var python = ServerProcess.StartPython())
        {
            foreach (var callers in Callers)
            {
                cells.Add(RunOurClient(Grpcio, python, callers, warmup, duration));
                cells.Add(RunPythonClient(Grpcio, python, callers, warmup, duration));
            }
        }
        using (var defaults = ServerProcess.StartOurs(withDefaults: true))
        {
            foreach (var callers in Callers)
                cells.Add(RunOurClient(DefaultsServer, defaults, callers, warmup, duration));
        }

        Console.WriteLine($"## gRPC transport: unary echo, {PayloadBytes}-byte payload, loopback ({warmup:0.#} s warm-up + {duration:0.#} s measured per cell, {Environment.ProcessorCount} cores)");
        Console.WriteLine();
        Console.WriteLine("| client → server | callers | calls/s | p50 latency (ms) | p99 latency (ms) | CPU per call (µs, client + server) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        var order = new[] { (DotnetClient, DotnetServer), (Grpcio, DotnetServer), (DotnetClient, Grpcio), (Grpcio, Grpcio), (DotnetClient, DefaultsServer) };
        foreach (var (client, server) in order)
        {
            foreach (var c in cells.Where(c => c.Client == client && c.Server == server).OrderBy(c => c.Callers))
            {
                var reference = client == Grpcio && server == Grpcio ? " (reference)" : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Client} → {c.Server}{reference} | {c.Callers} | {c.CallsPerSecond:N0} | {c.P50Ms:0.000} | {c.P99Ms:0.000} | {c.CpuUsPerCall:N0} |"));
            }
        }
        Console.WriteLine();
        var ours16 = cells.Single(c => c.Client == DotnetClient && c.Server == DotnetServer && c.Callers == 16);
        var reference16 = cells.Single(c => c.Client == Grpcio && c.Server == Grpcio && c.Callers == 16);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"grpc-dotnet → grpc-dotnet with 16 callers: {ours16.CallsPerSecond / reference16.CallsPerSecond:0.0}× the calls/s of grpcio → grpcio (target ≥ 3×); {reference16.CpuUsPerCall / ours16.CpuUsPerCall:0.0}× less CPU per call."));
        Console.WriteLine("CPU per call: the client's and the server's process CPU time (all threads) over the measured window, divided by the calls in it (with 1 caller it includes the idle spinning of thread pools between calls).");
        Console.WriteLine("grpc-dotnet client: one GrpcChannel (one HTTP/2 connection) shared by N async callers; grpc-dotnet server: Kestrel, AddGrpc() only, its own process.");
        Console.WriteLine("Suite defaults: the same server composed like the suite's hosts (AddServiceDefaults, MapDefaultEndpoints: Serilog request logging at Warning, API-key authentication off, the call-observer, authorization and rate-limit interceptors, metrics and tracing).");
        Console.WriteLine("grpcio client: one grpc.insecure_channel shared by N threads making blocking calls; grpcio server: grpc.server with a 16-thread pool.");
        return 0;
    }

    /// <summary>The payload every side sends: bytes i mod 251 (bench_grpc.py builds the same).</summary>
    private static ByteString Payload() => ByteString.CopyFrom(Enumerable.Range(0, PayloadBytes).Select(i => (byte)(i % 251)).ToArray());

    private static Cell RunOurClient(string server, ServerProcess serverProcess, int callers, double warmup, double duration)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{serverProcess.Port}");
        var client = new BenchEcho.BenchEchoClient(channel);
        var request = new EchoRequest { Payload = Payload() };
        client.EchoAsync(request).ResponseAsync.GetAwaiter().GetResult(); // connection set-up outside the clock

        var start = Stopwatch.GetTimestamp();
        var from = start + (long)(warmup * Stopwatch.Frequency);
        var to = from + (long)(duration * Stopwatch.Frequency);
        var perCaller = Enumerable.Range(0, callers).Select(_ => new List<double>()).ToArray();
        var cpu = Task.Run(async () =>
        {
            await DelayUntil(from).ConfigureAwait(false);
            var (client0, server0) = (ProcessCpu(), serverProcess.Cpu());
            await DelayUntil(to).ConfigureAwait(false);
            return ProcessCpu() - client0 + (serverProcess.Cpu() - server0);
        });
        var tasks = perCaller.Select(latencies => Task.Run(async () =>
        {
            while (true)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= to)
                    return;
                await client.EchoAsync(request).ResponseAsync.ConfigureAwait(false);
                var t1 = Stopwatch.GetTimestamp();
                if (t0 >= from && t1 <= to)
                    latencies.Add((t1 - t0) * 1e3 / Stopwatch.Frequency);
            }
        })).ToArray();
        Task.WaitAll(tasks);
        var all = perCaller.SelectMany(l => l).Order().ToArray();
        return new Cell(DotnetClient, server, callers, all.Length, all.Length / duration, Stats.Percentile(all, 0.50), Stats.Percentile(all, 0.99),
            cpu.Result.TotalMicroseconds / all.Length);
    }

    /// <summary>This process's CPU time, all threads.</summary>
    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static async Task DelayUntil(long timestamp)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait).ConfigureAwait(false);
    }

    /// <summary>bench_grpc.py client against <paramref name="serverProcess"/>, sampling the server's CPU time when the client's measured window opens and closes.</summary>
    private static Cell RunPythonClient(string server, ServerProcess serverProcess, int callers, double warmup, double duration)
    {
        var start = new ProcessStartInfo(Python.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Python.Script("bench_grpc.py"), "client", $"127.0.0.1:{serverProcess.Port}", callers.ToString(CultureInfo.InvariantCulture),
                     warmup.ToString(CultureInfo.InvariantCulture), duration.ToString(CultureInfo.InvariantCulture), PayloadBytes.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        start.Environment.Remove("OPENBLAS_CORETYPE");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python.Executable}");
        var stderr = process.StandardError.ReadToEndAsync();
        TimeSpan server0 = default, serverCpu = default;
        string? last = null;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (line == "MEASURE START")
                server0 = serverProcess.Cpu();
            else if (line == "MEASURE END")
                serverCpu = serverProcess.Cpu() - server0;
            else
                last = line;
        }
        process.WaitForExit();
        if (process.ExitCode != 0 || last is null)
            throw new InvalidOperationException($"bench_grpc.py client exited with {process.ExitCode}: {stderr.Result}");
        using var json = JsonDocument.Parse(last);
        var root = json.RootElement;
        var calls = root.GetProperty("calls").GetInt64();
        return new Cell(Grpcio, server, callers, calls, root.GetProperty("calls_per_s").GetDouble(),
            root.GetProperty("p50_ms").GetDouble(), root.GetProperty("p99_ms").GetDouble(),
            (root.GetProperty("cpu_s").GetDouble() * 1e6 + serverCpu.TotalMicroseconds) / calls);
    }

    /// <summary>
    /// The grpc-dotnet echo server (<c>--serve</c>) on 127.0.0.1 and a free port: bare Kestrel HTTP/2 with
    /// <c>AddGrpc()</c>, or (<paramref name="withDefaults"/>) composed like the suite's hosts. Prints <c>PORT n</c> and
    /// serves until stdin closes.
    /// </summary>
    private static async Task ServeAsync(bool withDefaults)
    {
        WebApplication app;
        if (withDefaults)
        {
            var builder = ServiceDefaultsExtensions.CreateBuilder(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string?>
            {
                ["Serilog:MinimumLevel:Default"] = "Warning",
                ["Auth:Enabled"] = "false",
            });
            builder.AddServiceDefaults(EchoEntry);
            app = builder.Build();
            app.MapGrpcService<EchoService>();
            app.MapDefaultEndpoints();
        }
        else
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
            builder.Logging.ClearProviders();
            builder.Services.AddGrpc();
            app = builder.Build();
            app.MapGrpcService<EchoService>();
        }
        await app.StartAsync().ConfigureAwait(false);
        Console.WriteLine($"PORT {app.BoundAddress().Port}");
        Console.Out.Flush();
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        await app.StopAsync().ConfigureAwait(false);
    }

    /// <summary>The echo handler.</summary>
    internal sealed class EchoService : BenchEcho.BenchEchoBase
    {
        /// <summary>Returns the request's payload.</summary>
        public override Task<EchoReply> Echo(EchoRequest request, ServerCallContext context) => Task.FromResult(new EchoReply { Payload = request.Payload });
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
                    // keep reading: a server that writes (a warning line) must never block on a full pipe
                    _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                    return;
                }
            }
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} exited without printing its port");
        }

        public int Port { get; }

        /// <summary>The server's CPU time so far, all threads.</summary>
        public TimeSpan Cpu()
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }

        /// <summary>This program with <c>grpc --serve</c> (and <c>--defaults</c>).</summary>
        public static ServerProcess StartOurs(bool withDefaults)
        {
            var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
            var start = new ProcessStartInfo(self);
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
                start.ArgumentList.Add(typeof(GrpcBenchmark).Assembly.Location);
            start.ArgumentList.Add("grpc");
            start.ArgumentList.Add("--serve");
            if (withDefaults)
                start.ArgumentList.Add("--defaults");
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
