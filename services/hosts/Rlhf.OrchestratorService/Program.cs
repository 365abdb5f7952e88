using Rlhf.Contracts;
using Rlhf.ModelServices;
using Rlhf.Orchestration.Hosting;
using Rlhf.ServiceDefaults;

return await ServiceHostRunner.RunAsync(ServiceCatalog.Orchestrator, args, a => Rlhf.Hosts.OrchestratorServiceHost.Build(a));

namespace Rlhf.Hosts
{
    /// <summary>The composition of rlhf.v1.OrchestratorService, run by this executable and by tests.</summary>
    public static class OrchestratorServiceHost
    {
        /// <summary>The model services' own compositions: what a run hosts in this process when it has no URL for one.</summary>
        public static readonly EmbeddedHosts ModelServiceHosts =
            new(PolicyServiceHost.Build, ReferenceServiceHost.Build, CriticServiceHost.Build, RewardServiceHost.Build);

        /// <summary>Builds the host; configuration from appsettings.json, environment and <paramref name="args"/>, or exactly <paramref name="settings"/> when embedded; <paramref name="configure"/> adjusts the builder (tests: a TestServer).</summary>
        public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
            Action<WebApplicationBuilder>? configure = null)
        {
            var builder = ServiceDefaultsExtensions.CreateBuilder(args, settings, configure);
            builder.AddServiceDefaults(ServiceCatalog.Orchestrator);
            builder.AddOrchestrator(ModelServiceHosts);

            var app = builder.Build();
            app.MapGrpcService<OrchestratorServiceImpl>();
            app.MapDefaultEndpoints();
            return app;
        }
    }
}
