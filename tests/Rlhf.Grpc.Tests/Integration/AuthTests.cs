using Microsoft.Extensions.DependencyInjection;
using Rlhf.Grpc.AspNetCore;
using Rlhf.Grpc.Tests.Infrastructure;
using Rlhf.Grpc.Tests.Protos;

namespace Rlhf.Grpc.Tests.Integration;

public sealed class AuthTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;

    private CallInvoker Invoker => _channel.CreateCallInvoker();

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(
            o => o.AddInterceptor<ApiKeyAuthInterceptor>(),
            services => services.Configure<ApiKeyAuthOptions>(a =>
            {
                a.Keys.Add(new ApiKey { Name = "scorer", Key = "key-score", Scopes = { "score" } });
                a.Keys.Add(new ApiKey { Name = "trainer", Key = "key-train", Scopes = { "score", "train" } });
                a.DefaultScope = "score";
                a.RequiredScopes["/rlhf.test.v1.TestService/ServerStream"] = "train";
                a.RequiredScopes["rlhf.test.v1.TestService"] = "score";
            }));
        _channel = _server.CreateChannel();
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Unary_NoKey_Unauthenticated()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Invoker.UnaryAsync(TestMethods.Echo, new EchoRequest()));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_UnknownKey_Unauthenticated()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Invoker.UnaryAsync(TestMethods.Echo, new EchoRequest(), WithKey("key-wrong")));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_KeyWithServiceScope_SucceedsAndHandlerSeesKeyName()
    {
        var response = await Invoker.UnaryAsync(TestMethods.Echo, new EchoRequest { Message = "ok" }, WithKey("key-score"));

        Assert.Equal("scorer", response.ApiKeyName);
    }

    [Fact]
    public async Task ServerStreaming_KeyWithoutMethodScope_PermissionDenied()
    {
        using var call = Invoker.AsyncServerStreamingCall(TestMethods.ServerStream, new EchoRequest { Count = 1 }, WithKey("key-score"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("train", ex.Status.Detail);
    }

    [Fact]
    public async Task ServerStreaming_KeyWithMethodScope_Succeeds()
    {
        using var call = Invoker.AsyncServerStreamingCall(TestMethods.ServerStream, new EchoRequest { Count = 2 }, WithKey("key-train"));

        var count = 0;
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
            count++;
        }

        Assert.Equal(2, count);
    }

    [Fact]
    public async Task HealthAndReflection_NoKey_Allowed()
    {
        var health = await new HealthClient(_channel).CheckAsync();
        var info = global::Grpc.Reflection.V1Alpha.ReflectionReflection.Descriptor.Services[0]
            .GetMethod<global::Grpc.Reflection.V1Alpha.ServerReflectionRequest, global::Grpc.Reflection.V1Alpha.ServerReflectionResponse>("ServerReflectionInfo");
        using var reflection = Invoker.AsyncDuplexStreamingCall(info);
        await reflection.RequestStream.WriteAsync(new global::Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await reflection.RequestStream.CompleteAsync();

        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.True(await reflection.ResponseStream.MoveNext());
        Assert.Contains(reflection.ResponseStream.Current.ListServicesResponse.Service, s => s.Name == "rlhf.test.v1.TestService");
    }

    private static CallOptions WithKey(string key) => new(new Metadata().Add("authorization", "Bearer " + key));
}
