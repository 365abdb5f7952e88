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
    /// <see cref="FileNotFoundException"/> when the file is missing. <paramref name="environment"/> replaces the process
    /// environment for <c>${NAME}</c> in paths (tests).</summary>
    public static T Load<T>(string yamlPath, IEnumerable<string>? overrides = null, string? overrideBaseDirectory = null,
        Func<string, string?>? environment = null)
        where T : class, IConfigSection, new()
    {
        var full = Path.GetFullPath(yamlPath);
        if (!File.Exists(full))
            throw new FileNotFoundException($"config file not found: {yamlPath}", full);
        return Parse<T>(File.ReadAllText(full), Path.GetDirectoryName(full)!, overrides, overrideBaseDirectory, Path.GetFileName(full), environment);
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
