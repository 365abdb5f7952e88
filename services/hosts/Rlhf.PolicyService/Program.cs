using Rlhf.Contracts;
using Rlhf.ModelServices;
using Rlhf.ServiceDefaults;

return await ServiceHostRunner.RunAsync(ServiceCatalog.Policy, args, a => Rlhf.Hosts.PolicyServiceHost.Build(a));

namespace Rlhf.Hosts
{
    /// <summary>The composition of rlhf.v1.PolicyService, run by this executable and by the in-process suite of <c>rlhf ppo</c>.</summary>
    public static class PolicyServiceHost
    {
        /// <summary>Builds the host; configuration from appsettings.json, environment and <paramref name="args"/>, or exactly <paramref name="settings"/> when embedded; <paramref name="configure"/> adjusts the builder (tests: a TestServer).</summary>
        public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
            Action<WebApplicationBuilder>? configure = null)
        {
            var builder = ServiceDefaultsExtensions.CreateBuilder(args, settings, configure);
            builder.AddServiceDefaults(ServiceCatalog.Policy);
            builder.AddModel(trainable: true);
            builder.Services.AddSingleton<PolicyServiceImpl>();

            var app = builder.Build();
            app.MapGrpcService<PolicyServiceImpl>();
            app.MapDefaultEndpoints();
            return app;
        }
    }
}
