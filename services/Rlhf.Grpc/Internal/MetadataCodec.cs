namespace Rlhf.Grpc.Internal;

/// <summary>Converts metadata to and from HTTP/2 header values: ASCII as is, <c>-bin</c> entries as base64.</summary>
internal static class MetadataCodec
{
    /// <summary>The header value of an entry (padded base64 for binary entries).</summary>
    public static string EncodeValue(Metadata.Entry entry) => entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value;

    /// <summary>
    /// Adds one received header to <paramref name="metadata"/>, skipping protocol headers. A <c>-bin</c> value may be
    /// padded or unpadded base64 and may hold several comma-separated values.
    /// </summary>
    public static void AddHeader(Metadata metadata, string name, string value)
    {
        if (GrpcProtocolConstants.IsReservedHeader(name))
        {
            return;
        }

        if (Metadata.Entry.IsBinaryKey(name))
        {
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                metadata.Add(name, DecodeBase64(part));
            }

            return;
        }

        metadata.Add(name, value);
    }

    /// <summary>
    /// <see cref="AddHeader"/> for a received header that may not be valid gRPC metadata: such a header (e.g. a
    /// non-ASCII value, or bad base64 in a <c>-bin</c> header) is dropped, as grpc-core and other implementations do.
    /// False when it was dropped.
    /// </summary>
    public static bool TryAddHeader(Metadata metadata, string name, string value)
    {
        try
        {
            AddHeader(metadata, name, value);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Decodes standard base64, with or without padding.</summary>
    public static byte[] DecodeBase64(string value)
    {
        var padding = (4 - (value.Length % 4)) % 4;
        return Convert.FromBase64String(padding == 0 ? value : value + new string('=', padding));
    }
}
