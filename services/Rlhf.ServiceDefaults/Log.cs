using Microsoft.Extensions.Logging;

namespace Rlhf.ServiceDefaults;

/// <summary>Log messages of the service defaults (event ids 100..199).</summary>
internal static partial class Log
{
    [LoggerMessage(108, LogLevel.Warning, "API key refused for '{Method}' from {Peer}: {Reason}")]
    public static partial void AuthRefused(ILogger logger, string method, string peer, string reason);

    [LoggerMessage(109, LogLevel.Warning, "Rate limit refused '{Method}' for {Caller}; retry after {RetryAfterMs} ms")]
    public static partial void RateLimited(ILogger logger, string method, string caller, long retryAfterMs);
}
