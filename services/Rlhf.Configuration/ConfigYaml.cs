using System.ComponentModel;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Rlhf.Configuration;

/// <summary>
/// Writes a config object back to YAML (the run directory's <c>config.yaml</c>): every key, snake_case, in declaration
/// order, sections indented, each preceded by its <see cref="DescriptionAttribute"/> as a comment. Strings are written
/// double-quoted with JSON escapes (valid YAML), numbers in round-trip form, null as <c>null</c>. Loading the output
/// with <see cref="ConfigLoader"/> gives back an equal config.
/// </summary>
public static class ConfigYaml
{
    /// <summary>
    /// Every scalar of config YAML text by its dotted key (<c>prompts.path</c>), in document order; null values as
    /// <c>"null"</c>. Unbound: keys need not belong to any config class. Throws <see cref="ConfigException"/> when the
    /// text is not a YAML mapping.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadScalars(string yaml, string sourceName, string baseDirectory)
    {
        var values = new List<KeyValuePair<string, string>>();
        Flatten(YamlConfigReader.Read(yaml, sourceName, baseDirectory), "", values);
        return values;
    }

    private static void Flatten(ConfigMapping mapping, string prefix, List<KeyValuePair<string, string>> values)
    {
        foreach (var (key, node) in mapping.Entries)
        {
            switch (node)
            {
                case ConfigMapping child:
                    Flatten(child, prefix + key + ".", values);
                    break;
                case ConfigScalar scalar:
                    values.Add(new(prefix + key, scalar.Value ?? "null"));
                    break;
            }
        }
    }

    /// <summary>The YAML text of <paramref name="config"/>.</summary>
    public static string Serialize(IConfigSection config)
    {
        var sb = new StringBuilder();
        Write(sb, config, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object section, int depth)
    {
        var indent = new string(' ', depth * 2);
        foreach (var (key, property) in ConfigBinder.KeyedProperties(section.GetType()))
        {
            if (property.GetCustomAttribute<DescriptionAttribute>() is { } description)
                sb.Append(indent).Append("# ").AppendLine(description.Description.ReplaceLineEndings(" "));
            var value = property.GetValue(section);
            if (ConfigBinder.IsSection(property.PropertyType))
            {
                sb.Append(indent).Append(key).AppendLine(":");
                if (value is not null)
                    Write(sb, value, depth + 1);
                continue;
            }
            sb.Append(indent).Append(key).Append(": ").AppendLine(value switch
            {
                string s => JsonSerializer.Serialize(s),
                _ => ConfigNames.Format(value),
            });
        }
    }
}
