using System.Diagnostics;

namespace Rlhf.Testing;

/// <summary>
/// Runs Debian's <c>/usr/bin/python3</c> (env <c>RLHF_PYTHON</c> overrides), the interpreter of the reference scripts
/// under <c>tests/fixtures</c>. Linked into every test project (tests/Shared).
/// </summary>
internal static class RepositoryPython
{
    /// <summary>The interpreter.</summary>
    public static string Interpreter { get; } =
        Environment.GetEnvironmentVariable("RLHF_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    /// <summary>Null when the interpreter imports every module; otherwise why not, naming the Debian package.</summary>
    public static string? MissingModule(string module, string debianPackage)
    {
        try
        {
            var (code, output) = Run(["-c", $"import {module}"], TimeSpan.FromSeconds(60));
            return code == 0 ? null
                : $"needs Debian's {debianPackage} (scripts/ensure-deps.sh installs it): '{Interpreter} -c \"import {module}\"' failed: {output.Trim().Split('\n')[^1]}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"needs {Interpreter} with {debianPackage}: {e.Message}";
        }
    }

    /// <summary>Runs the interpreter; returns the exit code and stdout + stderr.</summary>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> (it is killed).</exception>
    public static (int ExitCode, string Output) Run(IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"python {string.Join(' ', info.ArgumentList)} did not finish in {timeout.TotalSeconds} s");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}
