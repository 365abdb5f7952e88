using System.Diagnostics;
using System.Reflection;

namespace Rlhf.Cli.Tests.Infrastructure;

/// <summary>The outcome of a finished process.</summary>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Output">Everything it wrote to stdout.</param>
/// <param name="Error">Everything it wrote to stderr.</param>
internal sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    /// <summary>stdout and stderr, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the built <c>rlhf</c> and the built hosts as processes (<c>dotnet X.dll args</c>).</summary>
internal static class Processes
{
    private static readonly string Configuration =
        typeof(Processes).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>The built command line.</summary>
    public static string Cli => Path.Combine(TestData.RepoRoot, "clients", "Rlhf.Cli", "bin", Configuration, "net10.0", "rlhf.dll");

    /// <summary>A built host, e.g. <c>Rlhf.PolicyService</c>.</summary>
    public static string Host(string project) =>
        Path.Combine(TestData.RepoRoot, "services", "hosts", project, "bin", Configuration, "net10.0", project + ".dll");

    /// <summary>Runs <c>rlhf args</c> in <paramref name="workingDirectory"/> (default: the repository root).</summary>
    public static Task<ProcessResult> RlhfAsync(string? workingDirectory, params string[] args) => RunAsync(Cli, workingDirectory, args);

    /// <summary>Runs a host until it exits (the mistakes tested stop it at start-up).</summary>
    public static Task<ProcessResult> HostAsync(string project, params string[] args) => RunAsync(Host(project), null, args);

    private static async Task<ProcessResult> RunAsync(string assembly, string? workingDirectory, string[] args)
    {
        Assert.True(File.Exists(assembly), $"{assembly} is not built (dotnet build clients/Rlhf.Cli -c {Configuration})");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? TestData.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["RLHF_DATA_DIR"] = TestData.DataDir;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {assembly} {string.Join(' ', args)} did not exit within 3 minutes");
        }
        return new ProcessResult(process.ExitCode, await output, await error);
    }
}
