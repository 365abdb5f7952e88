using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Rlhf.ServiceDefaults;

/// <summary>Unhealthy once the host begins shutting down (<see cref="ShutdownDrain"/>), so health reports NOT_SERVING while calls drain.</summary>
public sealed class DrainHealthCheck(ShutdownDrain drain) : IHealthCheck
{
    /// <summary>The check's name.</summary>
    public const string Name = "drain";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.IsDraining
            ? HealthCheckResult.Unhealthy("shutting down: in-flight calls are draining")
            : HealthCheckResult.Healthy());
}
