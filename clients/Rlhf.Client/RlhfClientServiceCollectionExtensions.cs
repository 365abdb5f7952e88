using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Rlhf.Contracts;

namespace Rlhf.Client;

/// <summary>Registers the generated rlhf.v1 clients with Grpc.Net.ClientFactory, configured once for the whole suite.</summary>
public static class RlhfClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TClient"/> (a generated client, e.g. <c>PolicyService.PolicyServiceClient</c>) for
    /// <paramref name="service"/> at <paramref name="address"/>:
    /// <list type="bullet">
    /// <item>retries of the RPCs the proto declares idempotent, on UNAVAILABLE, for <see cref="RlhfClientOptions.RetryPatience"/>
    /// (<see cref="RetryPolicies"/>), and never of any other RPC;</item>
    /// <item>a default deadline (<see cref="RlhfClientOptions.DefaultDeadline"/>) and a circuit breaker on transport
    /// failures (Microsoft.Extensions.Http.Resilience);</item>
    /// <item>HTTP/2 keepalive pings that grpcio servers accept, and several HTTP/2 connections when one is full;</item>
    /// <item>for <c>dns:///host:port</c>, client-side round-robin over every address the name resolves to (a
    /// Kubernetes headless Service), re-resolved every <see cref="RlhfClientOptions.DnsRefreshInterval"/>;</item>
    /// <item>the API key as a bearer token (also over cleartext: keep such traffic inside the cluster).</item>
    /// </list>
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="service">The service the client calls (its descriptor gives the retry rules).</param>
    /// <param name="address"><c>http://host:port</c>, <c>https://host:port</c> or <c>dns:///host:port</c>.</param>
    /// <param name="options">Client behaviour; null for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not such a URL.</exception>
    public static IHttpClientBuilder AddRlhfClient<TClient>(this IServiceCollection services, ServiceEntry service, string address,
        RlhfClientOptions? options = null)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(service);
        options ??= new RlhfClientOptions();
        var uri = ParseAddress(address);
        var dns = uri.Scheme == "dns";
        if (dns)
            services.AddSingleton<ResolverFactory>(new DnsResolverFactory(options.DnsRefreshInterval));

        var builder = services.AddGrpcClient<TClient>(o => o.Address = uri)
            .ConfigureChannel(channel =>
            {
                channel.MaxReceiveMessageSize = options.MaxMessageBytes;
                channel.MaxSendMessageSize = options.MaxMessageBytes;
                channel.MaxRetryAttempts = Math.Max(5, RetryPolicies.Attempts(options.RetryPatience));
                channel.MaxRetryBufferPerCallSize = options.MaxMessageBytes;
                channel.ServiceConfig = RetryPolicies.ServiceConfig(service.Descriptor, options.RetryPatience, roundRobin: dns);
                if (dns)
                    channel.Credentials = ChannelCredentials.Insecure;
                channel.UnsafeUseInsecureChannelCallCredentials = true;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                KeepAlivePingDelay = options.KeepAlivePingDelay,
                KeepAlivePingTimeout = options.KeepAlivePingTimeout,
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            });
        if (options.DefaultDeadline is { } deadline)
            builder.AddInterceptor(() => new DefaultDeadlineInterceptor(deadline));
        if (options.CircuitBreaker)
        {
            builder.AddResilienceHandler("circuit-breaker", pipeline => pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                BreakDuration = options.CircuitBreakDuration,
                MinimumThroughput = 5,
                FailureRatio = 0.8,
                SamplingDuration = TimeSpan.FromSeconds(10),
                // Only transport failures: every gRPC response, error statuses included, is HTTP 200.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException),
            }));
        }
        if (options.ApiKey is { Length: > 0 } key)
        {
            builder.AddCallCredentials((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + key);
                return Task.CompletedTask;
            });
        }
        return builder;
    }

    /// <summary>Parses a service address, with a message that says what is accepted.</summary>
    /// <exception cref="ArgumentException">Not an http, https or dns URL.</exception>
    public static Uri ParseAddress(string address)
    {
        if (Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "dns")
            return uri;
        throw new ArgumentException($"'{address}' is not a service address: use http://host:port, https://host:port or dns:///host:port", nameof(address));
    }
}
