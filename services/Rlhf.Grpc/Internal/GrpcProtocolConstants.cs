namespace Rlhf.Grpc.Internal;

/// <summary>Names and values from PROTOCOL-HTTP2.md shared by the client and the server.</summary>
internal static class GrpcProtocolConstants
{
    public const string ContentType = "application/grpc";
    public const string ContentTypeProto = "application/grpc+proto";
    public const string StatusTrailer = "grpc-status";
    public const string MessageTrailer = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string MessageEncodingHeader = "grpc-encoding";
    public const string MessageAcceptEncodingHeader = "grpc-accept-encoding";
    public const string IdentityEncoding = "identity";
    public const string GzipEncoding = "gzip";
    public const string SupportedEncodings = "identity,gzip";
    public const string UserAgent = "grpc-rlhf-csharp/1.0";
    public const int MessageHeaderSize = 5;

    /// <summary>Default maximum message size in either direction: 16 MiB (docs/CONVENTIONS.md).</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>Whether a Content-Type is one we serve: <c>application/grpc</c> or <c>application/grpc+proto</c>, parameters allowed.</summary>
    public static bool IsSupportedContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';');
        var mediaType = (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim();
        return string.Equals(mediaType, ContentType, StringComparison.OrdinalIgnoreCase)
            || string.Equals(mediaType, ContentTypeProto, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether a Content-Type names any gRPC variant (starts with <c>application/grpc</c>).</summary>
    public static bool IsGrpcContentType(string? contentType) =>
        contentType is not null && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Headers that are part of the protocol and never surface as <see cref="Metadata"/>.</summary>
    public static bool IsReservedHeader(string name) =>
        name.StartsWith(':')
        || name.ToLowerInvariant() is "content-type" or "content-length" or "te" or "host" or "user-agent" or "accept-encoding"
            or "date" or "server" or StatusTrailer or MessageTrailer or TimeoutHeader or MessageEncodingHeader
            or MessageAcceptEncodingHeader or "grpc-status-details-bin";
}
