using Microsoft.Extensions.Configuration;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Rlhf.ServiceDefaults;

/// <summary>
/// The suite's OpenTelemetry tracing in one place, for the hosts (<see cref="ServiceDefaultsExtensions.AddServiceDefaults"/>)
/// and for a program that embeds hosts (<c>rlhf ppo</c>): server spans from ASP.NET Core (every gRPC call a service
/// handles; health checks left out), client spans from Grpc.Net.Client (every call made), and the suite's own activity
/// sources (<c>Rlhf.*</c>, e.g. the PPO iteration of <c>Rlhf.Orchestration</c>). The trace context crosses processes as a
/// W3C <c>traceparent</c> header, which the gRPC client writes and ASP.NET Core reads, so one PPO iteration is one trace
/// across all four model services.
/// </summary>
public static class SuiteTracing
{
    /// <summary>The configuration key of the OTLP endpoint (environment <c>Telemetry__OtlpEndpoint</c>).</summary>
    public const string OtlpEndpointKey = "Telemetry:OtlpEndpoint";

    /// <summary>
    /// The OTLP endpoint configured under <see cref="OtlpEndpointKey"/> (e.g. <c>http://otel-collector:4317</c>, gRPC), or
    /// null when unset or empty.
    /// </summary>
    /// <exception cref="InvalidOperationException">The value is not an absolute http or https URL (the message names the key).</exception>
    public static Uri? OtlpEndpoint(IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config[OtlpEndpointKey] is not { Length: > 0 } value)
            return null;
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"{OtlpEndpointKey} (environment {OtlpEndpointKey.Replace(":", "__", StringComparison.Ordinal)}) must be an absolute http or https URL such as http://localhost:4317 (got '{value}')");
    }

    /// <summary>
    /// Adds the suite's trace sources to <paramref name="tracing"/> and, when <paramref name="otlpEndpoint"/> is given,
    /// the OTLP exporter. Add it once per process: the sources are process-wide, so a second provider with them would
    /// export every span twice.
    /// </summary>
    public static TracerProviderBuilder AddSuiteTracing(this TracerProviderBuilder tracing, Uri? otlpEndpoint)
    {
        ArgumentNullException.ThrowIfNull(tracing);
        tracing.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/grpc.health.v1.Health"))
            .AddGrpcClientInstrumentation()
            .AddSource(ServiceDefaultsExtensions.TelemetryPrefix + "*");
        if (otlpEndpoint is not null)
            tracing.AddOtlpExporter(o => o.Endpoint = otlpEndpoint);
        return tracing;
    }

    /// <summary>
    /// The tracer provider of a program that hosts services in its own process (their hosts leave tracing to it, see
    /// <c>Host:Embedded</c>): the suite's sources under resource <c>service.name</c> = <paramref name="serviceName"/>,
    /// OTLP export to <paramref name="otlpEndpoint"/> when given, and whatever <paramref name="configure"/> adds (tests:
    /// an in-memory exporter). Dispose it at the end to flush the last spans.
    /// </summary>
    public static TracerProvider CreateTracerProvider(string serviceName, Uri? otlpEndpoint, Action<TracerProviderBuilder>? configure = null)
    {
        var builder = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService(serviceName))
            .AddSuiteTracing(otlpEndpoint);
        configure?.Invoke(builder);
        return builder.Build();
    }
}
