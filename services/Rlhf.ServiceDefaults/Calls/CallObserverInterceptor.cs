using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;

namespace Rlhf.ServiceDefaults.Calls;

/// <summary>
/// Observes the outcome of every call that reaches a service method and records the meter <see cref="MeterName"/>: counter <c>rlhf.grpc.server.requests</c> and histogram
/// <c>rlhf.grpc.server.duration</c> (milliseconds), tagged with <c>method</c> (<c>/pkg.Service/Method</c>) and
/// <c>status</c> (e.g. <c>OK</c>, <c>InvalidArgument</c>).
/// </summary>
public sealed class CallObserverInterceptor : ServerCallInterceptor
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Rlhf.Grpc.Server";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public CallObserverInterceptor(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("rlhf.grpc.server.requests", "{request}", "gRPC calls handled, by method and status.");
        _duration = meter.CreateHistogram<double>("rlhf.grpc.server.duration", "ms", "gRPC call duration, by method and status.");
    }

    /// <inheritdoc />
    protected override async Task InvokeAsync(ServerCallContext context, Func<Task> next)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            await next().ConfigureAwait(false);
            status = context.Status.StatusCode;
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = context.Deadline <= DateTime.UtcNow ? StatusCode.DeadlineExceeded : StatusCode.Cancelled;
            throw;
        }
        catch
        {
            status = StatusCode.Unknown;
            throw;
        }
        finally
        {
            var tags = new TagList { { "method", context.Method }, { "status", status.ToString() } };
            _requests.Add(1, tags);
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }
}
