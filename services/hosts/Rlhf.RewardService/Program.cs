using Rlhf.Contracts;
using Rlhf.ModelServices;
using Rlhf.ServiceDefaults;

return await ServiceHostRunner.RunAsync(ServiceCatalog.Reward, args, a => Rlhf.Hosts.RewardServiceHost.Build(a));

namespace Rlhf.Hosts
{
    /// <summary>The composition of rlhf.v1.RewardService, run by this executable and by the in-process suite of <c>rlhf ppo</c>.</summary>
    public static class RewardServiceHost
    {
        /// <summary>Builds the host; configuration from appsettings.json, environment and <paramref name="args"/>, or exactly <paramref name="settings"/> when embedded; <paramref name="configure"/> adjusts the builder (tests: a TestServer).</summary>
        public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
            Action<WebApplicationBuilder>? configure = null)
        {
            var builder = ServiceDefaultsExtensions.CreateBuilder(args, settings, configure);
            builder.AddServiceDefaults(ServiceCatalog.Reward);
            builder.AddModel(trainable: false);
            builder.AddRewardScoring();
            builder.Services.AddSingleton<RewardServiceImpl>();

            var app = builder.Build();
            app.MapGrpcService<RewardServiceImpl>();
            app.MapDefaultEndpoints();
            return app;
        }
    }
}
