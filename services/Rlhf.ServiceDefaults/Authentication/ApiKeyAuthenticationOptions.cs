using Microsoft.AspNetCore.Authentication;

namespace Rlhf.ServiceDefaults.Authentication;

/// <summary>
/// Options of <see cref="ApiKeyAuthenticationHandler"/>, bound from the <c>Auth</c> section: <c>Auth:Enabled</c>,
/// <c>Auth:Keys</c> (a list of <see cref="ApiKey"/>) and <c>Auth:KeysFile</c> (a mounted JSON file, read at start-up by
/// <see cref="AuthKeysFile"/>).
/// </summary>
public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>The scheme name.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>Whether keys are checked. When false every caller is authenticated as <c>anonymous</c> with every scope.</summary>
    public bool Enabled { get; set; }

    /// <summary>The accepted keys (configuration and keys file together).</summary>
    public List<ApiKey> Keys { get; set; } = [];
}
