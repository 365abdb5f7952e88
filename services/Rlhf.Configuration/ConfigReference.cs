using System.ComponentModel;
using System.Reflection;
using System.Text;

namespace Rlhf.Configuration;

/// <summary>
/// The configuration reference (<c>docs/configuration.md</c>, printed by <c>rlhf ppo --help-config</c>), generated from
/// the config classes: every key of each class (<see cref="ConfigClass"/>: <c>PpoConfig</c>, <c>RewardTrainingConfig</c>) with its type,
/// default, range (<see cref="ConfigRangeAttribute"/>), meaning (<see cref="DescriptionAttribute"/>) and TRL / verl
/// name (<see cref="ConfigAliasAttribute"/>), plus tables that other commands supply (<see cref="Table"/>).
/// </summary>
public static class ConfigReference
{
    /// <summary>A further table of the reference, e.g. the keys of <c>rlhf up</c>'s file.</summary>
    /// <param name="Heading">The section heading.</param>
    /// <param name="Intro">A paragraph under the heading.</param>
    /// <param name="Rows">Key, type, default and meaning.</param>
    public sealed record Table(string Heading, string Intro, IReadOnlyList<(string Key, string Type, string Default, string Meaning)> Rows);

    /// <summary>A config class of the reference and the command that reads it.</summary>
    /// <param name="Command">The command, e.g. <c>`rlhf ppo`</c> (Markdown).</param>
    /// <param name="Type">The config class (an <see cref="IConfigSection"/> with a parameterless constructor).</param>
    /// <param name="Intro">A paragraph under the heading.</param>
    public sealed record ConfigClass(string Command, Type Type, string Intro);

    /// <summary>One key of a config class.</summary>
    /// <param name="Key">Dotted snake_case key, e.g. <c>prompts.path</c>.</param>
    /// <param name="Property">The property.</param>
    /// <param name="Default">The default value (formatted as YAML shows it).</param>
    public sealed record Entry(string Key, PropertyInfo Property, string Default);

    /// <summary>Every key of <paramref name="type"/>, sections expanded, in declaration order.</summary>
    public static IReadOnlyList<Entry> Entries(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var entries = new List<Entry>();
        Collect(Activator.CreateInstance(type)!, "", entries);
        return entries;
    }

    /// <summary>The whole reference as Markdown: a table per config class, then the <paramref name="extra"/> tables.</summary>
    public static string Markdown(IReadOnlyList<ConfigClass> classes, params Table[] extra)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var sb = new StringBuilder();
        sb.AppendLine("# Configuration reference");
        sb.AppendLine();
        sb.AppendLine("Generated from the config classes by `scripts/rlhf ppo --help-config > docs/configuration.md`; a test fails when a key");
        sb.AppendLine("lacks its description or this file is stale. Keys are snake_case; a YAML file sets them (sections as nested");
        sb.AppendLine("mappings), `--set key=value` overrides one (`--set prompts.path=FILE` for a key of a section). Unknown keys,");
        sb.AppendLine("wrong types and values out of range are refused before anything runs, each with its file and line. Values of");
        sb.AppendLine("type *path* expand `${NAME}` and `${NAME:-default}`, and resolve against the YAML file's folder (a `--set`");
        sb.AppendLine("value: against the current folder); `${RLHF_DATA_DIR}` unset means the first `shared/data` in the config's");
        sb.AppendLine("folder or a parent. *null* means unset. The last column gives the name TRL or verl use where it differs.");
        sb.AppendLine("The service hosts' own settings (`Model:Checkpoint`, `Auth:Keys`, …) are in [CONVENTIONS.md](CONVENTIONS.md).");
        foreach (var config in classes)
            Section(sb, config.Command, config.Type.Name, config.Intro, config.Type);
        foreach (var table in extra)
        {
            sb.AppendLine().Append("## ").AppendLine(table.Heading).AppendLine().AppendLine(table.Intro).AppendLine();
            sb.AppendLine("| key | type | default | meaning |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var (key, type, value, meaning) in table.Rows)
                sb.AppendLine($"| `{key}` | {Cell(type)} | {Cell(value)} | {Cell(meaning)} |");
        }
        return sb.ToString();
    }

    /// <summary>The type column: <c>int</c>, <c>float</c>, <c>bool</c>, <c>string</c>, <c>path</c>, or the enum's values;
    /// "or null" for optional keys.</summary>
    public static string TypeName(PropertyInfo property)
    {
        ArgumentNullException.ThrowIfNull(property);
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var name = type == typeof(int) || type == typeof(long) ? "int"
            : type == typeof(double) || type == typeof(float) ? "float"
            : type == typeof(bool) ? "bool"
            : type == typeof(string) ? property.GetCustomAttribute<ConfigPathAttribute>() is not null ? "path" : "string"
            : type.IsEnum ? string.Join(" \\| ", ConfigNames.EnumValues(type).Select(v => $"`{v}`"))
            : type.Name;
        return Nullable.GetUnderlyingType(property.PropertyType) is not null ? name + " or null" : name;
    }

    private static void Section(StringBuilder sb, string command, string className, string intro, Type type)
    {
        sb.AppendLine().Append("## ").Append(command).Append(" (").Append(className).AppendLine(")").AppendLine().AppendLine(intro).AppendLine();
        sb.AppendLine("| key | type | default | range | meaning | TRL / verl |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var entry in Entries(type))
        {
            var p = entry.Property;
            var range = p.GetCustomAttribute<ConfigRangeAttribute>()?.Describe() ?? "";
            var description = p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "";
            var alias = p.GetCustomAttribute<ConfigAliasAttribute>() is { } a
                ? string.Join("; ", new[] { a.Trl is null ? null : "TRL " + Names(a.Trl), a.Verl is null ? null : "verl " + Names(a.Verl) }.Where(x => x is not null))
                : "";
            sb.AppendLine($"| `{entry.Key}` | {TypeName(p)} | {Cell(entry.Default)} | {Cell(range)} | {Cell(description)} | {alias} |");
        }
    }

    private static void Collect(object section, string prefix, List<Entry> entries)
    {
        foreach (var (key, property) in ConfigBinder.KeyedProperties(section.GetType()))
        {
            var value = property.GetValue(section);
            if (ConfigBinder.IsSection(property.PropertyType))
            {
                Collect(value ?? Activator.CreateInstance(property.PropertyType)!, prefix + key + ".", entries);
                continue;
            }
            var shown = value switch
            {
                null => "null",
                string { Length: 0 } => "",
                string s => s,
                _ => ConfigNames.Format(value),
            };
            entries.Add(new Entry(prefix + key, property, shown.Length == 0 ? "" : $"`{shown}`"));
        }
    }

    /// <summary>"a (note); b" → "`a` (note), `b`".</summary>
    private static string Names(string names) => string.Join(", ", names.Split("; ").Select(n =>
        n.IndexOf(" (", StringComparison.Ordinal) is var i and > 0 ? $"`{n[..i]}`{n[i..]}" : $"`{n}`"));

    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);
}
