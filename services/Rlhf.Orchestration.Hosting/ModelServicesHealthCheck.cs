using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rlhf.Client;
using Rlhf.Contracts;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// Whether the model services the orchestrator is configured to use (the <c>Orchestrator:*Url</c> settings) are
/// reachable and serving: on every health check it asks each one's grpc.health.v1 for its own service name (e.g.
/// <c>rlhf.v1.PolicyService</c>, so a service still loading its model or draining counts as down), with a deadline of
/// <see cref="OrchestratorOptions.HealthProbeSeconds"/>. Unhealthy, naming each failing service, its URL and the
/// answer, when any is unreachable or not SERVING; services without a URL are hosted in-process per run and not probed.
/// </summary>
public sealed class ModelServicesHealthCheck : IHealthCheck, IDisposable
{
    /// <summary>The check's name.</summary>
    public const string Name = "model-services";

    private readonly IReadOnlyList<Probe> _probes;
    private readonly TimeSpan _deadline;

    /// <param name="options">The configured URLs and the probe deadline.</param>
    /// <exception cref="ArgumentException">A URL is not an http, https or dns address.</exception>
    public ModelServicesHealthCheck(OrchestratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _deadline = TimeSpan.FromSeconds(options.HealthProbeSeconds);
        _probes = [.. new[]
            {
                (ServiceCatalog.Policy, options.PolicyUrl), (ServiceCatalog.Reference, options.ReferenceUrl),
                (ServiceCatalog.Critic, options.CriticUrl), (ServiceCatalog.Reward, options.RewardUrl),
            }
            .Where(s => s.Item2.Length > 0)
            .Select(s => new Probe(s.Item1, s.Item2, Channel(s.Item2)))];
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var answers = await Task.WhenAll(_probes.Select(p => AskAsync(p, cancellationToken))).ConfigureAwait(false);
        var down = answers.Where(a => a is not null).ToArray();
        return down.Length == 0
            ? HealthCheckResult.Healthy(_probes.Count == 0 ? "no remote model services configured" : null)
            : HealthCheckResult.Unhealthy(string.Join("; ", down));
    }

    /// <summary>Null when the service answers SERVING, else what is wrong.</summary>
    private async Task<string?> AskAsync(Probe probe, CancellationToken cancellationToken)
    {
        try
        {
            var response = await new Health.HealthClient(probe.Channel)
                .CheckAsync(new HealthCheckRequest { Service = probe.Service.FullName }, deadline: DateTime.UtcNow + _deadline, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? null
                : $"{probe.Service.FullName} at {probe.Url} is {response.Status}";
        }
        catch (RpcException e)
        {
            return $"{probe.Service.FullName} at {probe.Url} is unreachable: {e.StatusCode} ({e.Status.Detail})";
        }
    }

    /// <summary>A channel for health probes only: no retries, no key (health is open).</summary>
    private static GrpcChannel Channel(string url)
    {
        var uri = ServiceAddress.Parse(url);
        return GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            Credentials = ServiceAddress.IsDns(uri) ? ChannelCredentials.Insecure : null,
            MaxRetryAttempts = 0,
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var probe in _probes)
            probe.Channel.Dispose();
    }

    private sealed record Probe(ServiceEntry Service, string Url, GrpcChannel Channel);
}
