namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>
/// The services every caller may use: health and reflection never need an API key (<see cref="ApiKeyAuthInterceptor"/>)
/// and are never rate limited (<see cref="RateLimitInterceptor"/>).
/// </summary>
internal static class ExemptServices
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal) { "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection" };

    /// <summary>Whether <paramref name="serviceName"/> (fully qualified) is always open.</summary>
    public static bool Contains(string serviceName) => Names.Contains(serviceName);
}
