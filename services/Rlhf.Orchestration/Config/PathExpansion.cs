using System.Text.RegularExpressions;

namespace Rlhf.Orchestration.Config;

/// <summary>
/// Expands <c>${NAME}</c> and <c>${NAME:-default}</c> in path values, then resolves relative paths.
/// <c>${RLHF_DATA_DIR}</c> has a conventional fallback when the variable is unset: <c>../shared/data</c> relative to the
/// repository root, the first ancestor of the base directory that contains <c>Rlhf.Services.sln</c>. So a YAML file
/// anywhere in the repository can say <c>policy_model: ${RLHF_DATA_DIR}/stories260K.bin</c>.
/// </summary>
public static partial class PathExpansion
{
    /// <summary>The environment variable that names the shared data directory.</summary>
    public const string DataDirVariable = "RLHF_DATA_DIR";

    /// <summary>
    /// Expands variables in <paramref name="value"/> and makes it absolute against <paramref name="baseDirectory"/>.
    /// An empty value stays empty. Throws <see cref="ConfigException"/> (naming <paramref name="key"/>) for an unset
    /// variable without a default. <paramref name="environment"/> replaces the process environment (tests).
    /// </summary>
    public static string Resolve(string value, string baseDirectory, string key, Func<string, string?>? environment = null)
    {
        if (value.Length == 0)
            return value;
        environment ??= Environment.GetEnvironmentVariable;
        var expanded = VariablePattern().Replace(value, m =>
        {
            var name = m.Groups["name"].Value;
            if (environment(name) is { Length: > 0 } set)
                return set;
            if (m.Groups["default"].Success)
                return m.Groups["default"].Value;
            if (name == DataDirVariable && FindDefaultDataDir(baseDirectory) is { } dataDir)
                return dataDir;
            throw new ConfigException($"{key}: environment variable {name} is not set (in '{value}')");
        });
        return Path.GetFullPath(Path.Combine(baseDirectory, expanded));
    }

    /// <summary>The file whose folder is the repository root.</summary>
    public const string RepositoryMarker = "Rlhf.Services.sln";

    /// <summary>The repository root: the first of <paramref name="start"/> and its ancestors that holds
    /// <see cref="RepositoryMarker"/>, or null when there is none.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RepositoryMarker)))
                return dir.FullName;
        }
        return null;
    }

    /// <summary><c>&lt;repo&gt;/../shared/data</c> for the repository root above <paramref name="start"/> (see
    /// <see cref="FindRepositoryRoot"/>), or null when there is none.</summary>
    public static string? FindDefaultDataDir(string start) =>
        FindRepositoryRoot(start) is { } root ? Path.GetFullPath(Path.Combine(root, "..", "shared", "data")) : null;

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:-(?<default>[^}]*))?\}")]
    private static partial Regex VariablePattern();
}
