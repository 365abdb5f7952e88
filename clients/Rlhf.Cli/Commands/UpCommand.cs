using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting.Topology;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf up --config FILE</c>: the cluster's topology on one machine. Starts the policy, reference, critic, reward
/// and orchestrator hosts of the file (<c>examples/up.yaml</c>) as separate processes on loopback ports
/// (<c>dotnet services/&lt;Project&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;Project&gt;.dll --urls http://127.0.0.1:PORT
/// --Model:Checkpoint=…</c>; host projects never built are built first, <c>--build</c> rebuilds them all), waits until
/// each reports SERVING on grpc.health.v1, prints the URLs, and runs until Ctrl-C or SIGTERM, then stops them all
/// (SIGTERM, a grace period, then SIGKILL). A child that dies is reported with its last output lines.
/// </summary>
public static class UpCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "Topology file (see examples/up.yaml)", Required = true };
        var build = new Option<bool>("--build") { Description = "Rebuild every host project first (default: build only hosts never built)" };
        var logs = new Option<bool>("--logs") { Description = "Forward every child's log lines, prefixed with its name" };
        var grace = new Option<int>("--grace-seconds") { Description = "How long each service may drain after SIGTERM before it is killed", DefaultValueFactory = _ => 10 };
        var command = new Command("up", "Run the five services as separate processes on loopback ports until Ctrl-C.")
        {
            config, build, logs, grace,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var services = TopologyConfig.Load(parse.GetValue(config)!.FullName);
            var specs = await TopologyConfig.ResolveAsync(services, BuildConfiguration(), parse.GetValue(build), Console.WriteLine, cancellationToken).ConfigureAwait(false);
            // Our own SIGINT/SIGTERM handling: the default would end this process at once and orphan the children.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            return await RunAsync(specs, parse.GetValue(logs), TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(grace))), stop.Token).ConfigureAwait(false);

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(IReadOnlyList<ServiceSpec> specs, bool forwardLogs, TimeSpan grace, CancellationToken cancellationToken)
    {
        var console = new object();
        await using var topology = new ProcessTopology(forwardLogs ? (p, line) => { lock (console) Console.WriteLine($"[{p.Spec.Name}] {line}"); } : null);
        var serving = false;
        topology.ServiceExited += p =>
        {
            if (!Volatile.Read(ref serving))
                return; // a service that dies while starting is reported by StartAsync's exception
            lock (console)
            {
                Console.Error.WriteLine($"rlhf up: {p.Spec.Name} (pid {p.ProcessId}) exited with code {p.ExitCode}; last output:");
                foreach (var line in p.LastOutput().TakeLast(10))
                    Console.Error.WriteLine($"  [{p.Spec.Name}] {line}");
            }
        };
        try
        {
            foreach (var spec in specs)
            {
                Console.WriteLine($"starting {spec.Name} on {spec.Url} ({Path.GetFileName(spec.HostAssembly)})");
                await topology.StartAsync(spec, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ServiceStartException e)
        {
            Console.Error.WriteLine($"rlhf up: {e.Message}");
            await topology.StopAllAsync(grace).ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await topology.StopAllAsync(grace).ConfigureAwait(false);
            return 0;
        }

        Volatile.Write(ref serving, true);
        Console.WriteLine("serving (Ctrl-C stops every service):");
        foreach (var spec in specs)
            Console.WriteLine($"  {spec.Name,-12} {spec.Url}  ({spec.GrpcService}, pid {topology[spec.Name].ProcessId})");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        Console.WriteLine("stopping services (SIGTERM) …");
        await topology.StopAllAsync(grace).ConfigureAwait(false);
        Console.WriteLine("stopped");
        return 0;
    }

    /// <summary>The configuration this program was built in (Release when run by scripts/rlhf), used for the hosts too.</summary>
    private static string BuildConfiguration() =>
        typeof(UpCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Release";
}
