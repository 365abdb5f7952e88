namespace Rlhf.Client;

/// <summary>How a client of the suite behaves; the defaults suit the orchestrator and the command line.</summary>
public sealed record RlhfClientOptions
{
    /// <summary>
    /// How long idempotent calls (the RPCs the protos mark <c>idempotency_level</c>) keep being retried while the
    /// service is UNAVAILABLE, in total backoff (jittered exponential, <see cref="RetryPolicies.InitialBackoff"/> doubling
    /// to <see cref="RetryPolicies.MaxBackoff"/>). Zero disables retries. Default 30 s: long enough to ride through a
    /// restart of the reward or reference service.
    /// </summary>
    public TimeSpan RetryPatience { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deadline given to unary calls that set none, retries included: the overall timeout of one logical call.
    /// Null: no default deadline. Default 10 minutes (generating a large batch can take minutes).
    /// </summary>
    public TimeSpan? DefaultDeadline { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Open a circuit when most unary calls end UNAVAILABLE (<see cref="CircuitBreakerInterceptor"/>): while open, calls
    /// fail at once with UNAVAILABLE for <see cref="CircuitBreakDuration"/> instead of each waiting for a connection.
    /// Default true.
    /// </summary>
    public bool CircuitBreaker { get; init; } = true;

    /// <summary>How long an open circuit stays open. Default 5 s.</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>API key sent as <c>authorization: Bearer …</c>, or null.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest message sent or received, bytes. Default 64 MiB.</summary>
    public int MaxMessageBytes { get; init; } = 64 << 20;

    /// <summary>
    /// Idle time of a connection with calls in flight before an HTTP/2 keepalive ping. Default 5 min 30 s: grpcio
    /// servers refuse pings more often than every 5 minutes while they send no data
    /// (<c>grpc.http2.min_ping_interval_without_data_ms</c>) and close the connection after two such pings.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(330);

    /// <summary>How long a keepalive ping may go unanswered before the connection is closed. Default 20 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often a <c>dns:///</c> address is resolved again to find new replicas. Default 30 s.</summary>
    public TimeSpan DnsRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Clock of the default deadline and the circuit breaker (tests pass a fake). Default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
