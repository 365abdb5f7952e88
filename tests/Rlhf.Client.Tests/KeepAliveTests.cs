using System.Net.Http;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Client.Tests;

/// <summary>The HTTP/2 keepalive pings of AddRlhfClient's connections are ones a grpcio server accepts.</summary>
public sealed class KeepAliveTests
{
    /// <summary>
    /// grpcio servers refuse pings more often than <c>grpc.http2.min_ping_interval_without_data_ms</c> (default
    /// 300,000 ms) and close the connection with GOAWAY "too_many_pings" after two such pings.
    /// </summary>
    private static readonly TimeSpan GrpcioMinimumPingInterval = TimeSpan.FromMinutes(5);

    [Fact]
    public void AddRlhfClient_Defaults_PingOnlyWithCallsInFlightAndNoMoreOftenThanGrpcioAllows()
    {
        var services = new ServiceCollection();
        var name = services.AddRlhfClient<RewardService.RewardServiceClient>(ServiceCatalog.Reward, "http://127.0.0.1:50054").Name;
        using var provider = services.BuildServiceProvider();

        HttpMessageHandler? handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(name);
        while (handler is DelegatingHandler delegating)
            handler = delegating.InnerHandler;
        var sockets = Assert.IsType<SocketsHttpHandler>(handler);

        Assert.True(sockets.KeepAlivePingDelay > GrpcioMinimumPingInterval, $"{sockets.KeepAlivePingDelay} pings too often for grpcio");
        Assert.Equal(HttpKeepAlivePingPolicy.WithActiveRequests, sockets.KeepAlivePingPolicy);
        Assert.True(sockets.EnableMultipleHttp2Connections);
    }
}
