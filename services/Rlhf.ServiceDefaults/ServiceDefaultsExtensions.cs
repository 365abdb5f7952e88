using System.Net;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rlhf.Contracts;
using Rlhf.ServiceDefaults.Authentication;
using Rlhf.ServiceDefaults.Calls;
using Rlhf.ServiceDefaults.RateLimiting;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Rlhf.ServiceDefaults;

/// <summary>
/// What every host of the suite shares, in the style of eShop's ServiceDefaults: <see cref="AddServiceDefaults"/> on
/// the builder and <see cref="MapDefaultEndpoints"/> on the app. Configuration follows ASP.NET Core's conventions
/// (appsettings.json, environment <c>Section__Key</c>, command line <c>--Section:Key=value</c>); the keys are listed on
/// each method.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Prefix of every meter and activity source of the suite (exported by OpenTelemetry).</summary>
    public const string TelemetryPrefix = "Rlhf.";

    /// <summary>Property of the request log line holding the gRPC method, <c>/pkg.Service/Method</c>.</summary>
    public const string MethodProperty = "GrpcMethod";

    /// <summary>Property of the request log line holding the status code name (<c>OK</c>, <c>Unimplemented</c>, …).</summary>
    public const string StatusProperty = "GrpcStatus";

    /// <summary>Property of the request log line holding the caller's address, <c>ip:port</c>.</summary>
    public const string PeerProperty = "Peer";

    /// <summary>
    /// A builder for a host. With <paramref name="settings"/> (a host embedded in another program, e.g. the in-process
    /// suite of <c>rlhf ppo</c>, or a test) the configuration is exactly those settings and the command line; without,
    /// ASP.NET Core's usual sources with the content root at the executable's folder (its appsettings.json).
    /// <paramref name="configure"/> runs on the new builder (tests use it to host on a TestServer).
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (settings is not null)
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Configuration.AddCommandLine(args);
        }
        configure?.Invoke(builder);
        return builder;
    }

    /// <summary>
    /// Adds the shared defaults for <paramref name="service"/>:
    /// <list type="bullet">
    /// <item>Serilog: compact JSON lines on stdout, levels and extra sinks from the <c>Serilog</c> section
    /// (Serilog.Settings.Configuration) and any <c>ILogEventSink</c> registered in the container; one request line per
    /// call (see <see cref="MapDefaultEndpoints"/>).</item>
    /// <item>Kestrel HTTP/2 only (cleartext prior knowledge or TLS ALPN h2) on <c>--urls</c>, else 127.0.0.1 and the
    /// service's default port; <c>Telemetry:MetricsPort</c> adds an HTTP/1.1 port for Prometheus
    /// (<c>Telemetry:MetricsHost</c>, default 127.0.0.1).</item>
    /// <item>grpc-dotnet: <c>Grpc:MaxReceiveMessageBytes</c> / <c>Grpc:MaxSendMessageBytes</c> (default 16 MiB;
    /// larger messages are RESOURCE_EXHAUSTED), <c>Grpc:ResponseCompression</c> (<c>gzip</c> or empty; gzip requests
    /// are always accepted), <c>Grpc:EnableDetailedErrors</c>; interceptors for authorization failures, call logging and
    /// metrics, and rate limits (<c>RateLimit</c> section).</item>
    /// <item>API keys (<c>Auth:Enabled</c>, <c>Auth:Keys</c>, <c>Auth:KeysFile</c>) through
    /// <see cref="ApiKeyAuthenticationHandler"/> (compared in constant time, never logged), and one authorization
    /// policy per scope (<see cref="Scopes"/>).</item>
    /// <item>Health checks served as grpc.health.v1 for <c>""</c> and the service's name: NOT_SERVING while any
    /// registered check fails (the model loading, a missing or invalid reward calibration, the orchestrator's model
    /// services unreachable, draining), evaluated on every Check call; and server reflection.</item>
    /// <item>OpenTelemetry: traces from ASP.NET Core, the gRPC client and the suite's activity sources, metrics from
    /// ASP.NET Core and the suite's meters; OTLP export when <c>Telemetry:OtlpEndpoint</c> is set, Prometheus at
    /// <c>/metrics</c> on the metrics port.</item>
    /// <item>A graceful drain on SIGTERM (<see cref="ShutdownDrain"/>): health NOT_SERVING at once, the server still
    /// accepting for <c>Host:DrainSeconds</c> (default 0), then in-flight calls get <c>Host:ShutdownSeconds</c>
    /// (default 30) to finish; <c>Host:Embedded=true</c> leaves signals to the program that embeds the host. The clock
    /// is the container's <see cref="TimeProvider"/> (the system clock unless one is registered first).</item>
    /// </list>
    /// </summary>
    /// <exception cref="InvalidOperationException">A setting is unusable (the message names the key).</exception>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, ServiceEntry service)
    {
        var config = builder.Configuration;
        builder.Services.AddSingleton(service);

        // Logging. A start-up failure that is the operator's (ExitCodePolicy: not an internal error) is reported by
        // ServiceHostRunner in one line; the host's own "Hosting failed to start" event, with its stack trace, is
        // kept out unless the level is Debug.
        var debugLogging = ServiceHostRunner.IsDebugLogging(config);
        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Information()
            .Filter.ByExcluding(e => !debugLogging && IsOperatorStartupFailure(e))
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning)
            .ReadFrom.Configuration(config)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("service", service.FullName)
            .WriteTo.Console(new RenderedCompactJsonFormatter()),
            // Each host keeps its own logger: several hosts share a process in the embedded suite and in tests, and
            // one taking over the static Log.Logger would put every host's lines on the last one's sinks.
            preserveStaticLogger: true);

        // Kestrel: HTTP/2 for gRPC, HTTP/1.1 for the metrics port
        var metricsPort = config.GetValue("Telemetry:MetricsPort", 0);
        if (string.IsNullOrEmpty(config[WebHostDefaults.ServerUrlsKey]))
            builder.WebHost.UseUrls($"http://127.0.0.1:{service.DefaultPort}");
        if (metricsPort > 0)
        {
            var metricsHost = config["Telemetry:MetricsHost"] is { Length: > 0 } h ? h : "127.0.0.1";
            var urls = config[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } u ? u : $"http://127.0.0.1:{service.DefaultPort}";
            builder.WebHost.UseUrls($"{urls};http://{metricsHost}:{metricsPort}");
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(listen =>
                listen.Protocols = metricsPort > 0 && listen.IPEndPoint?.Port == metricsPort ? HttpProtocols.Http1 : HttpProtocols.Http2);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(config.GetValue("Host:ShutdownSeconds", 30)));
        var drainSeconds = config.GetValue("Host:DrainSeconds", 0.0);
        if (!(drainSeconds >= 0) || !double.IsFinite(drainSeconds))
            throw new InvalidOperationException($"Host:DrainSeconds must be ≥ 0 (found {drainSeconds})");
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new ShutdownDrain(sp.GetRequiredService<IHostApplicationLifetime>(),
            sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(drainSeconds)));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        if (config.GetValue("Host:Embedded", false))
            builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();

        // gRPC
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = config.GetValue("Grpc:MaxReceiveMessageBytes", 16 << 20);
            o.MaxSendMessageSize = config.GetValue("Grpc:MaxSendMessageBytes", 16 << 20);
            o.EnableDetailedErrors = config.GetValue("Grpc:EnableDetailedErrors", false);
            if (config["Grpc:ResponseCompression"] is { Length: > 0 } compression)
                o.ResponseCompressionAlgorithm = compression;
            o.Interceptors.Add<AuthorizationFailureInterceptor>();
            o.Interceptors.Add<CallObserverInterceptor>();
            o.Interceptors.Add<RateLimitInterceptor>();
        });
        // One instance each: the rate limiter's buckets and the metric instruments live as long as the host.
        builder.Services.AddSingleton<AuthorizationFailureInterceptor>();
        builder.Services.AddSingleton<CallObserverInterceptor>();
        builder.Services.AddSingleton<RateLimitInterceptor>();
        builder.Services.AddGrpcReflection();

        // Authentication and authorization
        var keys = new Lazy<List<ApiKey>>(() =>
        {
            var list = new List<ApiKey>();
            config.GetSection("Auth:Keys").Bind(list);
            if (config["Auth:KeysFile"] is { Length: > 0 } file)
                list.AddRange(AuthKeysFile.Read(file));
            return list;
        });
        builder.Services.AddAuthentication(ApiKeyAuthenticationOptions.Scheme)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationOptions.Scheme, o =>
            {
                o.Enabled = config.GetValue("Auth:Enabled", false);
                o.Keys = keys.Value;
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Scopes.Score, p => p.RequireClaim(Scopes.ClaimType, Scopes.Score))
            .AddPolicy(Scopes.Train, p => p.RequireClaim(Scopes.ClaimType, Scopes.Train))
            .AddPolicy(Scopes.AnyKey, p => p.RequireAuthenticatedUser());
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, GrpcAuthorizationResultHandler>();
        builder.Services.Configure<RateLimitOptions>(o =>
        {
            config.GetSection("RateLimit").Bind(o);
            foreach (var key in keys.Value)
            {
                if (key.RatePerSecond is { } rate && !o.PerKey.ContainsKey(key.Name))
                    o.PerKey[key.Name] = rate;
            }
        });

        // Health
        builder.Services.AddHealthChecks().AddCheck<DrainHealthCheck>(DrainHealthCheck.Name);
        builder.Services.AddGrpcHealthChecks(o =>
        {
            o.Services.Map("", _ => true);
            o.Services.Map(service.FullName, _ => true);
        });

        // Telemetry
        var otlp = SuiteTracing.OtlpEndpoint(config);
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService(service.FullName));
        // Trace sources are process-wide: an embedded host (Host:Embedded=true) leaves tracing to the program that embeds
        // it (one provider per process, see SuiteTracing.CreateTracerProvider), or every span would be exported once per host.
        if (!config.GetValue("Host:Embedded", false))
            telemetry.WithTracing(tracing => tracing.AddSuiteTracing(otlp));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddAspNetCoreInstrumentation().AddMeter(TelemetryPrefix + "*");
            if (metricsPort > 0)
                metrics.AddPrometheusExporter();
            if (otlp is not null)
                metrics.AddOtlpExporter(o => o.Endpoint = otlp);
        });
        return builder;
    }

    /// <summary>
    /// Adds the shared middleware and endpoints: the request log line, authentication and authorization, the
    /// grpc.health.v1 service, server reflection and, with <c>Telemetry:MetricsPort</c>, Prometheus at <c>/metrics</c>
    /// on that port only. Health and reflection are open without a key.
    /// <para>
    /// The request log line (Serilog.AspNetCore) is one structured event per call, <c>gRPC {GrpcMethod} {GrpcStatus}
    /// in {Elapsed} ms from {Peer}</c>: the method <c>/pkg.Service/Method</c>, the status code name as grpc-dotnet
    /// recorded it (<see cref="GrpcCallOutcome"/>: also for unknown methods, refused keys, oversized messages and
    /// deadlines), the duration in milliseconds and the peer address. Health and metrics requests log at Verbose.
    /// </para>
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseSerilogRequestLogging(o =>
        {
            o.Logger = app.Services.GetRequiredService<Serilog.ILogger>(); // this host's logger, not the static one
            o.MessageTemplate = "gRPC {" + MethodProperty + ":l} {" + StatusProperty + ":l} in {Elapsed:0.0} ms from {" + PeerProperty + ":l}";
            o.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                var outcome = GrpcCallOutcome.Of(http);
                diagnostics.Set(MethodProperty, outcome.Method);
                diagnostics.Set(StatusProperty, outcome.Status);
                diagnostics.Set(PeerProperty, $"{http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}");
            };
            o.GetLevel = (http, _, exception) =>
                exception is not null ? LogEventLevel.Error
                : http.Request.Path.StartsWithSegments("/grpc.health.v1.Health") || http.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Verbose
                : LogEventLevel.Information;
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        var metricsPort = app.Configuration.GetValue("Telemetry:MetricsPort", 0);
        if (metricsPort > 0)
            app.MapPrometheusScrapingEndpoint().RequireHost($"*:{metricsPort}");
        return app;
    }

    private static bool IsOperatorStartupFailure(LogEvent e) =>
        e.Exception is { } exception
        && e.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string context }
        && context.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)
        && ExitCodePolicy.Classify(exception).ExitCode != ExitCodes.Internal;

    /// <summary>The first gRPC address the started server listens on, e.g. <c>http://127.0.0.1:50051</c> (resolves port 0).</summary>
    public static Uri BoundAddress(this WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("the server has not started");
        return new Uri(first.Replace("://[::]", "://" + IPAddress.Loopback, StringComparison.Ordinal));
    }
}
