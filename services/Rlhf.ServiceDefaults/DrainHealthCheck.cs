using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Rlhf.ServiceDefaults;

/// <summary>Unhealthy once the host begins shutting down (SIGTERM), so health reports NOT_SERVING while calls drain.</summary>
public sealed class DrainHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    /// <summary>The check's name.</summary>
    public const string Name = "drain";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("shutting down: in-flight calls are draining")
            : HealthCheckResult.Healthy());
}
