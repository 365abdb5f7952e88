using System.Globalization;
using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rlhf.ServiceDefaults.Authentication;
using Rlhf.ServiceDefaults.Calls;

namespace Rlhf.ServiceDefaults.RateLimiting;

/// <summary>
/// Per-caller rate limits with ASP.NET Core's rate limiter (a <see cref="PartitionedRateLimiter{HttpContext}"/> of
/// token buckets, one partition per API key name, or per peer IP address for anonymous calls). A call over its
/// caller's limit fails with RESOURCE_EXHAUSTED, a message saying when to retry, and the trailer
/// <see cref="RetryAfterTrailer"/> (milliseconds until a permit is free). Health and reflection are never limited.
/// It runs as a gRPC interceptor, after authentication, rather than as the rate-limiting middleware, because the
/// middleware can only answer HTTP 429, which gRPC clients read as UNAVAILABLE.
/// </summary>
public sealed class RateLimitInterceptor : ServerCallInterceptor, IDisposable
{
    /// <summary>The trailer that tells a refused caller how many milliseconds to wait.</summary>
    public const string RetryAfterTrailer = "retry-after-ms";

    private readonly RateLimitOptions _options;
    private readonly PartitionedRateLimiter<HttpContext>? _limiter;
    private readonly ILogger<RateLimitInterceptor> _logger;

    /// <summary>Builds the limiter from the options current at start-up.</summary>
    /// <exception cref="InvalidOperationException">The options are invalid (see <see cref="RateLimitOptions.Validate"/>).</exception>
    public RateLimitInterceptor(IOptions<RateLimitOptions> options, ILogger<RateLimitInterceptor> logger)
    {
        _options = options.Value;
        _logger = logger;
        if (!_options.Enabled)
            return;
        _options.Validate();
        _limiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
        {
            var keyName = KeyName(http);
            var partition = keyName is not null ? "key:" + keyName : "peer:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            var rate = _options.RateFor(keyName);
            return RateLimitPartition.GetTokenBucketLimiter(partition, _ => BucketFor(rate, _options.BurstFor(rate)));
        });
    }

    /// <inheritdoc />
    protected override Task InvokeAsync(ServerCallContext context, Func<Task> next)
    {
        if (_limiter is null || IsInfrastructure(context))
            return next();
        var http = context.GetHttpContext();
        using var lease = _limiter.AttemptAcquire(http);
        if (lease.IsAcquired)
            return next();

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var milliseconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
        var keyName = KeyName(http);
        var caller = keyName is not null ? $"API key '{keyName}'" : $"peer {context.Peer}";
        var detail = $"rate limit exceeded for {caller}: at most {_options.RateFor(keyName).ToString("0.###", CultureInfo.InvariantCulture)} calls per second; retry after {milliseconds} ms";
        Log.RateLimited(_logger, context.Method, caller, milliseconds);
        var trailers = new Metadata { { RetryAfterTrailer, milliseconds.ToString(CultureInfo.InvariantCulture) } };
        throw new RpcException(new Status(StatusCode.ResourceExhausted, detail), trailers);
    }

    /// <summary>The authenticated key's name, or null for an anonymous caller (or when authentication is off).</summary>
    private static string? KeyName(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true, Name: { } name } && name != ApiKeyAuthenticationHandler.AnonymousName ? name : null;

    /// <summary>
    /// A token bucket refilled at <paramref name="rate"/> permits per second: whole permits every 100 ms when the rate
    /// allows, else one permit every 1/<paramref name="rate"/> seconds.
    /// </summary>
    private static TokenBucketRateLimiterOptions BucketFor(double rate, int burst)
    {
        var perTenth = rate / 10;
        var (tokens, period) = perTenth >= 1
            ? ((int)Math.Round(perTenth), TimeSpan.FromMilliseconds(100))
            : (1, TimeSpan.FromSeconds(1 / rate));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    /// <inheritdoc />
    public void Dispose() => _limiter?.Dispose();
}
