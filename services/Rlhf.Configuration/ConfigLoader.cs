namespace Rlhf.Configuration;

/// <summary>
/// Loads a config class from YAML with <c>--set key=value</c> overrides on top, then validates it.
/// <list type="number">
/// <item>The YAML is read into a tree; the overrides replace or add leaves (dotted keys for sections).</item>
/// <item>Every key is bound by its snake_case name; unknown keys, wrong types and malformed values are errors that
/// name the key and where it came from (<c>file.yaml:12</c> or <c>--set …</c>).</item>
/// <item>Path keys (<see cref="ConfigPathAttribute"/>) are expanded (<see cref="PathExpansion"/>) and made absolute:
/// YAML values against the YAML file's directory, override values against <c>overrideBaseDirectory</c> (default: the
/// current directory), defaults that were never set against the YAML file's directory.</item>
/// <item>Ranges and cross-key rules are checked; all problems are reported together in one <see cref="ConfigException"/>.</item>
/// </list>
/// </summary>
public static class ConfigLoader
{
    /// <summary>Loads <paramref name="yamlPath"/> with overrides. Throws <see cref="ConfigException"/> on any problem,
    /// also when the file is missing or unreadable (a folder, no permission). <paramref name="environment"/> replaces
    /// the process environment for <c>${NAME}</c> in paths (tests).</summary>
    public static T Load<T>(string yamlPath, IEnumerable<string>? overrides = null, string? overrideBaseDirectory = null,
        Func<string, string?>? environment = null)
        where T : class, IConfigSection, new()
    {
        var full = Path.GetFullPath(yamlPath);
        if (Directory.Exists(full))
            throw new ConfigException($"config file {yamlPath} is a folder; give the YAML file itself (e.g. examples/tinystories-positive.yaml)");
        if (!File.Exists(full))
            throw new ConfigException($"config file {yamlPath} does not exist; check the path (the example configs are in examples/)");
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"config file {yamlPath} cannot be read: {e.Message}");
        }
        return Parse<T>(text, Path.GetDirectoryName(full)!, overrides, overrideBaseDirectory, Path.GetFileName(full), environment);
    }

    /// <summary>Parses YAML text as if it were a file in <paramref name="baseDirectory"/>; see <see cref="Load{T}"/>.</summary>
    public static T Parse<T>(
        string yaml, string baseDirectory, IEnumerable<string>? overrides = null, string? overrideBaseDirectory = null, string sourceName = "config",
        Func<string, string?>? environment = null)
        where T : class, IConfigSection, new()
    {
        baseDirectory = Path.GetFullPath(baseDirectory);
        var tree = YamlConfigReader.Read(yaml, sourceName, baseDirectory);
        if (overrides is not null)
            YamlConfigReader.ApplyOverrides(tree, overrides, Path.GetFullPath(overrideBaseDirectory ?? Environment.CurrentDirectory));
        var config = new T();
        var errors = new List<string>();
        ConfigBinder.Bind(config, tree, "", errors, environment);
        if (errors.Count > 0)
            throw new ConfigException(errors);
        ConfigBinder.ResolveDefaultPaths(config, baseDirectory);
        ConfigBinder.Validate(config, "", errors);
        if (errors.Count > 0)
            throw new ConfigException(errors);
        return config;
    }

    /// <summary>Checks ranges and cross-key rules of an already built config; throws <see cref="ConfigException"/>.</summary>
    public static void Validate(IConfigSection config)
    {
        var errors = new List<string>();
        ConfigBinder.Validate(config, "", errors);
        if (errors.Count > 0)
            throw new ConfigException(errors);
    }

    /// <summary>
    /// Checks that the files and folders that path keys of a loaded config name exist, before a command starts work
    /// on them: each of <paramref name="keys"/> (dotted, e.g. <c>prompts.path</c>) that is set must name an existing
    /// file or folder.
    /// </summary>
    /// <exception cref="FileNotFoundException">The first key whose path does not exist; the message names the key, the
    /// path and the fix (exit code 4).</exception>
    public static void RequireInputs(IConfigSection config, params string[] keys)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var key in keys)
        {
            object? value = config;
            foreach (var part in key.Split('.'))
            {
                value = ConfigBinder.KeyedProperties(value!.GetType()).TryGetValue(part, out var property)
                    ? property.GetValue(value)
                    : throw new ArgumentException($"no config key '{key}' in {config.GetType().Name}", nameof(keys));
            }
            if (value is string { Length: > 0 } path && !File.Exists(path) && !Directory.Exists(path))
                throw new FileNotFoundException($"{key}: {path} does not exist; check the path in the config, or set it with --set {key}=PATH", path);
        }
    }

    /// <summary>Every valid dotted key of a config class (sections expanded), e.g. for help text.</summary>
    public static IReadOnlyList<string> Keys<T>() where T : IConfigSection => KeysOf(typeof(T), "");

    private static List<string> KeysOf(Type type, string prefix)
    {
        var keys = new List<string>();
        foreach (var (key, property) in ConfigBinder.KeyedProperties(type))
        {
            if (ConfigBinder.IsSection(property.PropertyType))
                keys.AddRange(KeysOf(property.PropertyType, prefix + key + "."));
            else
                keys.Add(prefix + key);
        }
        return keys;
    }
}
