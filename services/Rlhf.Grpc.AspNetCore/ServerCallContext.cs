using System.Security.Claims;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Rlhf.Grpc.AspNetCore.Internal;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore;

/// <summary>The server side of one call, handed to every handler and interceptor.</summary>
public sealed class ServerCallContext
{
    private readonly HttpContext _httpContext;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<Metadata>? _inProcessResponseHeaders;
    private Dictionary<object, object>? _userState;
    private bool _responseFinished;

    internal ServerCallContext(HttpContext httpContext, string method, DateTime deadline, Metadata requestHeaders, CancellationToken cancellationToken, GrpcServerOptions options)
    {
        _httpContext = httpContext;
        Method = method;
        Deadline = deadline;
        RequestHeaders = requestHeaders;
        CancellationToken = cancellationToken;
        Options = options;
    }

    private ServerCallContext(HttpContext httpContext, string method, DateTime deadline, Metadata requestHeaders, CancellationToken cancellationToken, GrpcServerOptions options, TaskCompletionSource<Metadata> responseHeaders)
        : this(httpContext, method, deadline, requestHeaders, cancellationToken, options)
    {
        _inProcessResponseHeaders = responseHeaders;
    }

    /// <summary>
    /// A context for a call made without HTTP (<see cref="InProcessCallInvoker"/>): a <see cref="DefaultHttpContext"/>
    /// whose <c>RequestServices</c> are <paramref name="requestServices"/> and whose <c>RequestAborted</c> is
    /// <paramref name="requestAborted"/> (the caller's cancellation); response headers go to <paramref name="responseHeaders"/>
    /// (completed once, by <see cref="WriteResponseHeadersAsync"/>, the first streamed message or the end of the call).
    /// </summary>
    internal static ServerCallContext CreateInProcess(
        IServiceProvider requestServices,
        string method,
        DateTime deadline,
        Metadata requestHeaders,
        CancellationToken requestAborted,
        CancellationToken cancellationToken,
        GrpcServerOptions options,
        TaskCompletionSource<Metadata> responseHeaders)
    {
        var httpContext = new DefaultHttpContext { RequestServices = requestServices, RequestAborted = requestAborted };
        httpContext.Request.Method = HttpMethods.Post;
        httpContext.Request.Protocol = "HTTP/2";
        httpContext.Request.Path = method;
        httpContext.Request.ContentType = GrpcProtocolConstants.ContentType;
        return new ServerCallContext(httpContext, method, deadline, requestHeaders, cancellationToken, options, responseHeaders);
    }

    /// <summary>The full method name, <c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    /// <summary>The fully-qualified service name, e.g. <c>grpc.health.v1.Health</c>.</summary>
    public string ServiceName => Method.Length > 1 && Method.IndexOf('/', 1) is var slash and > 0 ? Method[1..slash] : string.Empty;

    /// <summary>The caller's address as gRPC writes it: <c>ipv4:127.0.0.1:51234</c> or <c>ipv6:[::1]:51234</c>.</summary>
    public string Peer
    {
        get
        {
            var connection = _httpContext.Connection;
            var address = connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : connection.RemoteIpAddress;
            return address switch
            {
                null => "unknown",
                { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip}]:{connection.RemotePort}",
                var ip => $"ipv4:{ip}:{connection.RemotePort}",
            };
        }
    }

    /// <summary>The call's deadline (UTC) from <c>grpc-timeout</c>; <see cref="DateTime.MaxValue"/> when the client set none.</summary>
    public DateTime Deadline { get; }

    /// <summary>The request metadata (protocol headers excluded; <c>-bin</c> entries decoded).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>Trailers sent with the status; handlers may add entries.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>The status to answer when the handler returns normally (default OK). Throw <see cref="RpcException"/> instead to fail.</summary>
    public Status Status { get; set; } = Status.DefaultSuccess;

    /// <summary>Cancelled when the client cancels (RST_STREAM), the deadline passes, or the server shuts the call down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The authenticated user of the HTTP request.</summary>
    public ClaimsPrincipal User => _httpContext.User;

    /// <summary>Per-call state shared by interceptors and the handler (e.g. <c>UserState["api_key_name"]</c> set by <see cref="ApiKeyAuthInterceptor"/>).</summary>
    public IDictionary<object, object> UserState => _userState ??= new Dictionary<object, object>();

    internal GrpcServerOptions Options { get; }

    /// <summary>Whether the deadline has passed on the server's clock.</summary>
    internal bool IsDeadlineExpired => Deadline != DateTime.MaxValue && Options.TimeProvider.GetUtcNow().UtcDateTime >= Deadline;

    /// <summary>The request's grpc-encoding (null: identity).</summary>
    internal string? RequestEncoding { get; set; }

    /// <summary>The underlying ASP.NET Core request.</summary>
    public HttpContext GetHttpContext() => _httpContext;

    /// <summary>
    /// Sends the response headers now (otherwise they go with the first message or the status). Throws
    /// <see cref="InvalidOperationException"/> if they were already sent.
    /// </summary>
    public async Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        ArgumentNullException.ThrowIfNull(responseHeaders);
        await _writeLock.WaitAsync(CancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFinished();
            if (_inProcessResponseHeaders is { } inProcess)
            {
                var copy = new Metadata();
                foreach (var entry in responseHeaders)
                {
                    copy.Add(entry);
                }

                if (!inProcess.TrySetResult(copy))
                {
                    throw new InvalidOperationException("Response headers can only be sent once per call.");
                }

                return;
            }

            var response = _httpContext.Response;
            if (response.HasStarted)
            {
                throw new InvalidOperationException("Response headers can only be sent once per call.");
            }

            foreach (var entry in responseHeaders)
            {
                response.Headers.Append(entry.Key, MetadataCodec.EncodeValue(entry));
            }

            await response.StartAsync(CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes one framed response message and flushes it.</summary>
    internal async Task WriteMessageAsync(IMessage message, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFinished();
            var writer = _httpContext.Response.BodyWriter;
            GrpcFraming.WriteMessage(writer, message, Options.MaxSendMessageSize, compress: false);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Ends the response with <paramref name="status"/> once; later calls do nothing.</summary>
    internal async Task FinishAsync(Status status)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_responseFinished)
            {
                return;
            }

            _responseFinished = true;
            Status = status;
            if (_inProcessResponseHeaders is not null)
            {
                EnsureInProcessHeadersSent();
                return;
            }

            if (_httpContext.RequestAborted.IsCancellationRequested)
            {
                return; // the client reset the stream: nobody is listening
            }

            GrpcServerProtocol.SetStatus(_httpContext.Response, status, ResponseTrailers);
            await _httpContext.Response.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// In-process calls: releases empty response headers unless headers were already sent (a new
    /// <see cref="Metadata"/> only the first time). HTTP calls: does nothing.
    /// </summary>
    internal void EnsureInProcessHeadersSent()
    {
        if (_inProcessResponseHeaders is { Task.IsCompleted: false } inProcess)
        {
            inProcess.TrySetResult(new Metadata());
        }
    }

    /// <summary>Throws <see cref="RpcException"/> once the call has finished (its status was decided).</summary>
    internal void ThrowIfFinished()
    {
        if (_responseFinished)
        {
            throw new RpcException(Status.StatusCode == StatusCode.OK ? new Status(StatusCode.Cancelled, "The call has already finished.") : Status);
        }
    }
}
