using System.Diagnostics;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;

namespace Rlhf.Orchestration.Hosting.Topology;

/// <summary>
/// Finds the built assembly of a service host project (e.g. <c>Rlhf.PolicyService</c>): <c>$RLHF_HOSTS_DIR/&lt;Project&gt;/&lt;Project&gt;.dll</c>
/// or <c>$RLHF_HOSTS_DIR/&lt;Project&gt;.dll</c> when that variable is set (published layouts), else the build output
/// <c>services/hosts/&lt;Project&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;Project&gt;.dll</c> of the repository around the current
/// directory or this assembly; builds the project with <c>dotnet build</c> when asked or when it was never built.
/// </summary>
public static class HostBinaries
{
    /// <summary>Environment variable naming a folder of published hosts.</summary>
    public const string HostsDirVariable = "RLHF_HOSTS_DIR";

    /// <summary>The repository root (first ancestor with <c>Rlhf.Services.sln</c>) of the current directory or of this assembly, or null.</summary>
    public static string? RepositoryRoot() =>
        PathExpansion.FindRepositoryRoot(Environment.CurrentDirectory) ?? PathExpansion.FindRepositoryRoot(AppContext.BaseDirectory);

    /// <summary>
    /// The path of <paramref name="project"/>'s assembly, building it first when <paramref name="build"/> is true or
    /// when no build output exists.
    /// </summary>
    /// <param name="project">Host project name, e.g. <c>Rlhf.PolicyService</c>.</param>
    /// <param name="configuration">Build configuration (Release, Debug).</param>
    /// <param name="build">Run <c>dotnet build</c> even when an assembly exists (picks up source changes).</param>
    /// <param name="log">Receives a line before each build.</param>
    /// <param name="cancellationToken">Stops the build.</param>
    /// <exception cref="FileNotFoundException">No assembly was found and there is no repository to build it from.</exception>
    /// <exception cref="InvalidOperationException">The build failed (the message has its last output lines).</exception>
    public static async Task<string> LocateAsync(string project, string configuration, bool build, Action<string>? log, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(HostsDirVariable) is { Length: > 0 } hosts)
        {
            foreach (var candidate in new[] { Path.Combine(hosts, project, project + ".dll"), Path.Combine(hosts, project + ".dll") })
            {
                if (File.Exists(candidate))
                    return Path.GetFullPath(candidate);
            }
            throw new FileNotFoundException($"{project}.dll is not in ${HostsDirVariable} ({hosts})");
        }
        var root = RepositoryRoot() ?? throw new FileNotFoundException(
            $"cannot find {project}.dll: no repository ({PathExpansion.RepositoryMarker}) around {Environment.CurrentDirectory}; set {HostsDirVariable} to a folder of published hosts");
        var csproj = Path.Combine(root, "services", "hosts", project, project + ".csproj");
        var dll = Path.Combine(root, "services", "hosts", project, "bin", configuration, "net10.0", project + ".dll");
        if (build || !File.Exists(dll))
        {
            log?.Invoke($"building {project} ({configuration})");
            await BuildAsync(csproj, configuration, cancellationToken).ConfigureAwait(false);
        }
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} does not exist after building {csproj}");
    }

    private static async Task BuildAsync(string csproj, string configuration, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "build", csproj, "-c", configuration, "--nologo", "-v", "quiet", "-clp:ErrorsOnly" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
            var tail = string.Join('\n', output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(20));
            throw new InvalidOperationException($"dotnet build {csproj} failed (exit {process.ExitCode}):\n{tail}");
        }
    }
}
