namespace Rlhf.Configuration;

/// <summary>An untyped config tree: a mapping of keys to nodes, or a scalar. Origins feed error messages.</summary>
internal abstract record ConfigNode(string Origin);

/// <summary>A scalar value; null for YAML null (<c>~</c>, <c>null</c>, empty). <paramref name="BaseDirectory"/> resolves
/// relative paths.</summary>
internal sealed record ConfigScalar(string? Value, string Origin, string BaseDirectory) : ConfigNode(Origin);

/// <summary>A mapping, keys in document order.</summary>
internal sealed record ConfigMapping(string Origin) : ConfigNode(Origin)
{
    public List<KeyValuePair<string, ConfigNode>> Entries { get; } = [];

    public ConfigNode? Get(string key) => Entries.FirstOrDefault(e => e.Key == key).Value;

    public void Set(string key, ConfigNode node)
    {
        var i = Entries.FindIndex(e => e.Key == key);
        if (i >= 0)
            Entries[i] = new(key, node);
        else
            Entries.Add(new(key, node));
    }
}
