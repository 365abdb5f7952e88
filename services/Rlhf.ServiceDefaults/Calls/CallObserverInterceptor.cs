using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;
using Serilog;

namespace Rlhf.ServiceDefaults.Calls;

/// <summary>
/// Observes every call's outcome: puts the gRPC method and status code name into Serilog's request log line
/// (<c>UseSerilogRequestLogging</c>, one structured line per call with method, status, duration and peer), and records
/// the meter <see cref="MeterName"/>: counter <c>rlhf.grpc.server.requests</c> and histogram
/// <c>rlhf.grpc.server.duration</c> (milliseconds), tagged with <c>method</c> (<c>/pkg.Service/Method</c>) and
/// <c>status</c> (e.g. <c>OK</c>, <c>InvalidArgument</c>).
/// </summary>
public sealed class CallObserverInterceptor : ServerCallInterceptor
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Rlhf.Grpc.Server";

    /// <summary>Property of the request log line holding the gRPC method.</summary>
    public const string MethodProperty = "GrpcMethod";

    /// <summary>Property of the request log line holding the status code name.</summary>
    public const string StatusProperty = "GrpcStatus";

    private readonly IDiagnosticContext _diagnostics;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public CallObserverInterceptor(IDiagnosticContext diagnostics, IMeterFactory meterFactory)
    {
        _diagnostics = diagnostics;
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
            _diagnostics.Set(MethodProperty, context.Method);
            _diagnostics.Set(StatusProperty, status.ToString());
            var tags = new TagList { { "method", context.Method }, { "status", status.ToString() } };
            _requests.Add(1, tags);
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }
}
