using System.Diagnostics;

namespace Rlhf.Orchestration.Tests.Infrastructure;

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c> package, installed by <c>scripts/ensure-deps.sh test</c>): the DOM after
/// a page has loaded and run its scripts (<c>--dump-dom</c>), and screenshots (<c>--screenshot</c>).
/// </summary>
internal static class Chromium
{
    /// <summary>The browser, or null when it is not installed.</summary>
    public static string? Executable { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    /// <summary>The serialized DOM of <paramref name="htmlPath"/> once loaded.</summary>
    public static string DumpDom(string htmlPath) => Run(["--dump-dom", new Uri(htmlPath).AbsoluteUri]);

    /// <summary>Writes a PNG screenshot of <paramref name="htmlPath"/> in a window of the given size.</summary>
    public static void Screenshot(string htmlPath, string pngPath, int width, int height) =>
        Run([$"--window-size={width},{height}", $"--screenshot={pngPath}", new Uri(htmlPath).AbsoluteUri]);

    private static string Run(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(Executable ?? throw new InvalidOperationException("chromium is not installed"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--force-device-scale-factor=1" }.Concat(args))
            info.ArgumentList.Add(arg);
        info.Environment["HOME"] = Path.GetTempPath();   // a profile directory it may write
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 120 s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}

/// <summary>A fact that needs headless Chromium; skipped, with the reason, when the <c>chromium</c> package is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Chromium.Executable is null)
            Skip = "needs Debian's chromium package (scripts/ensure-deps.sh test installs it)";
    }
}
