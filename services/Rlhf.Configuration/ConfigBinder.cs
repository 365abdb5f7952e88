using System.Globalization;
using System.Reflection;

namespace Rlhf.Configuration;

/// <summary>
/// Binds a <see cref="ConfigMapping"/> onto a config object by snake_case key, type-checking every scalar, refusing
/// unknown keys (with the nearest valid ones), then checks <see cref="ConfigRangeAttribute"/> ranges and each
/// section's <see cref="IConfigSection.Validate"/>.
/// </summary>
internal static class ConfigBinder
{
    public static void Bind(object target, ConfigMapping mapping, string prefix, List<string> errors, Func<string, string?>? environment = null)
    {
        var properties = KeyedProperties(target.GetType());
        foreach (var (key, node) in mapping.Entries)
        {
            if (!properties.TryGetValue(key, out var property))
            {
                var nearest = ConfigNames.Nearest(key, properties.Keys).Select(k => prefix + k);
                errors.Add($"unknown key '{prefix}{key}' ({node.Origin}); nearest valid keys: {string.Join(", ", nearest)}");
                continue;
            }
            var fullKey = prefix + key;
            if (IsSection(property.PropertyType))
            {
                if (node is not ConfigMapping child)
                {
                    errors.Add($"{fullKey}: is a section; set its keys instead, e.g. {fullKey}.{KeyedProperties(property.PropertyType).Keys.First()} ({node.Origin})");
                    continue;
                }
                var section = property.GetValue(target) ?? Activator.CreateInstance(property.PropertyType)!;
                Bind(section, child, fullKey + ".", errors, environment);
                property.SetValue(target, section);
                continue;
            }
            if (node is not ConfigScalar scalar)
            {
                errors.Add($"{fullKey}: is a value, not a section ({node.Origin})");
                continue;
            }
            try
            {
                var value = ConvertScalar(scalar.Value, property.PropertyType, fullKey);
                if (value is string path && property.GetCustomAttribute<ConfigPathAttribute>() is not null)
                    value = PathExpansion.Resolve(path, scalar.BaseDirectory, fullKey, environment);
                property.SetValue(target, value);
            }
            catch (ConfigException e) when (e is not DataDirectoryNotFoundException)
            {
                errors.Add($"{e.Message} ({scalar.Origin})");
            }
        }
    }

    /// <summary>Makes relative default paths (keys never set) absolute against <paramref name="baseDirectory"/>.</summary>
    public static void ResolveDefaultPaths(object target, string baseDirectory)
    {
        foreach (var property in KeyedProperties(target.GetType()).Values)
        {
            if (IsSection(property.PropertyType) && property.GetValue(target) is { } section)
                ResolveDefaultPaths(section, baseDirectory);
            else if (property.GetCustomAttribute<ConfigPathAttribute>() is not null
                     && property.GetValue(target) is string { Length: > 0 } path && !Path.IsPathRooted(path))
                property.SetValue(target, Path.GetFullPath(Path.Combine(baseDirectory, path)));
        }
    }

    public static void Validate(object target, string prefix, List<string> errors)
    {
        foreach (var (key, property) in KeyedProperties(target.GetType()))
        {
            var value = property.GetValue(target);
            if (IsSection(property.PropertyType))
            {
                if (value is not null)
                    Validate(value, prefix + key + ".", errors);
                continue;
            }
            if (property.GetCustomAttribute<ConfigRangeAttribute>() is { } range && value is not null)
            {
                var number = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (!range.Contains(number))
                    errors.Add($"{prefix}{key} must be {range.Describe()} (got {ConfigNames.Format(value)})");
            }
        }
        if (target is IConfigSection section)
            section.Validate(errors, prefix);
    }

    /// <summary>Settable public instance properties by snake_case key, in declaration order.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> KeyedProperties(Type type)
    {
        var result = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.CanRead).OrderBy(p => p.MetadataToken))
            result[ConfigNames.ToSnakeCase(p.Name)] = p;
        return result;
    }

    public static bool IsSection(Type type) => type.IsClass && typeof(IConfigSection).IsAssignableFrom(type);

    private static object? ConvertScalar(string? text, Type type, string key)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (text is null)
        {
            if (type == typeof(string))
                return "";
            if (underlying is not null)
                return null;
            throw new ConfigException($"{key}: a value is required (null is not allowed)");
        }
        var t = underlying ?? type;
        var s = text.Trim();
        if (t == typeof(string))
            return text;
        if (t == typeof(int))
        {
            return int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                ? i
                : throw new ConfigException($"{key}: expected an integer, got '{text}'");
        }
        if (t == typeof(double))
        {
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? d
                : throw new ConfigException($"{key}: expected a finite number, got '{text}'");
        }
        if (t == typeof(bool))
        {
            return s.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                _ => throw new ConfigException($"{key}: expected true or false, got '{text}'"),
            };
        }
        if (t.IsEnum)
        {
            foreach (var name in Enum.GetNames(t))
            {
                if (ConfigNames.ToSnakeCase(name) == s.ToLowerInvariant())
                    return Enum.Parse(t, name);
            }
            throw new ConfigException($"{key}: expected one of {string.Join("|", ConfigNames.EnumValues(t))}, got '{text}'");
        }
        throw new InvalidOperationException($"config key {key}: unsupported property type {type}");
    }
}
