using System.Text.Json.Serialization;

namespace Rlhf.ServiceDefaults.Authentication;

/// <summary>One API key: a name (the caller's identity), the secret, and the scopes it grants.</summary>
public sealed class ApiKey
{
    /// <summary>The key's name, e.g. the team that holds it: the authenticated user's name. Never the secret.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The secret sent as <c>authorization: Bearer &lt;key&gt;</c>. Never logged.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>Granted scopes (<see cref="Scopes"/>: <c>score</c>, <c>train</c>).</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>
    /// This key's sustained rate limit in calls per second (keys file: <c>rate_per_second</c>); null: the
    /// <c>RateLimit:PermitsPerSecond</c> default. Used only when rate limiting is on.
    /// </summary>
    [JsonPropertyName("rate_per_second")]
    public double? RatePerSecond { get; set; }
}
