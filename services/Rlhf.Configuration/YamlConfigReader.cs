using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rlhf.Configuration;

/// <summary>Reads YAML text into a <see cref="ConfigMapping"/> and applies <c>--set key=value</c> overrides.</summary>
internal static class YamlConfigReader
{
    public static ConfigMapping Read(string yaml, string sourceName, string baseDirectory)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{sourceName}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new ConfigMapping(sourceName);
        if (stream.Documents.Count > 1)
            throw new ConfigException($"{sourceName}: expected one YAML document, found {stream.Documents.Count}");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException($"{sourceName}: the top level must be a mapping of keys to values");
        var errors = new List<string>();
        var mapping = Convert(root, "", sourceName, baseDirectory, errors);
        if (errors.Count > 0)
            throw new ConfigException(errors);
        return mapping;
    }

    private static ConfigMapping Convert(YamlMappingNode node, string prefix, string source, string baseDirectory, List<string> errors)
    {
        var mapping = new ConfigMapping($"{source}:{node.Start.Line}");
        foreach (var (keyNode, valueNode) in node.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var origin = $"{source}:{keyNode.Start.Line}";
            if (mapping.Get(key) is not null)
            {
                errors.Add($"{prefix}{key}: duplicate key ({origin})");
                continue;
            }
            switch (valueNode)
            {
                case YamlMappingNode child:
                    mapping.Set(key, Convert(child, $"{prefix}{key}.", source, baseDirectory, errors));
                    break;
                case YamlScalarNode scalar:
                    var isNull = scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";
                    mapping.Set(key, new ConfigScalar(isNull ? null : scalar.Value, origin, baseDirectory));
                    break;
                default:
                    errors.Add($"{prefix}{key}: lists are not supported here ({origin})");
                    break;
            }
        }
        return mapping;
    }

    /// <summary>
    /// Applies <c>key=value</c> overrides (dotted keys address sections: <c>prompts.eval_fraction=0.1</c>) on top of
    /// <paramref name="root"/>. The value is taken literally (no YAML quoting); <c>null</c> or <c>~</c> sets null.
    /// </summary>
    public static void ApplyOverrides(ConfigMapping root, IEnumerable<string> overrides, string baseDirectory)
    {
        var errors = new List<string>();
        foreach (var assignment in overrides)
        {
            var eq = assignment.IndexOf('=');
            var key = eq < 0 ? assignment : assignment[..eq].Trim();
            var origin = $"--set {assignment}";
            if (eq <= 0 || key.Length == 0 || key.Split('.').Any(p => p.Length == 0))
            {
                errors.Add($"{origin}: expected key=value (dotted keys for sections, e.g. prompts.eval_fraction=0.1)");
                continue;
            }
            var value = assignment[(eq + 1)..];
            var parts = key.Split('.');
            var mapping = root;
            var ok = true;
            for (var i = 0; i < parts.Length - 1 && ok; i++)
            {
                switch (mapping.Get(parts[i]))
                {
                    case ConfigMapping child:
                        mapping = child;
                        break;
                    case null:
                        var created = new ConfigMapping(origin);
                        mapping.Set(parts[i], created);
                        mapping = created;
                        break;
                    default:
                        errors.Add($"{origin}: '{string.Join('.', parts[..(i + 1)])}' is a value, not a section");
                        ok = false;
                        break;
                }
            }
            if (ok)
                mapping.Set(parts[^1], new ConfigScalar(value is "null" or "~" ? null : value, origin, baseDirectory));
        }
        if (errors.Count > 0)
            throw new ConfigException(errors);
    }
}
