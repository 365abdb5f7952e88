using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rlhf.Grpc.AspNetCore.Internal;

namespace Rlhf.Grpc.AspNetCore;

/// <summary>
/// API-key authentication and scope authorization from <c>authorization: Bearer &lt;key&gt;</c> metadata: a missing or
/// unknown key → UNAUTHENTICATED, a key without the required scope → PERMISSION_DENIED. Health and reflection never
/// need a key. On success the key's name is in <c>context.UserState["api_key_name"]</c> and its scopes in
/// <c>context.UserState["api_key_scopes"]</c>.
/// </summary>
public sealed class ApiKeyAuthInterceptor(IOptionsMonitor<ApiKeyAuthOptions> options, ILogger<ApiKeyAuthInterceptor> logger) : IServerInterceptor
{
    /// <summary>The <see cref="ServerCallContext.UserState"/> key holding the caller's key name.</summary>
    public const string ApiKeyNameKey = "api_key_name";

    /// <summary>The <see cref="ServerCallContext.UserState"/> key holding the caller's scopes (<c>IReadOnlyList&lt;string&gt;</c>).</summary>
    public const string ApiKeyScopesKey = "api_key_scopes";

    /// <inheritdoc />
    public Task InvokeAsync(ServerCallContext context, Func<Task> next)
    {
        var settings = options.CurrentValue;
        var service = context.ServiceName;
        if (!settings.Enabled || ExemptServices.Contains(service) || settings.AnonymousServices.Contains(service))
        {
            return next();
        }

        var header = context.RequestHeaders.GetValue("authorization");
        const string scheme = "Bearer ";
        if (header is null || !header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length)
        {
            throw Refuse(context, StatusCode.Unauthenticated, "Missing API key: send metadata 'authorization: Bearer <key>'.");
        }

        var key = FindKey(settings.Keys, header[scheme.Length..].Trim())
            ?? throw Refuse(context, StatusCode.Unauthenticated, "Unknown API key.");

        var required = settings.RequiredScopes.TryGetValue(context.Method, out var byMethod) ? byMethod
            : settings.RequiredScopes.TryGetValue(service, out var byService) ? byService
            : settings.DefaultScope;
        if (!string.IsNullOrEmpty(required) && !key.Scopes.Contains(required, StringComparer.Ordinal))
        {
            throw Refuse(context, StatusCode.PermissionDenied, $"API key '{key.Name}' lacks the scope '{required}' required by {context.Method}.");
        }

        context.UserState[ApiKeyNameKey] = key.Name;
        context.UserState[ApiKeyScopesKey] = key.Scopes.AsReadOnly();
        return next();
    }

    /// <summary>Compares in constant time per key, so timing does not reveal how much of a key matched.</summary>
    private static ApiKey? FindKey(IEnumerable<ApiKey> keys, string presented)
    {
        var presentedBytes = Encoding.UTF8.GetBytes(presented);
        ApiKey? match = null;
        foreach (var key in keys)
        {
            if (key.Key.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key.Key), presentedBytes))
            {
                match ??= key;
            }
        }

        return match;
    }

    private RpcException Refuse(ServerCallContext context, StatusCode code, string detail)
    {
        Log.AuthRefused(logger, context.Method, context.Peer, detail);
        return new RpcException(code, detail);
    }
}
