using System.Diagnostics;

namespace Rlhf.Alignment.Tests.Infrastructure;

/// <summary>Locates the Python interpreter with torch and the fixture script.</summary>
internal static class PythonTorch
{
    /// <summary>Interpreter: env <c>RLHF_PYTHON</c>, else Debian's <c>/usr/bin/python3</c> (not pyenv's).</summary>
    public static string Interpreter => Environment.GetEnvironmentVariable("RLHF_PYTHON") is { Length: > 0 } p
        ? p
        : "/usr/bin/python3";

    private static readonly Lazy<string?> UnavailableReason = new(Probe);

    /// <summary>Null when <c>import torch</c> works, else why not.</summary>
    public static string? WhyUnavailable => UnavailableReason.Value;

    /// <summary>The committed script, in the repository root's <c>tests/fixtures/alignment</c>.</summary>
    public static string FixtureScript() =>
        Path.Combine(RepositoryData.RepoRoot, "tests", "fixtures", "alignment", "make_fixtures.py");

    /// <summary>Runs the interpreter; returns exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var info = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("OPENBLAS_CORETYPE");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start python");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("python did not finish within 120 s");
        }

        return (process.ExitCode, stdout + stderr.Result);
    }

    private static string? Probe()
    {
        try
        {
            var (code, output) = Run("-c", "import torch");
            return code == 0 ? null : $"{Interpreter} cannot import torch: {output.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException
                                      or TimeoutException)
        {
            return $"{Interpreter} could not be run: {e.Message}";
        }
    }
}
