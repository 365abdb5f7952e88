using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rlhf.Grpc.AspNetCore.Internal;

namespace Rlhf.Grpc.AspNetCore;

/// <summary>
/// Per-caller rate limits (System.Threading.RateLimiting token buckets, one partition per API key name, or per peer IP
/// address for calls without a key). A call over its caller's limit fails with RESOURCE_EXHAUSTED, a message saying
/// when to retry, and the trailer <c>retry-after-ms</c> (milliseconds until a permit is free). Health and reflection
/// are never limited. Register it after <see cref="ApiKeyAuthInterceptor"/> so the key's name is known.
/// </summary>
public sealed class RateLimitInterceptor : IServerInterceptor, IDisposable
{
    /// <summary>The trailer that tells a refused caller how many milliseconds to wait.</summary>
    public const string RetryAfterTrailer = "retry-after-ms";

    private readonly RateLimitOptions _options;
    private readonly PartitionedRateLimiter<ServerCallContext>? _limiter;
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
        _limiter = PartitionedRateLimiter.Create<ServerCallContext, string>(context =>
        {
            var keyName = context.UserState.TryGetValue(ApiKeyAuthInterceptor.ApiKeyNameKey, out var name) ? name as string : null;
            var partition = keyName is not null ? "key:" + keyName : "peer:" + (context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? "unknown");
            var rate = _options.RateFor(keyName);
            return RateLimitPartition.GetTokenBucketLimiter(partition, _ => BucketFor(rate, _options.BurstFor(rate)));
        });
    }

    /// <inheritdoc />
    public Task InvokeAsync(ServerCallContext context, Func<Task> next)
    {
        if (_limiter is null || ExemptServices.Contains(context.ServiceName))
            return next();
        using var lease = _limiter.AttemptAcquire(context);
        if (lease.IsAcquired)
            return next();

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var milliseconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalMilliseconds));
        var caller = context.UserState.TryGetValue(ApiKeyAuthInterceptor.ApiKeyNameKey, out var name) ? $"API key '{name}'" : $"peer {context.Peer}";
        var detail = $"Rate limit exceeded for {caller}: at most {_options.RateFor(name as string).ToString("0.###", CultureInfo.InvariantCulture)} calls per second; retry after {milliseconds} ms.";
        Log.RateLimited(_logger, context.Method, caller, milliseconds);
        var trailers = new Metadata().Add(RetryAfterTrailer, milliseconds.ToString(CultureInfo.InvariantCulture));
        throw new RpcException(new Status(StatusCode.ResourceExhausted, detail), trailers);
    }

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
