using Microsoft.Extensions.Hosting;

namespace Rlhf.ServiceDefaults;

/// <summary>
/// The drain on shutdown. From the moment the host begins stopping (SIGTERM through the console lifetime, or
/// <c>StopAsync</c>) <see cref="IsDraining"/> is true, so <see cref="DrainHealthCheck"/> turns grpc.health.v1 to
/// NOT_SERVING; then, before any hosted service stops (the server included), the stop waits <see cref="Delay"/>
/// (<c>Host:DrainSeconds</c>, on the host's <see cref="TimeProvider"/>) while the server still accepts connections and
/// calls, so that load balancers and Kubernetes readiness probes polling health stop routing here before the port
/// closes. After the delay Kestrel stops accepting and in-flight calls get <c>Host:ShutdownSeconds</c> to finish. The
/// wait ends early when the shutdown timeout expires.
/// </summary>
public sealed class ShutdownDrain : IHostedLifecycleService
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;

    /// <param name="lifetime">The host's lifetime (its ApplicationStopping starts the drain on SIGTERM).</param>
    /// <param name="time">The clock the delay runs on (tests move a fake one).</param>
    /// <param name="delay">How long the stop waits with health NOT_SERVING before the server stops accepting; zero: no wait.</param>
    public ShutdownDrain(IHostApplicationLifetime lifetime, TimeProvider time, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        _lifetime = lifetime;
        _time = time;
        Delay = delay;
    }

    /// <summary>How long the stop waits, health NOT_SERVING, before the server stops accepting.</summary>
    public TimeSpan Delay { get; }

    /// <summary>Whether the host has begun stopping (the host signals ApplicationStopping before any StoppingAsync).</summary>
    public bool IsDraining => _lifetime.ApplicationStopping.IsCancellationRequested;

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (Delay <= TimeSpan.Zero)
            return;
        try
        {
            await Task.Delay(Delay, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the shutdown timeout expired: stop now
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
