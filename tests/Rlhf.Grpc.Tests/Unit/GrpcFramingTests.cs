using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Rlhf.Grpc.Internal;
using Rlhf.Grpc.Tests.Protos;

namespace Rlhf.Grpc.Tests.Unit;

public sealed class GrpcFramingTests
{
    private static readonly MessageParser<EchoRequest> Parser = EchoRequest.Parser;

    [Fact]
    public void WriteMessage_SmallMessage_WritesFlagLengthAndPayload()
    {
        var message = new EchoRequest { Message = "hi" };
        var writer = new ArrayBufferWriter<byte>();

        GrpcFraming.WriteMessage(writer, message, maxMessageSize: null, compress: false);

        var bytes = writer.WrittenSpan.ToArray();
        Assert.Equal(0, bytes[0]);
        Assert.Equal(new byte[] { 0, 0, 0, (byte)message.CalculateSize() }, bytes[1..5]);
        Assert.Equal(message.ToByteArray(), bytes[5..]);
    }

    [Fact]
    public void TryReadFrame_EverySplitOfTwoFrames_ParsesBothMessages()
    {
        // Arrange: two frames, cut into three segments at every pair of positions.
        var first = new EchoRequest { Message = "first", Count = 7 };
        var second = new EchoRequest { Message = "second ✓", Payload = ByteString.CopyFrom(1, 2, 3) };
        var bytes = GrpcFraming.FrameMessage(first, null, false).Concat(GrpcFraming.FrameMessage(second, null, false)).ToArray();

        for (var i = 0; i <= bytes.Length; i++)
        {
            for (var j = i; j <= bytes.Length; j++)
            {
                var buffer = Segments(bytes[..i], bytes[i..j], bytes[j..]);

                // Act
                var messages = new List<EchoRequest>();
                while (GrpcFraming.TryReadFrame(ref buffer, null, out var compressed, out var payload))
                {
                    Assert.False(compressed);
                    messages.Add(Parser.ParseFrom(payload));
                }

                // Assert
                Assert.Equal(new[] { first, second }, messages);
                Assert.Equal(0, buffer.Length);
            }
        }
    }

    [Fact]
    public void TryReadFrame_PartialFrame_ReturnsFalseAndKeepsBuffer()
    {
        var bytes = GrpcFraming.FrameMessage(new EchoRequest { Message = "partial" }, null, false);
        var buffer = new ReadOnlySequence<byte>(bytes[..^1]);

        var read = GrpcFraming.TryReadFrame(ref buffer, null, out _, out _);

        Assert.False(read);
        Assert.Equal(bytes.Length - 1, buffer.Length);
    }

    [Fact]
    public void TryReadFrame_LengthOverMaximum_ThrowsResourceExhausted()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 4, 1 });

        var ex = Assert.Throws<RpcException>(() => GrpcFraming.TryReadFrame(ref buffer, 1024, out _, out _));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public void TryReadFrame_InvalidFlag_ThrowsInternal()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 2, 0, 0, 0, 0 });

        var ex = Assert.Throws<RpcException>(() => GrpcFraming.TryReadFrame(ref buffer, null, out _, out _));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task ReadMessageAsync_BytesArriveOneAtATime_ReadsEachMessage()
    {
        var pipe = new Pipe();
        var messages = Enumerable.Range(0, 3).Select(i => new EchoRequest { Message = new string('x', i * 40), Count = i }).ToArray();
        var bytes = messages.SelectMany(m => GrpcFraming.FrameMessage(m, null, false)).ToArray();
        var writing = Task.Run(async () =>
        {
            foreach (var b in bytes)
            {
                await pipe.Writer.WriteAsync(new[] { b });
            }

            await pipe.Writer.CompleteAsync();
        });

        var read = new List<EchoRequest>();
        while (await GrpcFraming.ReadMessageAsync(pipe.Reader, Parser, null, null, CancellationToken.None) is { } message)
        {
            read.Add(message);
        }

        await writing;
        Assert.Equal(messages, read);
    }

    [Fact]
    public async Task ReadMessageAsync_StreamEndsInsideFrame_ThrowsInternal()
    {
        var pipe = new Pipe();
        var bytes = GrpcFraming.FrameMessage(new EchoRequest { Message = "truncated" }, null, false);
        await pipe.Writer.WriteAsync(bytes[..^3]);
        await pipe.Writer.CompleteAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => GrpcFraming.ReadMessageAsync(pipe.Reader, Parser, null, null, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("Incomplete", ex.Status.Detail);
    }

    [Fact]
    public async Task ReadMessageAsync_GarbagePayload_ThrowsInternal()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0, 0, 0, 2, 0xFF, 0xFF });
        await pipe.Writer.CompleteAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => GrpcFraming.ReadMessageAsync(pipe.Reader, Parser, null, null, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task ReadMessageAsync_GzipFrame_Decompresses()
    {
        var message = new EchoRequest { Message = new string('z', 1000) };
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(GrpcFraming.FrameMessage(message, null, compress: true));
        await pipe.Writer.CompleteAsync();

        var read = await GrpcFraming.ReadMessageAsync(pipe.Reader, Parser, null, "gzip", CancellationToken.None);

        Assert.Equal(message, read);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    [InlineData("snappy")]
    public async Task ReadMessageAsync_CompressedFrameWithoutGzipEncoding_ThrowsUnimplemented(string? encoding)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(GrpcFraming.FrameMessage(new EchoRequest { Message = "c" }, null, compress: true));
        await pipe.Writer.CompleteAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => GrpcFraming.ReadMessageAsync(pipe.Reader, Parser, null, encoding, CancellationToken.None).AsTask());

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(70_000)]
    public void FrameMessage_Uncompressed_FlagLengthAndPayloadLikeWriteMessage(int payloadBytes)
    {
        var message = new EchoRequest { Message = payloadBytes == 0 ? string.Empty : "m", Payload = ByteString.CopyFrom(new byte[payloadBytes]) };
        var writer = new ArrayBufferWriter<byte>();
        GrpcFraming.WriteMessage(writer, message, null, compress: false);

        var frame = GrpcFraming.FrameMessage(message, null, compress: false);

        Assert.Equal([0, .. BigEndian(message.CalculateSize()), .. message.ToByteArray()], frame);
        Assert.Equal(writer.WrittenSpan.ToArray(), frame);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(70_000)]
    public void FrameMessage_Compressed_FlagLengthAndGzipOfTheMessageLikeWriteMessage(int payloadBytes)
    {
        var message = new EchoRequest { Message = payloadBytes == 0 ? string.Empty : new string('z', 300), Payload = ByteString.CopyFrom(new byte[payloadBytes]) };
        var writer = new ArrayBufferWriter<byte>();
        GrpcFraming.WriteMessage(writer, message, null, compress: true);
        var gzip = Gzip(message.ToByteArray());

        var frame = GrpcFraming.FrameMessage(message, null, compress: true);

        Assert.Equal([1, .. BigEndian(gzip.Length), .. gzip], frame);
        Assert.Equal(writer.WrittenSpan.ToArray(), frame);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FrameMessage_OverSendLimit_ThrowsResourceExhausted(bool compress)
    {
        var message = new EchoRequest { Payload = ByteString.CopyFrom(new byte[2048]) };

        var ex = Assert.Throws<RpcException>(() => GrpcFraming.FrameMessage(message, 1024, compress));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public void WriteMessage_OverSendLimit_ThrowsResourceExhausted()
    {
        var message = new EchoRequest { Payload = ByteString.CopyFrom(new byte[2048]) };

        var ex = Assert.Throws<RpcException>(() => GrpcFraming.WriteMessage(new ArrayBufferWriter<byte>(), message, 1024, false));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public void TryReadFrame_RandomMessagesRandomSplits_RoundTrip()
    {
        // Property: for random messages and random segmentations, framing then deframing is the identity.
        var random = new Random(1234);
        for (var trial = 0; trial < 200; trial++)
        {
            var messages = Enumerable.Range(0, random.Next(1, 5)).Select(_ =>
            {
                var payload = new byte[random.Next(0, 300)];
                random.NextBytes(payload);
                return new EchoRequest { Message = trial.ToString(), Payload = ByteString.CopyFrom(payload), DelayMs = random.Next() };
            }).ToArray();
            var bytes = messages.SelectMany(m => GrpcFraming.FrameMessage(m, null, false)).ToArray();
            var cuts = Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(0, bytes.Length + 1)).Order().ToArray();
            var pieces = new List<byte[]>();
            var start = 0;
            foreach (var cut in cuts.Append(bytes.Length))
            {
                pieces.Add(bytes[start..cut]);
                start = cut;
            }

            var buffer = Segments(pieces.ToArray());
            var read = new List<EchoRequest>();
            while (GrpcFraming.TryReadFrame(ref buffer, null, out _, out var payload))
            {
                read.Add(Parser.ParseFrom(payload));
            }

            Assert.Equal(messages, read);
        }
    }

    private static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var nonEmpty = parts.Where(p => p.Length > 0).ToArray();
        if (nonEmpty.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(nonEmpty[0], 0);
        var last = first;
        foreach (var part in nonEmpty.Skip(1))
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>Gzip as the framing has always produced it: one write of the whole message, fastest level.</summary>
    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
