using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rlhf.Grpc.Tests.Infrastructure;
using Rlhf.Grpc.Tests.Protos;

namespace Rlhf.Grpc.Tests.Integration;

public sealed class DeadlineAndCancellationTests
{
    [Fact]
    public async Task Unary_DeadlineShorterThanHandler_DeadlineExceededAndHandlerCancelled()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.CreateChannel();
        var options = new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(300));

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker().UnaryAsync(TestMethods.Echo, new EchoRequest { DelayMs = 30_000 }, options));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await server.Observer.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Server_GrpcTimeoutHeader_AnswersDeadlineExceededItself()
    {
        // A raw client that never gives up on its own: only the server's deadline can end the call.
        await using var server = await TestServer.StartAsync();
        using var http = RawGrpc.CreateClient();
        var body = Google.Protobuf.MessageExtensions.ToByteArray(new EchoRequest { DelayMs = 30_000 });
        var frame = RawGrpc.Header(false, (uint)body.Length).Concat(body).ToArray();

        using var response = await RawGrpc.PostAsync(http, server.Address, TestMethods.Echo.FullName, frame, "application/grpc", ("grpc-timeout", "200m"));

        Assert.Equal("4", RawGrpc.GetStatus(response));
        await server.Observer.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Client_DeadlineAgainstServerThatIgnoresIt_DeadlineExceededLocallyAndStreamReset()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(mapExtra: app => app.MapPost("/rlhf.test.v1.Raw/Hang", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.StartAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
            }
        }));
        using var channel = server.CreateChannel();
        var hang = new Method<EchoRequest, EchoResponse>(MethodType.Unary, "rlhf.test.v1.Raw", "Hang");

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker().UnaryAsync(hang, new EchoRequest(), new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(200))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Client_DeadlineAlreadyPassed_FailsWithoutSending()
    {
        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:1");

        var ex = await Assert.ThrowsAsync<RpcException>(() => channel.CreateCallInvoker().UnaryAsync(TestMethods.Echo, new EchoRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(-1))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    [Fact]
    public async Task Unary_ClientCancels_CancelledAndHandlerTokenFires()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();
        var call = channel.CreateCallInvoker().UnaryAsync(TestMethods.Echo, new EchoRequest { DelayMs = 30_000 }, new CallOptions(cancellationToken: cts.Token));
        await server.Observer.HandlerStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        cts.Cancel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await server.Observer.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ServerStreaming_DisposeMidStream_HandlerTokenFires()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.CreateChannel();
        var call = channel.CreateCallInvoker().AsyncServerStreamingCall(TestMethods.ServerStream, new EchoRequest { Count = 1000, DelayMs = 100 });
        Assert.True(await call.ResponseStream.MoveNext());

        call.Dispose();

        await server.Observer.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StatusCode.Cancelled, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Unary_DisposedTwiceWhileRunning_CancelledOnceAndTheSecondDisposeDoesNothing()
    {
        await using var server = await TestServer.StartAsync();
        using var channel = server.CreateChannel();
        var call = channel.CreateCallInvoker().AsyncUnaryCall(TestMethods.Echo, new EchoRequest { DelayMs = 30_000 });
        await server.Observer.HandlerStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        call.Dispose();
        var status = call.GetStatus();
        var trailers = call.GetTrailers();
        call.Dispose();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.Equal(status, call.GetStatus());
        Assert.Same(trailers, call.GetTrailers());
        Assert.Same(trailers, ex.Trailers);
        await server.Observer.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
