using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;

namespace Rlhf.Benchmarks;

/// <summary>The repository root and the shared data folder, found from the working or the build directory.</summary>
internal static class BenchPaths
{
    /// <summary>The directory holding <c>Rlhf.Services.sln</c>.</summary>
    /// <exception cref="DirectoryNotFoundException">Neither the working directory nor the build directory is inside the repository.</exception>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>RLHF_DATA_DIR</c>, else <c>../shared/data</c> beside the repository root.</summary>
    public static string DataDir =>
        Environment.GetEnvironmentVariable("RLHF_DATA_DIR") is { Length: > 0 } dir ? dir : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Rlhf.Services.sln")))
                    return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("Rlhf.Services.sln not found above the working or the build directory");
    }
}

/// <summary>The benchmark modes' <c>--name value</c> options.</summary>
internal static class BenchArgs
{
    /// <summary>The value after <paramref name="name"/>, or null when the option is absent or has no value.</summary>
    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The value after <paramref name="name"/> parsed with the invariant culture, or null when absent.</summary>
    /// <exception cref="FormatException">The value does not parse.</exception>
    public static T? Option<T>(string[] args, string name)
        where T : struct, IParsable<T> =>
        Option(args, name) is { } value ? T.Parse(value, CultureInfo.InvariantCulture) : null;
}

/// <summary>Runs the benchmark's Python helpers with Debian's <c>/usr/bin/python3</c> (python3-grpcio, python3-grpc-tools).</summary>
internal static class Python
{
    /// <summary>The interpreter.</summary>
    public const string Executable = "/usr/bin/python3";

    /// <summary>The path of a helper script in tests/Rlhf.Benchmarks.</summary>
    public static string Script(string name) => Path.Combine(BenchPaths.RepoRoot, "tests", "Rlhf.Benchmarks", name);

    /// <summary>Runs the interpreter with <paramref name="args"/> (OPENBLAS_CORETYPE unset) and returns its stdout.</summary>
    /// <param name="args">The script and its arguments.</param>
    /// <param name="environment">Variables to set for the child, over this process's environment; null for none.</param>
    /// <exception cref="InvalidOperationException">It exited non-zero (its stderr in the message).</exception>
    public static string Run(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment.Remove("OPENBLAS_CORETYPE");
        foreach (var (name, value) in environment ?? ReadOnlyDictionary<string, string>.Empty)
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Executable}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? stdout
            : throw new InvalidOperationException($"{Executable} {string.Join(' ', args)} exited with {process.ExitCode}: {stderr.Result}");
    }
}

/// <summary>Wall-clock timing of a repeated action.</summary>
internal static class Timing
{
    /// <summary>
    /// Seconds per call: warm-up calls for at least <paramref name="warmupSeconds"/> (at least one call), then repeats
    /// until <paramref name="minSeconds"/> have passed. Tiered JIT runs a method's first, unoptimised code until it has
    /// been called often enough and a background delay has passed: give hot code about 0.5 s of warm-up.
    /// </summary>
    public static double Measure(Action action, double minSeconds, double warmupSeconds)
    {
        var warm = Stopwatch.StartNew();
        do
            action();
        while (warm.Elapsed.TotalSeconds < warmupSeconds);
        var sw = Stopwatch.StartNew();
        var n = 0;
        do
        {
            action();
            n++;
        } while (sw.Elapsed.TotalSeconds < minSeconds);
        return sw.Elapsed.TotalSeconds / n;
    }
}
