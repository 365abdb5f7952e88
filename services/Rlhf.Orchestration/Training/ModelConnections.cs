using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// The orchestrator's connections to the four model services, made with Grpc.Net.ClientFactory
/// (<see cref="RlhfClientServiceCollectionExtensions.AddRlhfClient{TClient}"/>): retries of the idempotent RPCs for the
/// run's <c>service_retry_seconds</c>, an optional API key on every call (<c>RLHF_API_KEY</c>), round robin over the
/// replicas of a <c>dns:///</c> address, and a <see cref="TrainingServiceGuard"/> on the trainable services so that a
/// policy or critic restart fails the run fast with the resume command. Dispose to close the connections.
/// </summary>
public sealed class ModelConnections : IDisposable
{
    private readonly ServiceProvider _provider;

    /// <param name="endpoints">Where the services are.</param>
    /// <param name="runDirectory">The run directory (named in the resume command of a restart failure).</param>
    /// <param name="retryPatience">How long idempotent calls are retried while a service is UNAVAILABLE.</param>
    /// <param name="apiKey">Bearer API key sent with every call, or null.</param>
    /// <exception cref="ArgumentException">An endpoint is not an http, https or dns URL.</exception>
    public ModelConnections(ModelEndpoints endpoints, string runDirectory, TimeSpan retryPatience, string? apiKey)
    {
        Endpoints = endpoints;
        var options = new RlhfClientOptions
        {
            RetryPatience = retryPatience,
            ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey,
            // the orchestrator is one sequential client: an open circuit would only turn a wait for a restarting
            // service into a failed run
            CircuitBreaker = false,
        };
        var services = new ServiceCollection();
        services.AddRlhfClient<PolicyService.PolicyServiceClient>(ServiceCatalog.Policy, endpoints.Policy, options)
            .AddInterceptor(() => new TrainingServiceGuard(ServiceCatalog.Policy, runDirectory));
        services.AddRlhfClient<ReferenceService.ReferenceServiceClient>(ServiceCatalog.Reference, endpoints.Reference, options);
        if (endpoints.Critic is not null)
        {
            services.AddRlhfClient<CriticService.CriticServiceClient>(ServiceCatalog.Critic, endpoints.Critic, options)
                .AddInterceptor(() => new TrainingServiceGuard(ServiceCatalog.Critic, runDirectory));
        }
        services.AddRlhfClient<RewardService.RewardServiceClient>(ServiceCatalog.Reward, endpoints.Reward, options);
        _provider = services.BuildServiceProvider();
        Clients = new ModelClients(
            _provider.GetRequiredService<PolicyService.PolicyServiceClient>(),
            _provider.GetRequiredService<ReferenceService.ReferenceServiceClient>(),
            endpoints.Critic is null ? null : _provider.GetRequiredService<CriticService.CriticServiceClient>(),
            _provider.GetRequiredService<RewardService.RewardServiceClient>());
    }

    /// <summary>The addresses.</summary>
    public ModelEndpoints Endpoints { get; }

    /// <summary>Typed clients over the connections.</summary>
    public ModelClients Clients { get; }

    /// <inheritdoc />
    public void Dispose() => _provider.Dispose();
}
