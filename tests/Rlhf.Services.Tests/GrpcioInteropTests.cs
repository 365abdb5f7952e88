using System.Diagnostics;
using Rlhf.ModelServices;
using Rlhf.Services.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Rlhf.Services.Tests;

/// <summary>
/// An independently written client, Debian's python3-grpcio with hand-encoded messages
/// (tests/interop/grpcio_services_check.py), against the real service hosts: every service reports SERVING on
/// grpc.health.v1.Health, answers UNIMPLEMENTED for an unknown method, and a slow Generate with a 50 ms deadline ends
/// DEADLINE_EXCEEDED.
/// </summary>
public sealed class GrpcioInteropTests(ITestOutputHelper output)
{
    [DataFact]
    public async Task GrpcioClient_EveryModelService_ServingUnimplementedAndDeadlineExceeded()
    {
        if (!PythonHasGrpc())
            throw new InvalidOperationException("/usr/bin/python3 cannot import grpc: install python3-grpcio (scripts/ensure-deps.sh does)");
        var roles = new[] { ModelRole.Policy, ModelRole.Reference, ModelRole.Critic, ModelRole.Reward };
        var hosts = new List<HostedModelService>();
        try
        {
            foreach (var role in roles)
                hosts.Add(await HostedModelService.StartAsync(role));
            var targets = roles.Select((r, i) => $"{hosts[i].ServiceName}={hosts[i].Address.Authority}");
            var script = Path.Combine(Rlhf.Testing.RepositoryData.RepoRoot, "tests", "interop", "grpcio_services_check.py");

            var (exitCode, stdout) = await RunPythonAsync(script, [.. targets, "--slow", hosts[0].Address.Authority]);

            output.WriteLine(stdout);
            Assert.Equal(0, exitCode);
            Assert.Equal(roles.Length * 3 + 1, stdout.Split('\n').Count(l => l.StartsWith("PASS ", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var host in hosts)
                await host.DisposeAsync();
        }
    }

    private static bool PythonHasGrpc()
    {
        using var probe = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import grpc"]) { RedirectStandardError = true });
        probe!.WaitForExit();
        return probe.ExitCode == 0;
    }

    private static async Task<(int ExitCode, string Output)> RunPythonAsync(string script, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout + await stderr);
    }
}
