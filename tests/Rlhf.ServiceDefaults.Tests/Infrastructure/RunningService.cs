using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rlhf.Contracts;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Serilog.Core;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Rlhf.ServiceDefaults.Tests.Infrastructure;

/// <summary>
/// One of the five hosts built by its own <c>XServiceHost.Build</c> (exactly what its executable runs), started on
/// Kestrel at 127.0.0.1 on a free port (real HTTP/2), with a channel to it and the Serilog events it wrote.
/// </summary>
internal sealed class RunningService : IAsyncDisposable
{
    private RunningService(WebApplication app, CapturedLog log)
    {
        App = app;
        Log = log;
        Address = app.BoundAddress();
        Channel = GrpcChannel.ForAddress(Address);
    }

    /// <summary>The host.</summary>
    public WebApplication App { get; }

    /// <summary>Every Serilog event the host wrote.</summary>
    public CapturedLog Log { get; }

    /// <summary>The gRPC address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>A channel to <see cref="Address"/>.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The composition of each service, by short name (<see cref="ServiceEntry.Name"/>).</summary>
    public static Func<string[], IReadOnlyDictionary<string, string?>?, Action<WebApplicationBuilder>?, WebApplication> Builder(ServiceEntry service) =>
        service.Name switch
        {
            "policy" => PolicyServiceHost.Build,
            "reference" => ReferenceServiceHost.Build,
            "critic" => CriticServiceHost.Build,
            "reward" => RewardServiceHost.Build,
            "orchestrator" => OrchestratorServiceHost.Build,
            _ => throw new ArgumentException($"no host for {service.Name}", nameof(service)),
        };

    /// <summary>The settings every test host starts from: stories260K with tok512 on one thread, warnings only, auth off.</summary>
    public static Dictionary<string, string?> DefaultSettings(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Model:Checkpoint"] = TestData.Model,
            ["Model:Tokenizer"] = TestData.Tokenizer,
            ["Model:Threads"] = "1",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Auth:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            all[key] = value;
        return all;
    }

    /// <summary>Builds <paramref name="service"/>'s host without starting it (no sockets).</summary>
    /// <param name="service">The service.</param>
    /// <param name="settings">Settings over <see cref="DefaultSettings"/>.</param>
    /// <param name="configure">Runs on the builder before the host's own registrations.</param>
    /// <param name="replace">Runs on the complete service collection, after the host's own registrations (to replace one).</param>
    public static WebApplication Build(ServiceEntry service, IReadOnlyDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null, Action<IServiceCollection>? replace = null) =>
        Builder(service)(["--urls", "http://127.0.0.1:0"], DefaultSettings(settings), builder =>
        {
            if (replace is not null)
                builder.Host.UseServiceProviderFactory(new ReplacingServiceProviderFactory(replace));
            configure?.Invoke(builder);
        });

    /// <summary>
    /// Starts <paramref name="service"/> and, for a model service unless <paramref name="waitForModel"/> is false,
    /// waits until its model is loaded.
    /// </summary>
    public static async Task<RunningService> StartAsync(ServiceEntry service, IReadOnlyDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null, Action<IServiceCollection>? replace = null, bool waitForModel = true)
    {
        var log = new CapturedLog();
        var app = Build(service, settings, builder =>
        {
            builder.Services.AddSingleton<ILogEventSink>(log);
            configure?.Invoke(builder);
        }, replace);
        await app.StartAsync();
        if (waitForModel && app.Services.GetService<ModelHost>() is { } model)
            await model.Ready;
        return new RunningService(app, log);
    }

    /// <summary>A call invoker on <see cref="Channel"/> that sends <c>authorization: Bearer apiKey</c> when a key is given.</summary>
    public CallInvoker Invoker(string? apiKey = null) => apiKey is null
        ? Channel.CreateCallInvoker()
        : Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + apiKey);
            return metadata;
        });

    /// <summary>What grpc.health.v1 Check answers for <paramref name="name"/>.</summary>
    public async Task<ServingStatus> HealthAsync(string name = "") =>
        (await new Health.HealthClient(Channel).CheckAsync(new HealthCheckRequest { Service = name })).Status;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>The default container, built from the collection after <c>replace</c> has edited it.</summary>
    private sealed class ReplacingServiceProviderFactory(Action<IServiceCollection> replace) : IServiceProviderFactory<IServiceCollection>
    {
        public IServiceCollection CreateBuilder(IServiceCollection services)
        {
            replace(services);
            return services;
        }

        public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder) => containerBuilder.BuildServiceProvider();
    }
}

/// <summary>Replaces a model host's loader with one that loads only when the test opens the gate.</summary>
internal sealed class GatedModelLoad
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the model load.</summary>
    public void Open() => _gate.TrySetResult();

    /// <summary>Edits a host's services: <see cref="ModelLoader"/> out, the gated load in.</summary>
    public void Replace(IServiceCollection services)
    {
        var loader = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ModelLoader));
        services.Remove(loader);
        services.AddHostedService(sp => new Loader(sp.GetRequiredService<ModelHost>(), _gate.Task));
    }

    private sealed class Loader(ModelHost host, Task gate) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await gate.WaitAsync(stoppingToken);
            host.Load();
        }
    }
}
