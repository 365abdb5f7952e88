using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Rlhf.Grpc.AspNetCore;
using Serilog;
using Serilog.Formatting.Json;

namespace Rlhf.ServiceDefaults;

/// <summary>
/// The defaults every service host shares (ASP.NET Core configuration conventions: appsettings.json, environment
/// variables <c>Section__Key</c>, command line <c>--Section:Key=value</c>):
/// structured JSON logs on stdout through Serilog (one line per call from the logging interceptor), Kestrel serving
/// HTTP/2 only, the gRPC server with logging, metrics and API-key interceptors (<c>Auth</c> section), health and
/// reflection, OpenTelemetry metrics exported over OTLP when <c>Telemetry:OtlpEndpoint</c> is set, message size limits
/// (<c>Grpc</c> section), per-caller rate limits (<c>RateLimit</c> section: <c>Enabled</c>, <c>PermitsPerSecond</c>,
/// <c>Burst</c>, <c>PerKey:&lt;name&gt;</c>, or a key's <c>rate_per_second</c>), Prometheus text on <c>GET /metrics</c> at a
/// separate HTTP/1.1 port when <c>Telemetry:MetricsPort</c> is set (host <c>Telemetry:MetricsHost</c>, default
/// 127.0.0.1), and a graceful drain of in-flight calls on SIGTERM (<c>Host:ShutdownSeconds</c>, default 30);
/// <c>Host:Embedded=true</c> leaves signals to the program that embeds the host.
/// </summary>
public static class RlhfServiceHost
{
    /// <summary>Meters every host exports; a host adds its own with <see cref="ServiceHostOptions.Meters"/>.</summary>
    public static readonly string[] Meters = [MetricsInterceptor.MeterName];

    /// <summary>Creates a builder with the shared defaults applied.</summary>
    /// <param name="args">Command-line arguments (e.g. <c>--urls http://127.0.0.1:50051</c>).</param>
    /// <param name="host">The service's name, default port and auth scopes.</param>
    /// <param name="settings">Extra configuration applied over appsettings and environment (used by in-process hosting).</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, ServiceHostOptions host, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        var config = builder.Configuration;

        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(Enum.TryParse<Serilog.Events.LogEventLevel>(config["Logging:Level"], true, out var level) ? level : Serilog.Events.LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
            .Enrich.WithProperty("service", host.ServiceName)
            .WriteTo.Console(new JsonFormatter(renderMessage: true))
            .CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.UseGrpcDefaults();
            kestrel.AddServerHeader = false;
        });
        if (string.IsNullOrEmpty(config["urls"]) && string.IsNullOrEmpty(config[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls($"http://127.0.0.1:{host.DefaultPort}");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(config.GetValue("Host:ShutdownSeconds", 30)));
        if (config.GetValue("Host:Embedded", false))
            builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();

        builder.Services.AddGrpcServer(o =>
        {
            o.MaxReceiveMessageSize = config.GetValue("Grpc:MaxReceiveMessageBytes", 16 << 20);
            o.MaxSendMessageSize = config.GetValue("Grpc:MaxSendMessageBytes", 16 << 20);
            o.EnableDetailedErrors = config.GetValue("Grpc:EnableDetailedErrors", false);
            o.Interceptors.Add(typeof(LoggingInterceptor));
            o.Interceptors.Add(typeof(MetricsInterceptor));
            o.Interceptors.Add(typeof(ApiKeyAuthInterceptor));
            o.Interceptors.Add(typeof(RateLimitInterceptor));
        });
        // Auth:Keys and the keys file, read once (when the options are first needed) for authentication and per-key rate limits.
        var apiKeys = new Lazy<List<ApiKey>>(() =>
        {
            var keys = new List<ApiKey>();
            config.GetSection("Auth:Keys").Bind(keys);
            if (config["Auth:KeysFile"] is { Length: > 0 } file)
                keys.AddRange(AuthKeysFile.Read(file));
            return keys;
        });
        builder.Services.Configure<ApiKeyAuthOptions>(o =>
        {
            o.Enabled = config.GetValue("Auth:Enabled", false);
            o.Keys.AddRange(apiKeys.Value);
            o.DefaultScope = host.DefaultScope;
            foreach (var (method, scope) in host.MethodScopes ?? new Dictionary<string, string>())
                o.RequiredScopes[method] = scope;
        });
        builder.Services.Configure<RateLimitOptions>(o =>
        {
            config.GetSection("RateLimit").Bind(o);
            foreach (var key in apiKeys.Value)
            {
                if (key.RatePerSecond is { } rate && !o.PerKey.ContainsKey(key.Name))
                    o.PerKey[key.Name] = rate;
            }
        });

        string[] meters = [.. Meters, .. host.Meters ?? []];
        if (config["Telemetry:OtlpEndpoint"] is { Length: > 0 } otlp)
        {
            builder.Services.AddSingleton(Sdk.CreateMeterProviderBuilder()
                .AddMeter(meters)
                .AddOtlpExporter(o => o.Endpoint = new Uri(otlp))
                .Build());
        }

        var metricsPort = config.GetValue("Telemetry:MetricsPort", 0);
        if (metricsPort > 0)
        {
            var metricsHost = config["Telemetry:MetricsHost"] is { Length: > 0 } h ? h : "127.0.0.1";
            builder.Services.AddSingleton(sp => new PrometheusTextExporter(meters, sp.GetRequiredService<IMeterFactory>()));
            builder.Services.AddSingleton(sp => new PrometheusMetricsServer(sp.GetRequiredService<PrometheusTextExporter>(), metricsHost, metricsPort,
                sp.GetRequiredService<ILogger<PrometheusMetricsServer>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PrometheusMetricsServer>());
        }
        return builder;
    }

    /// <summary>Maps health and reflection and marks <paramref name="serviceName"/> SERVING once the host has started.</summary>
    public static WebApplication MapDefaults(this WebApplication app, string serviceName)
    {
        app.MapGrpcHealthAndReflection();
        var health = app.Services.GetRequiredService<HealthServiceImpl>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            health.SetStatus("", global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving);
            health.SetStatus(serviceName, global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving);
        });
        return app;
    }

    /// <summary>The first address the started server listens on, e.g. <c>http://127.0.0.1:50051</c> (resolves port 0).</summary>
    public static Uri BoundAddress(this WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server has not started");
        return new Uri(first.Replace("://[::]", "://" + IPAddress.Loopback, StringComparison.Ordinal));
    }
}
