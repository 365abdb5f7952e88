using Grpc.Core;

namespace Rlhf.Contracts;

/// <summary>
/// The one way the suite builds an error status: <c>throw Rpc.Error(StatusCode.InvalidArgument, "…")</c>. The detail
/// says what is wrong and what to do; it is cut to <see cref="MaxDetailLength"/> characters so that an error never
/// echoes unbounded input back to the caller (a long grpc-message is unreadable for some clients).
/// </summary>
public static class Rpc
{
    /// <summary>Longest status detail sent, in characters.</summary>
    public const int MaxDetailLength = 1024;

    /// <summary>An <see cref="RpcException"/> with <paramref name="code"/> and <paramref name="detail"/> (cut when too long).</summary>
    public static RpcException Error(StatusCode code, string detail) => new(new Status(code, Cut(detail)));

    /// <summary>An <see cref="RpcException"/> with trailers (e.g. a retry hint).</summary>
    public static RpcException Error(StatusCode code, string detail, Metadata trailers) => new(new Status(code, Cut(detail)), trailers);

    /// <summary><paramref name="text"/> cut to <paramref name="max"/> characters with a marker saying how much was left out.</summary>
    public static string Cut(string text, int max = MaxDetailLength) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, max), $"… ({text.Length - max} more characters)");
}
