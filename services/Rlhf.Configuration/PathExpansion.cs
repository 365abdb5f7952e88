using System.Text.RegularExpressions;

namespace Rlhf.Configuration;

/// <summary>
/// Expands <c>${NAME}</c> and <c>${NAME:-default}</c> in path values, then resolves relative paths.
/// <c>${RLHF_DATA_DIR}</c> has a fallback when the variable is unset: the first <c>shared/data</c> folder found in the
/// base directory (the YAML file's folder) or one of its parents (<see cref="FindDataDir"/>). So a config copied
/// anywhere under a folder tree that holds <c>shared/data</c> (the repository's own examples sit in
/// <c>&lt;parent&gt;/&lt;repo&gt;/examples</c> beside <c>&lt;parent&gt;/shared/data</c>) can say
/// <c>policy_model: ${RLHF_DATA_DIR}/stories260K.bin</c>; without one, loading fails with one line that lists every
/// folder it looked in (<see cref="DataDirectoryNotFoundException"/>).
/// </summary>
public static partial class PathExpansion
{
    /// <summary>The environment variable that names the shared data directory.</summary>
    public const string DataDirVariable = "RLHF_DATA_DIR";

    /// <summary>The relative path searched for in the config's folder and its parents when <see cref="DataDirVariable"/> is unset.</summary>
    public static readonly string DataDirFallback = Path.Combine("shared", "data");

    /// <summary>
    /// Expands variables in <paramref name="value"/> and makes it absolute against <paramref name="baseDirectory"/>.
    /// An empty value stays empty. <paramref name="environment"/> replaces the process environment (tests).
    /// </summary>
    /// <exception cref="DataDirectoryNotFoundException"><c>${RLHF_DATA_DIR}</c> is used, unset, and no
    /// <c>shared/data</c> is in <paramref name="baseDirectory"/> or its parents.</exception>
    /// <exception cref="ConfigException">Another variable without a default is unset (the message names <paramref name="key"/>).</exception>
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
            if (name == DataDirVariable)
                return FindDataDir(baseDirectory, out var searched) ?? throw new DataDirectoryNotFoundException(key, searched);
            throw new ConfigException($"{key}: environment variable {name} is not set (in '{value}')");
        });
        return Path.GetFullPath(Path.Combine(baseDirectory, expanded));
    }

    /// <summary>
    /// The first <c>D/shared/data</c> folder that exists, for D = <paramref name="start"/> and then each of its
    /// parents up to the file-system root, or null. <paramref name="searched"/> lists every candidate tried, in order.
    /// </summary>
    public static string? FindDataDir(string start, out IReadOnlyList<string> searched)
    {
        var tried = new List<string>();
        searched = tried;
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, DataDirFallback);
            tried.Add(candidate);
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
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

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:-(?<default>[^}]*))?\}")]
    private static partial Regex VariablePattern();
}

/// <summary>
/// <c>${RLHF_DATA_DIR}</c> is used but the variable is unset and no <c>shared/data</c> folder was found. The message is
/// one line naming the key, every folder looked in, and the fix. The config loader reports it once, for the first key
/// that needs it, rather than once per key.
/// </summary>
public sealed class DataDirectoryNotFoundException : ConfigException
{
    /// <param name="key">The config key whose value uses the variable.</param>
    /// <param name="searched">The folders looked in, nearest first.</param>
    public DataDirectoryNotFoundException(string key, IReadOnlyList<string> searched)
        : base($"{key}: {PathExpansion.DataDirVariable} is not set and no {PathExpansion.DataDirFallback} folder was found; looked in "
            + $"{string.Join(", ", searched)}; set {PathExpansion.DataDirVariable} to the data folder or place the config under a folder that has {PathExpansion.DataDirFallback}")
    {
        Searched = searched;
    }

    /// <summary>The folders looked in, nearest first.</summary>
    public IReadOnlyList<string> Searched { get; }
}
