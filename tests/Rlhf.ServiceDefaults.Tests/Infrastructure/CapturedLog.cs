using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Rlhf.ServiceDefaults.Tests.Infrastructure;

/// <summary>A Serilog sink that keeps every event (registered as an <see cref="ILogEventSink"/> in a host's container).</summary>
internal sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();
    private readonly SemaphoreSlim _emitted = new(0);

    /// <summary>Every event so far.</summary>
    public IReadOnlyList<LogEvent> Events => [.. _events];

    /// <summary>The request log lines so far (events carrying the gRPC method property).</summary>
    public IReadOnlyList<LogEvent> RequestLines => [.. _events.Where(e => e.Properties.ContainsKey(ServiceDefaultsExtensions.MethodProperty))];

    /// <inheritdoc />
    public void Emit(LogEvent logEvent)
    {
        _events.Enqueue(logEvent);
        _emitted.Release();
    }

    /// <summary>
    /// Waits until <paramref name="done"/> holds for the events (each emitted event re-checks it); the request line
    /// of a call is written when the server finishes the request, which may be just after the client has its answer.
    /// </summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<LogEvent>, bool> done)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a safety net, not a measurement
        while (!done(Events))
            await _emitted.WaitAsync(timeout.Token);
    }

    /// <summary>The request line of <paramref name="method"/> (<c>/pkg.Service/Method</c>) with the given status, waiting for it.</summary>
    public async Task<LogEvent> RequestLineAsync(string method, string status) => await RequestLineAsync(method, [status]);

    /// <summary>The request line of <paramref name="method"/> with any of <paramref name="statuses"/>, waiting for it.</summary>
    public async Task<LogEvent> RequestLineAsync(string method, IReadOnlyList<string> statuses)
    {
        await WaitUntilAsync(events => events.Any(e => statuses.Any(s => Is(e, method, s))));
        return Events.Single(e => statuses.Any(s => Is(e, method, s)));
    }

    /// <summary>The scalar value of <paramref name="property"/>, or null.</summary>
    public static object? Scalar(LogEvent e, string property) =>
        e.Properties.TryGetValue(property, out var value) && value is ScalarValue s ? s.Value : null;

    private static bool Is(LogEvent e, string method, string status) =>
        Scalar(e, ServiceDefaultsExtensions.MethodProperty) as string == method && Scalar(e, ServiceDefaultsExtensions.StatusProperty) as string == status;
}
