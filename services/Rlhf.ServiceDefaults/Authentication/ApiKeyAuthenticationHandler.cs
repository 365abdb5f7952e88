using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rlhf.ServiceDefaults.Authentication;

/// <summary>
/// Authenticates <c>authorization: Bearer &lt;key&gt;</c> against the configured API keys, comparing in constant time.
/// Success yields a principal named after the key with one <see cref="Scopes.ClaimType"/> claim per scope; a missing
/// header is no result (anonymous), an unknown key a failure. Keys are compared in constant time (SHA-256 digests,
/// see <see cref="Find"/>). Neither the presented nor a configured secret is ever logged: failure messages name the
/// problem only, and a principal is named after its key's name. With <c>Auth:Enabled</c>
/// false every request is authenticated as <c>anonymous</c> with every scope.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>Name of the principal when authentication is disabled.</summary>
    public const string AnonymousName = "anonymous";

    private const string BearerPrefix = "Bearer ";

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Options.Enabled)
            return Task.FromResult(Success(AnonymousName, [Scopes.Score, Scopes.Train]));
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || header.Length == BearerPrefix.Length)
            return Task.FromResult(AuthenticateResult.Fail("the authorization header must be 'Bearer <key>'"));
        var key = Find(Options.Keys, header[BearerPrefix.Length..].Trim());
        return Task.FromResult(key is null ? AuthenticateResult.Fail("unknown API key") : Success(key.Name, key.Scopes));
    }

    private AuthenticateResult Success(string name, IEnumerable<string> scopes)
    {
        var identity = new ClaimsIdentity(Scheme.Name, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, name));
        foreach (var scope in scopes)
            identity.AddClaim(new Claim(Scopes.ClaimType, scope));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>
    /// The key whose secret is <paramref name="presented"/>, or null. Compares the SHA-256 digests of the presented
    /// secret and of every configured one with <see cref="CryptographicOperations.FixedTimeEquals"/>, visiting every
    /// key: digests have one length whatever the secrets' lengths, so timing reveals neither which key matched, nor
    /// how much of one, nor how long the keys are.
    /// </summary>
    internal static ApiKey? Find(IEnumerable<ApiKey> keys, string presented)
    {
        Span<byte> presentedDigest = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> keyDigest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), presentedDigest);
        ApiKey? match = null;
        foreach (var key in keys)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(key.Key), keyDigest);
            if (CryptographicOperations.FixedTimeEquals(keyDigest, presentedDigest) && key.Key.Length > 0)
                match ??= key;
        }
        return match;
    }
}
