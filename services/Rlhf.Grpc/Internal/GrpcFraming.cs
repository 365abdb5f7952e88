using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Google.Protobuf;

namespace Rlhf.Grpc.Internal;

/// <summary>
/// Length-prefixed messages (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): a 1-byte compressed flag, a 4-byte
/// big-endian length, then that many bytes of (possibly gzip-compressed) protobuf.
/// </summary>
internal static class GrpcFraming
{
    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/>. False when the buffer does not yet hold a
    /// whole frame (buffer unchanged). Throws <see cref="RpcException"/> RESOURCE_EXHAUSTED when the declared length
    /// exceeds <paramref name="maxMessageSize"/> and INTERNAL for a flag other than 0 or 1.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int? maxMessageSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < GrpcProtocolConstants.MessageHeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[GrpcProtocolConstants.MessageHeaderSize];
        buffer.Slice(0, GrpcProtocolConstants.MessageHeaderSize).CopyTo(header);
        var flag = header[0];
        if (flag > 1)
        {
            throw new RpcException(StatusCode.Internal, $"Invalid compressed flag {flag} in message header.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (maxMessageSize is { } max && length > (uint)max)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Received message exceeds the maximum configured message size ({length} > {max} bytes).");
        }

        if (buffer.Length - GrpcProtocolConstants.MessageHeaderSize < length)
        {
            return false;
        }

        compressed = flag == 1;
        payload = buffer.Slice(GrpcProtocolConstants.MessageHeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>
    /// Reads and parses the next message; null at a clean end of stream. Throws <see cref="RpcException"/>: INTERNAL for
    /// a truncated frame or an unparsable message, RESOURCE_EXHAUSTED for an oversized one, UNIMPLEMENTED for a
    /// compressed message whose <paramref name="encoding"/> is not gzip.
    /// </summary>
    public static async ValueTask<T?> ReadMessageAsync<T>(PipeReader reader, MessageParser<T> parser, int? maxMessageSize, string? encoding, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            T? message = null;
            bool consumed;
            try
            {
                consumed = TryReadFrame(ref buffer, maxMessageSize, out var compressed, out var payload);
                if (consumed)
                {
                    message = Parse(parser, payload, compressed, encoding, maxMessageSize);
                }
            }
            catch
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                throw;
            }

            if (consumed)
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                var remaining = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (remaining == 0 && result.IsCompleted)
                {
                    return null;
                }

                throw new RpcException(StatusCode.Internal, remaining == 0 ? "Reading the message stream was cancelled." : "Incomplete message: the stream ended inside a frame.");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Writes one framed message. Throws <see cref="RpcException"/> RESOURCE_EXHAUSTED when the serialized message
    /// exceeds <paramref name="maxMessageSize"/>.
    /// </summary>
    public static void WriteMessage(IBufferWriter<byte> writer, IMessage message, int? maxMessageSize, bool compress)
    {
        var size = CheckedSize(message, maxMessageSize);
        if (compress)
        {
            writer.Write(FrameCompressed(message, size));
            return;
        }

        WriteHeader(writer.GetSpan(GrpcProtocolConstants.MessageHeaderSize), false, size);
        writer.Advance(GrpcProtocolConstants.MessageHeaderSize);
        var span = writer.GetSpan(size)[..size];
        message.WriteTo(span);
        writer.Advance(size);
    }

    /// <summary>
    /// Frames <paramref name="message"/> into a new array (client requests): the same bytes as
    /// <see cref="WriteMessage"/>, in one allocation of the frame's size.
    /// </summary>
    public static byte[] FrameMessage(IMessage message, int? maxMessageSize, bool compress)
    {
        var size = CheckedSize(message, maxMessageSize);
        if (compress)
        {
            return FrameCompressed(message, size);
        }

        var frame = new byte[GrpcProtocolConstants.MessageHeaderSize + size];
        WriteHeader(frame, false, size);
        message.WriteTo(frame.AsSpan(GrpcProtocolConstants.MessageHeaderSize));
        return frame;
    }

    /// <summary>The serialized size of <paramref name="message"/>; RESOURCE_EXHAUSTED over <paramref name="maxMessageSize"/>.</summary>
    private static int CheckedSize(IMessage message, int? maxMessageSize)
    {
        var size = message.CalculateSize();
        if (maxMessageSize is { } max && size > max)
        {
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message exceeds the maximum configured message size ({size} > {max} bytes).");
        }

        return size;
    }

    /// <summary>
    /// A whole compressed frame: the message (serialized into a pooled buffer) gzip-compressed (RFC 1952) behind room
    /// for the header, which is filled in once the compressed length is known.
    /// </summary>
    private static byte[] FrameCompressed(IMessage message, int size)
    {
        var serialized = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            message.WriteTo(serialized.AsSpan(0, size));
            using var output = new MemoryStream();
            output.Write(stackalloc byte[GrpcProtocolConstants.MessageHeaderSize]);
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(serialized, 0, size);
            }

            var frame = output.ToArray();
            WriteHeader(frame, true, frame.Length - GrpcProtocolConstants.MessageHeaderSize);
            return frame;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(serialized);
        }
    }

    private static void WriteHeader(Span<byte> header, bool compressed, int length)
    {
        header[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)length);
    }

    private static T Parse<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload, bool compressed, string? encoding, int? maxMessageSize)
        where T : class, IMessage<T>
    {
        if (compressed)
        {
            // A compressed message we cannot decode (no grpc-encoding, identity, or an unknown algorithm) is refused
            // with UNIMPLEMENTED; the server answers grpc-accept-encoding so the peer can pick a supported one.
            if (!string.Equals(encoding, GrpcProtocolConstants.GzipEncoding, StringComparison.OrdinalIgnoreCase))
            {
                throw new RpcException(StatusCode.Unimplemented, $"Message is compressed with unsupported grpc-encoding '{encoding ?? "identity"}'; supported: {GrpcProtocolConstants.SupportedEncodings}.");
            }

            payload = new ReadOnlySequence<byte>(Decompress(payload, maxMessageSize));
        }

        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize the message.", ex));
        }
    }

    private static byte[] Decompress(ReadOnlySequence<byte> payload, int? maxMessageSize)
    {
        try
        {
            using var input = new MemoryStream(payload.ToArray());
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
            {
                output.Write(chunk, 0, read);
                if (maxMessageSize is { } max && output.Length > max)
                {
                    throw new RpcException(StatusCode.ResourceExhausted, $"Decompressed message exceeds the maximum configured message size ({max} bytes).");
                }
            }

            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to decompress the message.", ex));
        }
    }
}
