using System.Globalization;
using Microsoft.AspNetCore.Http;
using Rlhf.Grpc.Internal;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>The server's half of PROTOCOL-HTTP2.md that touches HTTP: the only place that writes <c>grpc-status</c>.</summary>
internal static class GrpcServerProtocol
{
    /// <summary>
    /// Writes the status and <paramref name="trailers"/>: as trailers after the response has started, or — when
    /// nothing was sent yet — into the response headers, making a trailers-only response (one HEADERS frame with
    /// END_STREAM). <c>grpc-message</c> is percent-encoded.
    /// </summary>
    public static void SetStatus(HttpResponse response, Status status, Metadata trailers)
    {
        var code = ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture);
        var message = string.IsNullOrEmpty(status.Detail) ? null : PercentEncoding.Encode(status.Detail);
        if (!response.HasStarted)
        {
            response.Headers[GrpcProtocolConstants.StatusTrailer] = code;
            if (message is not null)
            {
                response.Headers[GrpcProtocolConstants.MessageTrailer] = message;
            }

            foreach (var entry in trailers)
            {
                response.Headers.Append(entry.Key, MetadataCodec.EncodeValue(entry));
            }

            return;
        }

        response.AppendTrailer(GrpcProtocolConstants.StatusTrailer, code);
        if (message is not null)
        {
            response.AppendTrailer(GrpcProtocolConstants.MessageTrailer, message);
        }

        foreach (var entry in trailers)
        {
            response.AppendTrailer(entry.Key, MetadataCodec.EncodeValue(entry));
        }
    }

    /// <summary>Request metadata from the HTTP/2 headers (protocol headers excluded).</summary>
    public static Metadata ReadRequestHeaders(HttpRequest request)
    {
        var metadata = new Metadata();
        foreach (var header in request.Headers)
        {
            foreach (var value in header.Value)
            {
                if (value is not null)
                {
                    MetadataCodec.TryAddHeader(metadata, header.Key, value);
                }
            }
        }

        return metadata;
    }
}
