using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;
using Rlhf.ServiceDefaults.Calls;
using Rlhf.ServiceDefaults.Tests.Infrastructure;

namespace Rlhf.ServiceDefaults.Tests;

/// <summary>A policy on stories260K with gzip responses, a 64 KiB receive limit, room for a long generation, and a recorder of how each call's handler ended.</summary>
public sealed class TransportFixture : IAsyncLifetime
{
    internal RunningService Policy { get; private set; } = null!;

    internal HandlerOutcomes Outcomes { get; } = new();

    public async Task InitializeAsync()
    {
        if (TestData.MissingReason is not null)
            return;
        Policy = await RunningService.StartAsync(ServiceCatalog.Policy, new Dictionary<string, string?>
        {
            ["Grpc:ResponseCompression"] = "gzip",
            ["Grpc:MaxReceiveMessageBytes"] = "65536",
            ["Model:MaxBatchSize"] = "512",
            ["Serilog:MinimumLevel:Default"] = "Information",
        }, configure: builder =>
        {
            builder.Services.AddSingleton(Outcomes);
            builder.Services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<HandlerOutcomes>());
        });
    }

    public async Task DisposeAsync()
    {
        if (Policy is not null)
            await Policy.DisposeAsync();
    }
}

/// <summary>Records, per call, how the handler ended (null: it returned; else the exception).</summary>
internal sealed class HandlerOutcomes : ServerCallInterceptor
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<Exception?>> _calls = new();

    /// <summary>How the call tagged <paramref name="tag"/> (metadata <c>x-test-call</c>) ended, once it has.</summary>
    public Task<Exception?> OfAsync(string tag) => Slot(tag).Task.WaitAsync(TimeSpan.FromSeconds(60));

    protected override async Task InvokeAsync(ServerCallContext context, Func<Task> next)
    {
        var tag = context.RequestHeaders.GetValue("x-test-call");
        try
        {
            await next();
            if (tag is not null)
                Slot(tag).TrySetResult(null);
        }
        catch (Exception e)
        {
            if (tag is not null)
                Slot(tag).TrySetResult(e);
            throw;
        }
    }

    private TaskCompletionSource<Exception?> Slot(string tag) =>
        _calls.GetOrAdd(tag, _ => new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>
/// Transport behaviours of grpc-dotnet as the suite configures it, at the service level over real HTTP/2: deadlines
/// reach the handler, message limits, compression both ways, unknown methods, and malformed input on the socket or in
/// the gRPC framing, after each of which the server keeps serving.
/// </summary>
public sealed class TransportTests(TransportFixture fixture) : IClassFixture<TransportFixture>
{
    private RunningService Policy => fixture.Policy;

    private PolicyService.PolicyServiceClient Client => new(Policy.Channel);

    /// <summary>
    /// A Generate of 512 samples (8 prompts × 64) of up to 200 tokens (tens of seconds of work on one thread), with a
    /// 1 s deadline on a connection already open: the client gets DEADLINE_EXCEEDED, the
    /// handler ends with the cancellation of its CancellationToken (the engine checks it between tokens) instead of
    /// finishing the batch, and the request line records DeadlineExceeded (or Cancelled: the client enforces the same
    /// deadline and resets the stream, and on a loaded machine that reset can reach the server before its own timer).
    /// </summary>
    [DataFact]
    public async Task Generate_DeadlineShorterThanTheWork_DeadlineExceededAndHandlerCancelled()
    {
        var request = new GenerateRequest { Sampling = new SamplingParams { Temperature = 1, MaxNewTokens = 200, Seed = 7, NumSamplesPerPrompt = 64 } };
        for (var i = 0; i < 8; i++)
            request.Prompts.Add(new Sequence { PromptText = "Once upon a time" + new string('!', i) });
        var tag = Guid.NewGuid().ToString("N");
        await AssertServingAsync(); // the connection is open, so the deadline is spent on the call

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.GenerateAsync(request,
            new Metadata { { "x-test-call", tag } }, deadline: DateTime.UtcNow.AddSeconds(1)));
        var ended = await fixture.Outcomes.OfAsync(tag);
        var line = await Policy.Log.RequestLineAsync("/rlhf.v1.PolicyService/Generate", ["DeadlineExceeded", "Cancelled"]);

        Assert.True(e.StatusCode == StatusCode.DeadlineExceeded, e.Status.ToString());
        Assert.IsAssignableFrom<OperationCanceledException>(ended);
        Assert.NotNull(line);
        await AssertServingAsync();
    }

    [DataFact]
    public async Task MessageOverMaxReceiveMessageBytes_ResourceExhaustedThenServing()
    {
        var request = new ComputeLogProbsRequest { Temperature = 1 };
        request.Sequences.Add(new Sequence { PromptText = new string('a', 70_000), ResponseText = "b" });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.ComputeLogProbsAsync(request));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        await AssertServingAsync();
    }

    [DataTheory]
    [InlineData("rlhf.v1.PolicyService", "NoSuchMethod", "Method is unimplemented.")]
    [InlineData("rlhf.v9.NoSuchService", "Generate", "Service is unimplemented.")]
    public async Task UnknownMethodOrService_Unimplemented(string service, string method, string detail)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Raw.UnaryAsync(Policy.Invoker(), service, method));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Equal(detail, e.Status.Detail);
        await AssertServingAsync();
    }

    /// <summary>
    /// A gzip-compressed request (grpc-dotnet's <c>grpc-internal-encoding-request</c> call option) is accepted, and the
    /// response comes back gzip-compressed (Grpc:ResponseCompression): the client's HTTP handler sees
    /// <c>grpc-encoding: gzip</c> both ways.
    /// </summary>
    [DataFact]
    public async Task GzipRequestAccepted_GzipResponseSent()
    {
        var recorder = new EncodingRecorder { InnerHandler = new SocketsHttpHandler() };
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(Policy.Address, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = recorder });
        var request = new ComputeLogProbsRequest { Temperature = 1 };
        request.Sequences.Add(new Sequence { PromptText = "Once upon a time", ResponseText = " there was a dog." });

        var response = await new PolicyService.PolicyServiceClient(channel).ComputeLogProbsAsync(request,
            new Metadata { { "grpc-internal-encoding-request", "gzip" } });

        Assert.Equal("gzip", recorder.Request);
        Assert.Equal("gzip", recorder.Response);
        Assert.NotEmpty(response.Logprobs.Values);
    }

    /// <summary>The grpc-encoding of the last request and response through it (test code looks at what went over the wire).</summary>
    private sealed class EncodingRecorder : DelegatingHandler
    {
        public string? Request { get; private set; }

        public string? Response { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request.Headers.TryGetValues("grpc-encoding", out var sent) ? sent.Single() : null;
            var response = await base.SendAsync(request, cancellationToken);
            Response = response.Headers.TryGetValues("grpc-encoding", out var received) ? received.Single() : null;
            return response;
        }
    }

    /// <summary>Bytes that are not HTTP/2 at all, on a raw TCP connection: the server drops that connection and keeps serving.</summary>
    [DataFact]
    public async Task GarbageBytesOnTheSocket_ConnectionDroppedServerServing()
    {
        var garbage = new byte[4096];
        new Random(12).NextBytes(garbage);
        await SendRawAsync(garbage);
        await SendRawAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        await AssertServingAsync();
    }

    /// <summary>
    /// HTTP/2 frames cut short: the client preface with a SETTINGS frame whose header promises more bytes than follow,
    /// and a HEADERS frame cut mid-block, each on a connection then closed; and a frame of an impossible size. The
    /// server keeps serving.
    /// </summary>
    [DataFact]
    public async Task TruncatedHttp2Frames_ServerServing()
    {
        var preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
        byte[] Frame(int length, byte type, byte flags, int stream, int payloadBytes)
        {
            var frame = new byte[9 + payloadBytes];
            frame[0] = (byte)(length >> 16);
            frame[1] = (byte)(length >> 8);
            frame[2] = (byte)length;
            frame[3] = type;
            frame[4] = flags;
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
            return frame;
        }
        var emptySettings = Frame(0, 4, 0, 0, 0);

        await SendRawAsync([.. preface, .. Frame(18, 4, 0, 0, 4)]);                      // SETTINGS promising 18 bytes, 4 sent
        await SendRawAsync([.. preface, .. emptySettings, .. Frame(200, 1, 4, 1, 20)]);  // HEADERS promising 200 bytes, 20 sent
        await SendRawAsync([.. preface, .. emptySettings, .. Frame(5, 4, 0, 0, 5)]);     // SETTINGS of 5 bytes: FRAME_SIZE_ERROR
        await SendRawAsync(preface[..10]);                                               // half a preface

        await AssertServingAsync();
    }

    /// <summary>
    /// Well-formed HTTP/2 carrying malformed gRPC framing: a message prefix promising 100 bytes with 3 sent, bytes that
    /// are not protobuf, an unknown compressed-flag value, an empty body, two messages to a unary method. grpc-dotnet
    /// answers INTERNAL for a framing it cannot complete (truncated, empty, two messages) and UNKNOWN for a message it
    /// cannot decode (not protobuf, an unknown flag), which it reports as a failed deserialization. The server keeps
    /// serving.
    /// </summary>
    [DataTheory]
    [InlineData("truncated", "13")]
    [InlineData("not-protobuf", "2")]
    [InlineData("bad-flag", "2")]
    [InlineData("empty", "13")]
    [InlineData("two-messages", "13")]
    public async Task MalformedGrpcFraming_PreciseStatusThenServing(string kind, string expectedStatus)
    {
        var body = new GetModelInfoRequest().ToByteArray();
        var one = Prefixed(0, (uint)body.Length, body);
        var frame = kind switch
        {
            "truncated" => Prefixed(0, 100, [1, 2, 3]),
            "not-protobuf" => Prefixed(0, 3, [0xFF, 0xFF, 0xFF]),
            "bad-flag" => Prefixed(7, 0, []),
            "empty" => [],
            "two-messages" => [.. one, .. one],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var method = kind == "not-protobuf" ? "/rlhf.v1.PolicyService/ComputeLogProbs" : "/rlhf.v1.PolicyService/GetModelInfo";

        using var response = await PostAsync(method, frame, "application/grpc");

        Assert.Equal(expectedStatus, GrpcStatusOf(response));
        await AssertServingAsync();
    }

    [DataFact]
    public async Task NonGrpcContentType_UnsupportedMediaTypeThenServing()
    {
        using var response = await PostAsync("/rlhf.v1.PolicyService/GetModelInfo", Prefixed(0, 0, []), "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await AssertServingAsync();
    }

    private async Task AssertServingAsync()
    {
        var info = await Client.GetModelInfoAsync(new GetModelInfoRequest());
        Assert.Equal("rlhf.v1.PolicyService", info.Service);
    }

    /// <summary>Sends <paramref name="bytes"/> on a new TCP connection, then reads until the server closes it (or for at most 10 s) and closes.</summary>
    private async Task SendRawAsync(byte[] bytes)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Policy.Address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
        tcp.Client.Shutdown(SocketShutdown.Send);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)); // a safety net, not a measurement
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // reset by the server, or it kept the half-closed connection open: either way it is done with it
        }
    }

    /// <summary>A gRPC length-prefixed message as test input: flag byte, big-endian length, payload.</summary>
    private static byte[] Prefixed(byte flag, uint length, byte[] payload)
    {
        var message = new byte[5 + payload.Length];
        message[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(1), length);
        payload.CopyTo(message, 5);
        return message;
    }

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body, string contentType)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Policy.Address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TE.ParseAdd("trailers");
        var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync(); // trailers arrive after the body
        return response;
    }

    /// <summary>The grpc-status the server sent (test code reads the trailers, or a trailers-only response's headers, to see what grpc-dotnet answered).</summary>
    private static string? GrpcStatusOf(HttpResponseMessage response) =>
        response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First()
        : response.Headers.TryGetValues("grpc-status", out var h) ? h.First()
        : null;
}
