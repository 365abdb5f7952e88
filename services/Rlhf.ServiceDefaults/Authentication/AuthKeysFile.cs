using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.ServiceDefaults.Authentication;

namespace Rlhf.ServiceDefaults.Authentication;

/// <summary>
/// API keys mounted as a file (a Kubernetes Secret): <c>{"keys": [{"name": "team-a", "key": "…", "scopes": ["score"]}]}</c>.
/// </summary>
public static class AuthKeysFile
{
    /// <summary>Reads the keys in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is missing or malformed (the message names it and the problem).</exception>
    public static IReadOnlyList<ApiKey> Read(string path)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"Auth:KeysFile '{path}' does not exist");
        try
        {
            var file = JsonSerializer.Deserialize<KeysFile>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                ?? throw new InvalidOperationException($"Auth:KeysFile '{path}' is empty");
            foreach (var key in file.Keys)
            {
                if (string.IsNullOrEmpty(key.Name) || string.IsNullOrEmpty(key.Key) || key.Scopes.Count == 0)
                    throw new InvalidOperationException($"Auth:KeysFile '{path}': every key needs a name, a key and at least one scope");
            }
            return file.Keys;
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"Auth:KeysFile '{path}' is not valid JSON: {e.Message}");
        }
    }

    private sealed class KeysFile
    {
        [JsonPropertyName("keys")]
        public List<ApiKey> Keys { get; set; } = [];
    }
}
