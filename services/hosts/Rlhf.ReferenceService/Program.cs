using Rlhf.Contracts;
using Rlhf.ModelServices;
using Rlhf.ServiceDefaults;

return await ServiceHostRunner.RunAsync(ServiceCatalog.Reference, args, a => Rlhf.Hosts.ReferenceServiceHost.Build(a));

namespace Rlhf.Hosts
{
    /// <summary>The composition of rlhf.v1.ReferenceService, run by this executable and by the in-process suite of <c>rlhf ppo</c>.</summary>
    public static class ReferenceServiceHost
    {
        /// <summary>Builds the host; configuration from appsettings.json, environment and <paramref name="args"/>, or exactly <paramref name="settings"/> when embedded; <paramref name="configure"/> adjusts the builder (tests: a TestServer).</summary>
        public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
            Action<WebApplicationBuilder>? configure = null)
        {
            var builder = ServiceDefaultsExtensions.CreateBuilder(args, settings, configure);
            builder.AddServiceDefaults(ServiceCatalog.Reference);
            builder.AddModel(trainable: false);
            builder.Services.AddSingleton<ReferenceServiceImpl>();

            var app = builder.Build();
            app.MapGrpcService<ReferenceServiceImpl>();
            app.MapDefaultEndpoints();
            return app;
        }
    }
}
