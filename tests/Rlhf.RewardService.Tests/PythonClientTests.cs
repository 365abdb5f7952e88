using System.Diagnostics;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

/// <summary>Runs clients/python's unittest suite against two live reward services (without and with authentication).</summary>
public sealed class PythonClientTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    [PythonGrpcFact]
    public async Task PythonClient_LiveServices_UnittestSuitePasses()
    {
        await using var open = await ServiceHost.StartAsync();
        var start = new ProcessStartInfo(RepositoryPython.Interpreter, "-m unittest discover -s tests -v")
        {
            WorkingDirectory = Path.Combine(TestData.RepoRoot, "clients", "python"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["RLHF_TEST_URL"] = open.Address.ToString();
        start.Environment["RLHF_TEST_AUTH_URL"] = fixture.Host.Address.ToString();
        start.Environment["RLHF_TEST_API_KEY"] = AuthFixture.ScoreKey;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        var log = await stdout + await stderr;

        Assert.True(process.ExitCode == 0, log);
        Assert.Contains("Ran 8 tests", log, StringComparison.Ordinal);
        Assert.DoesNotContain("skipped", log, StringComparison.Ordinal);
    }
}

/// <summary>The committed Python stubs are what clients/python/generate.sh makes from protos/ today.</summary>
public sealed class PythonStubsTests
{
    [PythonGrpcFact(needsGrpcTools: true)]
    public async Task GenerateScript_FromCurrentProtos_MatchesCommittedStubs()
    {
        var package = Path.Combine(TestData.RepoRoot, "clients", "python");
        var output = Path.Combine(TestData.ScratchDir, "pb-" + Guid.NewGuid().ToString("N")[..6]);
        var start = new ProcessStartInfo("bash", [Path.Combine(package, "generate.sh")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["RLHF_PB_OUT"] = output;
        using var process = Process.Start(start)!;
        var log = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, log);

        var committed = Path.Combine(package, "rlhf_client", "_pb");
        var names = Directory.GetFiles(committed, "*.py").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(names, Directory.GetFiles(output, "*.py").Select(Path.GetFileName).Order().ToList());
        foreach (var name in names)
            Assert.True(File.ReadAllText(Path.Combine(committed, name!)) == File.ReadAllText(Path.Combine(output, name!)), $"{name} is stale: run clients/python/generate.sh");
    }
}
