using Microsoft.AspNetCore.Http;
using Rlhf.Grpc.AspNetCore;
using Rlhf.Grpc.AspNetCore.Internal;

namespace Rlhf.Grpc.Tests.Unit;

public sealed class ServerCallStatusTests
{
    [Fact]
    public void FromException_RpcException_KeepsItsStatus()
    {
        var status = ServerCallStatus.FromException(new RpcException(StatusCode.OutOfRange, "too far"), Context(), deadlineExpired: false);

        Assert.Equal(new Status(StatusCode.OutOfRange, "too far"), status);
    }

    [Fact]
    public void FromException_CancelledByDeadline_DeadlineExceeded()
    {
        var status = ServerCallStatus.FromException(new OperationCanceledException(), Context(), deadlineExpired: true);

        Assert.Equal(StatusCode.DeadlineExceeded, status.StatusCode);
    }

    [Fact]
    public void FromException_CancelledByClient_Cancelled()
    {
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();
        var http = new DefaultHttpContext { RequestAborted = aborted.Token };

        var status = ServerCallStatus.FromException(new OperationCanceledException(), Context(http), deadlineExpired: false);

        Assert.Equal(StatusCode.Cancelled, status.StatusCode);
    }

    [Fact]
    public void FromException_UnexpectedException_UnknownWithoutDetails()
    {
        var status = ServerCallStatus.FromException(new InvalidOperationException("password=hunter2"), Context(), deadlineExpired: false);

        Assert.Equal(StatusCode.Unknown, status.StatusCode);
        Assert.Equal("Exception was thrown by handler.", status.Detail);
        Assert.IsType<InvalidOperationException>(status.DebugException);
    }

    [Fact]
    public void FromException_UnexpectedExceptionWithDetailedErrors_UnknownWithTypeAndMessage()
    {
        var status = ServerCallStatus.FromException(new InvalidOperationException("boom"), Context(options: new GrpcServerOptions { EnableDetailedErrors = true }), deadlineExpired: false);

        Assert.Equal(StatusCode.Unknown, status.StatusCode);
        Assert.EndsWith("InvalidOperationException: boom", status.Detail);
    }

    [Fact]
    public void FromHandlerFailure_RpcExceptionWithTrailers_ItsStatusAndTrailersAddedToTheContext()
    {
        var context = Context();
        context.ResponseTrailers.Add("set-by-handler", "1");

        var status = ServerCallStatus.FromHandlerFailure(new RpcException(new Status(StatusCode.ResourceExhausted, "slow down"), new Metadata().Add("retry-after-ms", "250")), context, deadlineExpired: false);

        Assert.Equal(new Status(StatusCode.ResourceExhausted, "slow down"), status);
        Assert.Equal(new[] { "set-by-handler", "retry-after-ms" }, context.ResponseTrailers.Select(e => e.Key));
    }

    [Fact]
    public void FromHandlerFailure_OtherException_SameAsFromExceptionAndTrailersUntouched()
    {
        var context = Context();

        var status = ServerCallStatus.FromHandlerFailure(new OperationCanceledException(), context, deadlineExpired: true);

        Assert.Equal(StatusCode.DeadlineExceeded, status.StatusCode);
        Assert.Empty(context.ResponseTrailers);
    }

    [Fact]
    public void SetStatus_ResponseNotStarted_WritesTrailersOnlyHeadersPercentEncoded()
    {
        var http = new DefaultHttpContext();

        GrpcServerProtocol.SetStatus(http.Response, new Status(StatusCode.NotFound, "absent: é"), new Metadata().Add("k", "v"));

        Assert.Equal("5", http.Response.Headers["grpc-status"].ToString());
        Assert.Equal("absent: %C3%A9", http.Response.Headers["grpc-message"].ToString());
        Assert.Equal("v", http.Response.Headers["k"].ToString());
    }

    private static ServerCallContext Context(HttpContext? http = null, GrpcServerOptions? options = null) =>
        new(http ?? new DefaultHttpContext(), "/pkg.Svc/Method", DateTime.MaxValue, new Metadata(), CancellationToken.None, options ?? new GrpcServerOptions());
}
