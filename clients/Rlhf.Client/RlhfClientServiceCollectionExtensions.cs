using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    /// <item>a default deadline (<see cref="RlhfClientOptions.DefaultDeadline"/>, the overall timeout of a call and its
    /// retries) and a gRPC-level circuit breaker on UNAVAILABLE (<see cref="CircuitBreakerInterceptor"/>, Polly);</item>
    /// <item>HTTP/2 keepalive pings that grpcio servers accept, and several HTTP/2 connections when one is full;</item>
    /// <item>for <c>dns:///host:port</c>, client-side round-robin over every address the name resolves to (a
    /// Kubernetes headless Service), re-resolved every <see cref="RlhfClientOptions.DnsRefreshInterval"/> (a
    /// <see cref="ResolverFactory"/> for <c>dns</c> registered before this call takes precedence: grpc-dotnet uses the
    /// first one registered for a scheme);</item>
    /// <item>the API key as a bearer token (also over cleartext: keep such traffic inside the cluster).</item>
    /// </list>
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="service">The service the client calls (its descriptor gives the retry rules).</param>
    /// <param name="address"><c>http://host:port</c>, <c>https://host:port</c> or <c>dns:///name:port</c> (<see cref="ServiceAddress"/>).</param>
    /// <param name="options">Client behaviour; null for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="address"/> is none of those forms.</exception>
    public static IHttpClientBuilder AddRlhfClient<TClient>(this IServiceCollection services, ServiceEntry service, string address,
        RlhfClientOptions? options = null)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(service);
        options ??= new RlhfClientOptions();
        var uri = ServiceAddress.Parse(address);
        var dns = ServiceAddress.IsDns(uri);
        if (dns)
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ResolverFactory>(new DnsResolverFactory(options.DnsRefreshInterval)));

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
        // Interceptors run in the order added: the deadline is set before the breaker sees the call. One breaker per
        // registration, so its state outlives the channels the factory recycles.
        if (options.DefaultDeadline is { } deadline)
            builder.AddInterceptor(() => new DefaultDeadlineInterceptor(deadline, options.TimeProvider));
        if (options.CircuitBreaker)
        {
            var breaker = new CircuitBreakerInterceptor(service.FullName, options.CircuitBreakDuration, options.TimeProvider);
            builder.AddInterceptor(() => breaker);
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
}
