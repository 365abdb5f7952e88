using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Grpc.AspNetCore;
using Rlhf.Grpc.Tests.Infrastructure;
using Rlhf.Grpc.Tests.Protos;

namespace Rlhf.Grpc.Tests.Unit;

public sealed class InProcessCallInvokerTests : IAsyncLifetime
{
    private ServiceProvider _services = null!;
    private InProcessCallInvoker _invoker = null!;

    private CallObserver Observer => _services.GetRequiredService<CallObserver>();

    public Task InitializeAsync()
    {
        _services = Build(configureGrpc: null);
        _invoker = new InProcessCallInvoker(_services).AddService<TestServiceImpl>(TestMethods.Service);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task AsyncUnaryCall_Echo_ReturnsTheHandlersResponseObject()
    {
        var payload = ByteString.CopyFrom(1, 2, 3);

        using var call = _invoker.AsyncUnaryCall(TestMethods.Echo, new EchoRequest { Message = "hi", Payload = payload });
        var response = await call;

        Assert.Equal("hi", response.Message);
        Assert.Same(payload, response.Payload); // passed by reference: no serialization
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task AsyncUnaryCall_RequestHeaders_ReachTheHandlerAndComeBackAsHeadersAndTrailers()
    {
        var headers = new Metadata { { "x-echo-text", "abc" }, { "x-echo-bytes-bin", new byte[] { 0, 255 } } };

        using var call = _invoker.AsyncUnaryCall(TestMethods.Echo, new EchoRequest { Message = "h" }, new CallOptions(headers));
        await call;
        var responseHeaders = await call.ResponseHeadersAsync;

        Assert.Equal("abc", responseHeaders.GetValue("x-echo-text"));
        Assert.Equal(new byte[] { 0, 255 }, call.GetTrailers().GetValueBytes("x-echo-bytes-bin"));
    }

    [Fact]
    public async Task AsyncUnaryCall_HandlerThrowsRpcException_CallerGetsItsStatus()
    {
        var request = new EchoRequest { StatusCode = (int)StatusCode.NotFound, StatusMessage = "no such thing" };

        using var call = _invoker.AsyncUnaryCall(TestMethods.Echo, request);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("no such thing", ex.Status.Detail);
        Assert.Equal(StatusCode.NotFound, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task AsyncUnaryCall_HandlerThrowsOtherException_UnknownWithoutItsMessage()
    {
        using var call = _invoker.AsyncUnaryCall(TestMethods.Echo, new EchoRequest { ThrowUnexpected = true });
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Unknown, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Status.Detail, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(ex.Status.DebugException);
    }

    [Fact]
    public async Task AsyncUnaryCall_DeadlinePassesWhileHandlerWaits_DeadlineExceededAndHandlerCancelled()
    {
        var options = new CallOptions(deadline: DateTime.UtcNow.AddMilliseconds(200));

        using var call = _invoker.AsyncUnaryCall(TestMethods.Echo, new EchoRequest { Message = "slow", DelayMs = 30_000 }, options);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await Observer.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AsyncUnaryCall_DeadlineAlreadyPassed_DeadlineExceededWithoutRunningTheHandler()
    {
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(-1));

        using var call = _invoker.AsyncUnaryCall(TestMethods.Echo, new EchoRequest { Message = "late" }, options);
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.Equal(1, Observer.NextAttempt("late")); // the handler never counted an attempt
    }

    [Theory]
    [InlineData(100.0)]
    [InlineData(double.PositiveInfinity)] // DateTime.MaxValue: no deadline
    public async Task AsyncUnaryCall_DeadlineFurtherThanATimerReaches_SucceedsAndTheHandlerSeesIt(double days)
    {
        // Timers reach ~49.7 days at most: a deadline beyond that must not break the call.
        var deadline = double.IsPositiveInfinity(days) ? DateTime.MaxValue : DateTime.UtcNow.AddDays(days);
        await using var services = Build(o => o.AddInterceptor<DeadlineRecorder>(), s => s.AddSingleton<SeenDeadlines>());
        var invoker = new InProcessCallInvoker(services).AddService<TestServiceImpl>(TestMethods.Service);

        using var call = invoker.AsyncUnaryCall(TestMethods.Echo, new EchoRequest { Message = "far" }, new CallOptions(deadline: deadline));
        var response = await call;

        Assert.Equal("far", response.Message);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(deadline, services.GetRequiredService<SeenDeadlines>().Last);
    }

    [Fact]
    public async Task AsyncServerStreamingCall_DeadlineMaxValue_StreamsEveryMessage()
    {
        using var call = _invoker.AsyncServerStreamingCall(TestMethods.ServerStream, new EchoRequest { Message = "s", Count = 3 }, new CallOptions(deadline: DateTime.MaxValue));
        var received = 0;
        while (await call.ResponseStream.MoveNext())
        {
            received++;
        }

        Assert.Equal(3, received);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task AsyncUnaryCall_DeadlineOfUnspecifiedKind_TakenAsUtcLikeTheHttpClient()
    {
        var deadline = DateTime.SpecifyKind(DateTime.UtcNow.AddDays(100), DateTimeKind.Unspecified);
        await using var services = Build(o => o.AddInterceptor<DeadlineRecorder>(), s => s.AddSingleton<SeenDeadlines>());
        var invoker = new InProcessCallInvoker(services).AddService<TestServiceImpl>(TestMethods.Service);

        await invoker.UnaryAsync(TestMethods.Echo, new EchoRequest { Message = "u" }, new CallOptions(deadline: deadline));

        var seen = services.GetRequiredService<SeenDeadlines>().Last;
        Assert.Equal(deadline.Ticks, seen?.Ticks);
        Assert.Equal(DateTimeKind.Utc, seen?.Kind);
    }

    [Fact]
    public async Task AsyncUnaryCall_CallerCancels_CancelledAndHandlerCancelled()
    {
        using var cts = new CancellationTokenSource();

        using var call = _invoker.AsyncUnaryCall(TestMethods.Echo, new EchoRequest { Message = "c", DelayMs = 30_000 }, new CallOptions(cancellationToken: cts.Token));
        await Observer.HandlerStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await Observer.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AsyncUnaryCall_MethodWithoutImplementation_Unimplemented()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _invoker.UnaryAsync(TestMethods.NotImplemented, new EchoRequest()));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Contains("NotImplemented", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AsyncUnaryCall_UnknownService_UnimplementedNamingTheService()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _invoker.UnaryAsync(TestMethods.UnknownService, new EchoRequest()));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Contains("rlhf.test.v1.NoSuchService", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NotImplemented", "Method NotImplemented is unimplemented.")]
    [InlineData("NoSuchMethod", "Method NoSuchMethod is unimplemented.")]
    [InlineData("NoSuchService", "Service rlhf.test.v1.NoSuchService is unimplemented.")]
    public async Task AsyncUnaryCall_NoHandler_UnimplementedWithTheHttpServersDetail(string which, string detail)
    {
        var method = which switch
        {
            "NotImplemented" => TestMethods.NotImplemented,
            "NoSuchMethod" => TestMethods.UnknownMethod,
            _ => TestMethods.UnknownService,
        };

        var ex = await Assert.ThrowsAsync<RpcException>(() => _invoker.UnaryAsync(method, new EchoRequest()));

        Assert.Equal(new Status(StatusCode.Unimplemented, detail), ex.Status);
    }

    [Fact]
    public async Task AsyncServerStreamingCall_Count_StreamsEveryMessageInOrder()
    {
        using var call = _invoker.AsyncServerStreamingCall(TestMethods.ServerStream, new EchoRequest { Message = "s", Count = 40 });
        var indices = new List<int>();
        while (await call.ResponseStream.MoveNext())
        {
            indices.Add(call.ResponseStream.Current.Index);
        }

        Assert.Equal(Enumerable.Range(0, 40), indices);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task AsyncServerStreamingCall_FirstMessage_ReleasesEmptyResponseHeadersWhileTheHandlerRuns()
    {
        using var call = _invoker.AsyncServerStreamingCall(TestMethods.ServerStream, new EchoRequest { Message = "h", Count = 2, DelayMs = 500 });

        Assert.True(await call.ResponseStream.MoveNext());
        var headers = await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(headers);
        Assert.Throws<InvalidOperationException>(() => call.GetStatus()); // still running
        var rest = 0;
        while (await call.ResponseStream.MoveNext())
        {
            rest++;
        }

        Assert.Equal(1, rest);
        Assert.Same(headers, await call.ResponseHeadersAsync);
    }

    [Fact]
    public async Task AsyncServerStreamingCall_HeadersWrittenByTheHandler_KeptAcrossStreamedMessages()
    {
        var request = new EchoRequest { Message = "h", Count = 3 };

        using var call = _invoker.AsyncServerStreamingCall(TestMethods.ServerStream, request, new CallOptions(new Metadata { { "x-echo-text", "abc" } }));
        var received = 0;
        while (await call.ResponseStream.MoveNext())
        {
            received++;
        }

        Assert.Equal(3, received);
        Assert.Equal("abc", (await call.ResponseHeadersAsync).GetValue("x-echo-text"));
    }

    [Fact]
    public async Task AsyncServerStreamingCall_FailsAfterMessages_MessagesThenRpcException()
    {
        var request = new EchoRequest { Count = 3, StatusCode = (int)StatusCode.Aborted, StatusMessage = "stop" };

        using var call = _invoker.AsyncServerStreamingCall(TestMethods.ServerStream, request);
        var received = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
                received++;
            }
        });

        Assert.Equal(3, received);
        Assert.Equal(StatusCode.Aborted, ex.StatusCode);
    }

    [Fact]
    public async Task AsyncUnaryCall_ApiKeyInterceptorConfigured_RunsAroundTheHandler()
    {
        await using var services = Build(o => o.AddInterceptor<ApiKeyAuthInterceptor>(), s => s.Configure<ApiKeyAuthOptions>(a =>
            a.Keys.Add(new ApiKey { Name = "team-a", Key = "k1" })));
        var invoker = new InProcessCallInvoker(services).AddService<TestServiceImpl>(TestMethods.Service);

        var refused = await Assert.ThrowsAsync<RpcException>(() => invoker.UnaryAsync(TestMethods.Echo, new EchoRequest { Message = "x" }));
        var accepted = await invoker.UnaryAsync(TestMethods.Echo, new EchoRequest { Message = "y" }, new CallOptions(new Metadata { { "authorization", "Bearer k1" } }));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal("team-a", accepted.ApiKeyName);
    }

    [Fact]
    public void AsyncClientStreamingCall_Any_NotSupported() =>
        Assert.Throws<NotSupportedException>(() => _invoker.AsyncClientStreamingCall(TestMethods.ClientStream));

    public sealed class SeenDeadlines
    {
        public DateTime? Last { get; set; }
    }

    public sealed class DeadlineRecorder(SeenDeadlines seen) : IServerInterceptor
    {
        public Task InvokeAsync(ServerCallContext context, Func<Task> next)
        {
            seen.Last = context.Deadline;
            return next();
        }
    }

    private static ServiceProvider Build(Action<GrpcServerOptions>? configureGrpc, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGrpcServer(configureGrpc);
        services.AddSingleton<CallObserver>();
        services.AddSingleton<TestServiceImpl>();
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }
}
