using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Rlhf.ServiceDefaults.Calls;

/// <summary>
/// The gRPC method and final status of a finished request, as grpc-dotnet itself recorded them: the call's
/// <see cref="ServerCallContext"/> (<see cref="IServerCallContextFeature"/>, whose status grpc-dotnet sets for every
/// outcome it produces: the handler's result, an <see cref="RpcException"/> from it or an interceptor, a message over
/// the size limit, a malformed message; with its deadline for a handler cancelled by it), or, for a method no service binds, grpc-dotnet's own
/// unimplemented endpoints (their <c>unimplementedMethod</c> route value). Nothing here reads gRPC headers or trailers.
/// </summary>
/// <param name="Method">The method, <c>/pkg.Service/Method</c> (the request path when grpc-dotnet did not handle the request).</param>
/// <param name="Status">The status code name (<c>OK</c>, <c>Unimplemented</c>, …), or <c>HTTP nnn</c> for a request that is not a gRPC call.</param>
public readonly record struct GrpcCallOutcome(string Method, string Status)
{
    /// <summary>The route value grpc-dotnet's unimplemented-method and unimplemented-service endpoints bind.</summary>
    private const string UnimplementedMethodRouteValue = "unimplementedMethod";

    /// <summary>The outcome of <paramref name="http"/>, read once the request has completed.</summary>
    public static GrpcCallOutcome Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Features.Get<IServerCallContextFeature>()?.ServerCallContext is { } call)
            return new GrpcCallOutcome(call.Method, StatusOf(call).ToString());
        if (http.GetRouteValue(UnimplementedMethodRouteValue) is not null)
            return new GrpcCallOutcome(http.Request.Path, nameof(StatusCode.Unimplemented));
        return new GrpcCallOutcome(http.Request.Path, $"HTTP {http.Response.StatusCode}");
    }

    /// <summary>
    /// The status the caller got. grpc-dotnet records a handler that ended with an <see cref="OperationCanceledException"/>
    /// (its CancellationToken fired) as UNKNOWN, with the exception as the status's debug exception; the caller got
    /// DEADLINE_EXCEEDED when the call's deadline had passed (grpc-dotnet sent it when the deadline fired and leaves the
    /// trailers alone afterwards), else nothing, because it had reset the stream: CANCELLED.
    /// </summary>
    private static StatusCode StatusOf(ServerCallContext call)
    {
        var status = call.Status;
        if (status.StatusCode != StatusCode.Unknown || status.DebugException is not OperationCanceledException)
            return status.StatusCode;
        return call.Deadline <= DateTime.UtcNow ? StatusCode.DeadlineExceeded : StatusCode.Cancelled;
    }
}
