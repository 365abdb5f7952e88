using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.ModelServices;

namespace Rlhf.Orchestration.Hosting;

/// <summary>Registers the OrchestratorService on a host with the service defaults.</summary>
public static class OrchestratorHosting
{
    /// <summary>
    /// Binds and validates the <c>Orchestrator</c> section and registers <see cref="OrchestratorServiceImpl"/> as a
    /// singleton, with <paramref name="hosts"/> for runs that host model services in this process, and the health check
    /// that the configured model services are reachable (<see cref="ModelServicesHealthCheck"/>: NOT_SERVING when one
    /// is not).
    /// </summary>
    /// <exception cref="InvalidOperationException">The section is unusable (the message names the key).</exception>
    public static WebApplicationBuilder AddOrchestrator(this WebApplicationBuilder builder, EmbeddedHosts hosts)
    {
        builder.Services.AddSingleton(hosts);
        var options = builder.Configuration.GetSection(OrchestratorOptions.Section).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<OrchestratorServiceImpl>();
        builder.Services.AddSingleton<ModelServicesHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<ModelServicesHealthCheck>(ModelServicesHealthCheck.Name);
        return builder;
    }
}
