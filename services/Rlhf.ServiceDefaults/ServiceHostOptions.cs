namespace Rlhf.ServiceDefaults;

/// <summary>What a host tells the shared defaults about itself.</summary>
/// <param name="ServiceName">Fully-qualified gRPC service name, e.g. <c>rlhf.v1.RewardService</c>.</param>
/// <param name="DefaultPort">Port used when no URL is configured (<c>--urls</c>, <c>Urls</c>, <c>ASPNETCORE_URLS</c>).</param>
/// <param name="DefaultScope">API-key scope every RPC of the service requires unless <paramref name="MethodScopes"/> says otherwise.</param>
/// <param name="MethodScopes">Per-method scopes: full method name (<c>/pkg.Service/Method</c>) → scope.</param>
/// <param name="Meters">The service's own meters, exported besides <see cref="RlhfServiceHost.Meters"/> (e.g. the reward service's).</param>
public sealed record ServiceHostOptions(string ServiceName, int DefaultPort, string DefaultScope, IReadOnlyDictionary<string, string>? MethodScopes = null,
    IReadOnlyList<string>? Meters = null);
