using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Rlhf.Grpc.Internal;

/// <summary>
/// The client state machine of one call: send the HTTP/2 request (headers, then one framed message or a pushed
/// stream), read the response headers (or a trailers-only answer), read messages, then the status from the trailers.
/// Every failure ends in exactly one final <see cref="Status"/> (<see cref="Complete"/>), which callers see as an
/// <see cref="RpcException"/>.
/// </summary>
internal sealed class GrpcCall<TRequest, TResponse> : IDisposable
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly GrpcChannel _channel;
    private readonly CancellationTokenSource _callCts = new();
    private readonly DeadlineManager? _deadline;
    private readonly TaskCompletionSource<Metadata> _headersTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<PipeReader?> _bodyTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Status> _statusTcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _lock = new();
    private CancellationTokenRegistration _userCancellation;
    private CancellationTokenRegistration _deadlineCancellation;
    private HttpResponseMessage? _response;
    private string? _responseEncoding;
    private Metadata? _trailers; // set (under the lock) before the status completes

    public GrpcCall(Method<TRequest, TResponse> method, CallOptions options, GrpcChannel channel)
    {
        _method = method;
        _options = options;
        _channel = channel;
        _deadline = DeadlineManager.FromCallDeadline(options.Deadline, channel.Options.TimeProvider);

        if (method.Type is MethodType.ClientStreaming or MethodType.DuplexStreaming)
        {
            RequestContent = new PushStreamContent();
            RequestStream = new ClientStreamWriter<TRequest, TResponse>(this);
        }

        if (method.Type is MethodType.ServerStreaming or MethodType.DuplexStreaming)
        {
            ResponseStream = new ResponseStreamReader<TRequest, TResponse>(this);
        }
    }

    public Task<Metadata> ResponseHeadersAsync => _headersTcs.Task;

    public ClientStreamWriter<TRequest, TResponse> RequestStream { get; } = null!;

    public ResponseStreamReader<TRequest, TResponse> ResponseStream { get; } = null!;

    internal PushStreamContent? RequestContent { get; }

    internal Task<Status> StatusTask => _statusTcs.Task;

    internal int? MaxSendMessageSize => _channel.Options.MaxSendMessageSize;

    internal bool CompressRequests => _channel.Options.RequestCompression is not null;

    internal CancellationToken CallToken => _callCts.Token;

    /// <summary>Sends the request: <paramref name="request"/> for unary and server streaming, null for the streaming-request types.</summary>
    public void Start(TRequest? request)
    {
        Log.StartingCall(_channel.Logger, _method.FullName, _channel.Address);
        if (_deadline is { IsExpired: true })
        {
            Complete(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
            return;
        }

        HttpRequestMessage httpRequest;
        try
        {
            httpRequest = CreateRequest(request);
        }
        catch (RpcException ex)
        {
            Complete(ex.Status);
            return;
        }

        // Register only after the request exists so a cancellation already requested completes the call at once.
        _userCancellation = _options.CancellationToken.Register(static s => ((GrpcCall<TRequest, TResponse>)s!).OnCancelled(), this);
        if (_deadline is not null)
        {
            _deadlineCancellation = _deadline.Token.Register(static s => ((GrpcCall<TRequest, TResponse>)s!).OnCancelled(), this);
        }

        _ = RunAsync(httpRequest);
    }

    /// <summary>The single response of a unary or client-streaming call.</summary>
    public async Task<TResponse> GetResponseAsync()
    {
        try
        {
            var message = await ReadNextMessageAsync(CancellationToken.None).ConfigureAwait(false);
            if (message is null)
            {
                var status = await _statusTcs.Task.ConfigureAwait(false);
                throw status.StatusCode == StatusCode.OK
                    ? new RpcException(new Status(StatusCode.Internal, "The server finished with OK but sent no response message."), _trailers!)
                    : CreateFailure();
            }

            var extra = await ReadNextMessageAsync(CancellationToken.None).ConfigureAwait(false);
            if (extra is not null)
            {
                Complete(new Status(StatusCode.Internal, "The server sent more than one message for a unary response."));
                throw CreateFailure();
            }

            var final = await _statusTcs.Task.ConfigureAwait(false);
            return final.StatusCode == StatusCode.OK ? message : throw CreateFailure();
        }
        finally
        {
            Cleanup();
        }
    }

    /// <summary>
    /// The next response message, or null once the stream ended (the final status is then set). Throws the call's
    /// <see cref="RpcException"/> when it failed.
    /// </summary>
    internal async Task<TResponse?> ReadNextMessageAsync(CancellationToken cancellationToken)
    {
        PipeReader? reader;
        using (var linked = LinkedCancellation.Create(_callCts.Token, cancellationToken))
        {
            try
            {
                reader = await _bodyTcs.Task.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                reader = null;
            }

            if (reader is null)
            {
                var status = await _statusTcs.Task.ConfigureAwait(false);
                return status.StatusCode == StatusCode.OK ? null : throw CreateFailure();
            }

            try
            {
                var message = await GrpcFraming.ReadMessageAsync(reader, _method.ResponseParser, _channel.Options.MaxReceiveMessageSize, _responseEncoding, linked.Token).ConfigureAwait(false);
                if (message is not null)
                {
                    return message;
                }

                Complete(GetStatusFromTrailers(_response!));
            }
            catch (Exception ex)
            {
                if (cancellationToken.IsCancellationRequested && !_callCts.IsCancellationRequested)
                {
                    // Only the reader's own token fired: the call goes on, the read is abandoned.
                    throw new OperationCanceledException(cancellationToken);
                }

                // First failure wins: a deadline or cancellation that already ended the call takes precedence
                // over the read error it caused.
                Complete(StatusFromException(ex));
            }
        }

        var final = await _statusTcs.Task.ConfigureAwait(false);
        return final.StatusCode == StatusCode.OK ? null : throw CreateFailure();
    }

    /// <summary>The request body stream, or the call's failure if it ended first.</summary>
    internal async Task<Stream> GetRequestStreamAsync(CancellationToken cancellationToken)
    {
        var streamTask = RequestContent!.StreamTask;
        if (!streamTask.IsCompleted && !_statusTcs.Task.IsCompleted)
        {
            // Only the first write waits for the request to start; later ones find the stream already there.
            await Task.WhenAny(streamTask, _statusTcs.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (streamTask.IsCompleted && !_statusTcs.Task.IsCompleted)
        {
            return await streamTask.ConfigureAwait(false);
        }

        throw CreateFailureOrFinished();
    }

    /// <summary>The exception a writer throws when the call has finished.</summary>
    internal Exception CreateFailureOrFinished()
    {
        var status = _statusTcs.Task.Result;
        return status.StatusCode == StatusCode.OK
            ? new InvalidOperationException("The call has already finished; the request stream can no longer be written.")
            : CreateFailure();
    }

    public Status GetStatus() => _statusTcs.Task.IsCompletedSuccessfully
        ? _statusTcs.Task.Result
        : throw new InvalidOperationException("Unable to get the status because the call is not complete.");

    public Metadata GetTrailers() => _statusTcs.Task.IsCompletedSuccessfully
        ? _trailers!
        : throw new InvalidOperationException("Unable to get the trailers because the call is not complete.");

    /// <summary>Cancels the call if it is still running and releases it; safe to call more than once.</summary>
    public void Dispose()
    {
        Complete(new Status(StatusCode.Cancelled, "The call was disposed before it finished."));
        Cleanup();
    }

    private HttpRequestMessage CreateRequest(TRequest? request)
    {
        var httpRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        httpRequest.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        httpRequest.Headers.TryAddWithoutValidation("user-agent", GrpcProtocolConstants.UserAgent);
        httpRequest.Headers.TryAddWithoutValidation(GrpcProtocolConstants.MessageAcceptEncodingHeader, GrpcProtocolConstants.SupportedEncodings);
        if (_channel.Options.RequestCompression is { } encoding)
        {
            if (!string.Equals(encoding, GrpcProtocolConstants.GzipEncoding, StringComparison.OrdinalIgnoreCase))
            {
                throw new RpcException(StatusCode.Internal, $"Unsupported request compression '{encoding}'; only gzip is available.");
            }

            httpRequest.Headers.TryAddWithoutValidation(GrpcProtocolConstants.MessageEncodingHeader, GrpcProtocolConstants.GzipEncoding);
        }

        if (_deadline is not null)
        {
            httpRequest.Headers.TryAddWithoutValidation(GrpcProtocolConstants.TimeoutHeader, GrpcTimeout.Format(_deadline.GetRemaining()));
        }

        if (_options.Headers is { } headers)
        {
            foreach (var entry in headers)
            {
                httpRequest.Headers.TryAddWithoutValidation(entry.Key, MetadataCodec.EncodeValue(entry));
            }
        }

        if (request is not null)
        {
            var content = new ByteArrayContent(GrpcFraming.FrameMessage(request, _channel.Options.MaxSendMessageSize, CompressRequests));
            content.Headers.TryAddWithoutValidation("content-type", GrpcProtocolConstants.ContentType);
            httpRequest.Content = content;
        }
        else
        {
            httpRequest.Content = RequestContent;
        }

        return httpRequest;
    }

    private async Task RunAsync(HttpRequestMessage request)
    {
        HttpResponseMessage response;
        try
        {
            response = await _channel.HttpInvoker.SendAsync(request, _callCts.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Complete(StatusFromException(ex, "Error starting gRPC call"));
            return;
        }

        lock (_lock)
        {
            _response = response;
        }

        if (_statusTcs.Task.IsCompleted)
        {
            response.Dispose();
            return;
        }

        var headers = ToMetadata(response.Headers);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // A non-200 answer never reached a gRPC handler: map the HTTP status (http-grpc-status-mapping.md).
            var code = GrpcStatusMapping.FromHttpStatus(response.StatusCode);
            Complete(new Status(code, $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}"));
            return;
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        if (TryGetStatus(response.Headers, out var trailersOnlyStatus))
        {
            // Trailers-only response: the headers are the trailers.
            _headersTcs.TrySetResult(headers);
            Complete(trailersOnlyStatus, headers);
            return;
        }

        if (!GrpcProtocolConstants.IsGrpcContentType(contentType))
        {
            Complete(new Status(StatusCode.Internal, $"Bad gRPC response. Invalid content-type value: {contentType}"));
            return;
        }

        _responseEncoding = response.Headers.TryGetValues(GrpcProtocolConstants.MessageEncodingHeader, out var encodings) ? encodings.FirstOrDefault() : null;
        _headersTcs.TrySetResult(headers);
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(_callCts.Token).ConfigureAwait(false);
            _bodyTcs.TrySetResult(PipeReader.Create(stream));
        }
        catch (Exception ex)
        {
            Complete(StatusFromException(ex));
        }
    }

    private void OnCancelled()
    {
        Complete(StatusFromException(null));
    }

    private Status StatusFromException(Exception? ex, string? context = null)
    {
        if (_deadline is { IsExpired: true })
        {
            Log.DeadlineExceeded(_channel.Logger, _method.FullName, _deadline.Deadline);
            return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded", ex);
        }

        if (_options.CancellationToken.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "Call canceled by the client.", ex);
        }

        if (ex is RpcException rpc)
        {
            return rpc.Status;
        }

        if (ex is not null)
        {
            Log.TransportError(_channel.Logger, _method.FullName, ex);
        }

        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException protocol)
            {
                return new Status(GrpcStatusMapping.FromHttp2ErrorCode(protocol.ErrorCode), $"HTTP/2 stream error: {protocol.Message}", ex);
            }
        }

        return ex switch
        {
            HttpRequestException => new Status(StatusCode.Unavailable, $"{context ?? "Error reading the response"}: {ex.Message}", ex),
            OperationCanceledException => new Status(StatusCode.Cancelled, "The call was cancelled.", ex),
            IOException => new Status(StatusCode.Unavailable, $"{context ?? "Error reading the response"}: {ex.Message}", ex),
            _ => new Status(StatusCode.Internal, $"{context ?? "Error in the gRPC call"}: {ex?.Message}", ex),
        };
    }

    /// <summary>
    /// Sets the final status once (the first caller wins; later calls do nothing); aborts the HTTP/2 stream if it is
    /// still open. Also fails the call locally (e.g. a request message over the send limit).
    /// </summary>
    internal void Complete(Status status, Metadata? trailers = null)
    {
        lock (_lock)
        {
            if (_statusTcs.Task.IsCompleted)
            {
                return;
            }

            _trailers ??= trailers ?? new Metadata();
            _statusTcs.TrySetResult(status);
        }

        Log.CallFinished(_channel.Logger, _method.FullName, status.StatusCode, status.Detail);
        _headersTcs.TrySetException(new RpcException(status, _trailers!));
        _ = _headersTcs.Task.Exception; // observed: callers that never ask for headers must not see unobserved exceptions
        _bodyTcs.TrySetResult(null);
        RequestContent?.Complete();
        if (status.StatusCode != StatusCode.OK)
        {
            try
            {
                _callCts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private RpcException CreateFailure()
    {
        var status = _statusTcs.Task.Result;
        return new RpcException(status, _trailers!);
    }

    private Status GetStatusFromTrailers(HttpResponseMessage response)
    {
        var trailers = ToMetadata(response.TrailingHeaders);
        lock (_lock)
        {
            _trailers = trailers;
        }

        return TryGetStatus(response.TrailingHeaders, out var status)
            ? status
            : new Status(StatusCode.Internal, "No grpc-status found on the response.");
    }

    private static bool TryGetStatus(HttpHeaders headers, out Status status)
    {
        status = default;
        if (!headers.TryGetValues(GrpcProtocolConstants.StatusTrailer, out var values))
        {
            return false;
        }

        var raw = values.FirstOrDefault();
        var detail = headers.TryGetValues(GrpcProtocolConstants.MessageTrailer, out var messages)
            ? PercentEncoding.Decode(messages.FirstOrDefault() ?? string.Empty)
            : string.Empty;
        status = int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 16
            ? new Status((StatusCode)code, detail)
            : new Status(StatusCode.Unknown, $"Unexpected grpc-status '{raw}': {detail}");
        return true;
    }

    private static Metadata ToMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers.NonValidated)
        {
            foreach (var value in values)
            {
                MetadataCodec.TryAddHeader(metadata, name, value);
            }
        }

        return metadata;
    }

    /// <summary>
    /// Once the call has finished, releases the cancellation registrations, the deadline and the response; does nothing
    /// before. Idempotent: the response reader, <see cref="GetResponseAsync"/> and <see cref="Dispose"/> may each call it.
    /// </summary>
    internal void Cleanup()
    {
        HttpResponseMessage? response;
        lock (_lock)
        {
            response = _response;
        }

        if (!_statusTcs.Task.IsCompleted)
        {
            return;
        }

        _userCancellation.Dispose();
        _deadlineCancellation.Dispose();
        _deadline?.Dispose();
        response?.Dispose();
    }
}
