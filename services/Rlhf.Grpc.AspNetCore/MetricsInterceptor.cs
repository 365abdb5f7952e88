using System.Diagnostics;
using System.Diagnostics.Metrics;
using Rlhf.Grpc.AspNetCore.Internal;

namespace Rlhf.Grpc.AspNetCore;

/// <summary>
/// Records call metrics on the meter <c>Rlhf.Grpc.Server</c>: the counter <c>rlhf.grpc.server.requests</c> and the
/// histogram <c>rlhf.grpc.server.duration</c> (milliseconds), both tagged with <c>method</c> (full method name) and
/// <c>status</c> (status code name, e.g. <c>OK</c>).
/// </summary>
public sealed class MetricsInterceptor : IServerInterceptor
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Rlhf.Grpc.Server";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public MetricsInterceptor(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("rlhf.grpc.server.requests", "{request}", "gRPC calls handled, by method and status.");
        _duration = meter.CreateHistogram<double>("rlhf.grpc.server.duration", "ms", "gRPC call duration, by method and status.");
    }

    /// <inheritdoc />
    public Task InvokeAsync(ServerCallContext context, Func<Task> next) =>
        ServerCallStatus.ObserveAsync(context, next, this, static (self, context, status, elapsed) => self.Record(context.Method, status, elapsed));

    private void Record(string method, StatusCode status, TimeSpan elapsed)
    {
        var tags = new TagList { { "method", method }, { "status", status.ToString() } };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalMilliseconds, tags);
    }
}
