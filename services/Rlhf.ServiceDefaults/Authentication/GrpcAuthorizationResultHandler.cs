using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Rlhf.ServiceDefaults.Authentication;

/// <summary>
/// Why ASP.NET Core's authorization refused a gRPC call: the status and an actionable message, raised as an
/// <see cref="RpcException"/> by <see cref="AuthorizationFailureInterceptor"/>.
/// </summary>
/// <param name="Status">UNAUTHENTICATED (no or unknown key) or PERMISSION_DENIED (key without the scope).</param>
/// <param name="Message">What is wrong and what to do; never contains the secret.</param>
public sealed record GrpcAuthorizationFailure(StatusCode Status, string Message);

/// <summary>
/// Lets ASP.NET Core's authorization decide and gRPC report: for a gRPC endpoint whose policy failed, instead of the
/// HTTP 401/403 that gRPC clients can only show as "Bad gRPC response", it records a
/// <see cref="GrpcAuthorizationFailure"/> on the request and lets the call reach grpc-dotnet, where
/// <see cref="AuthorizationFailureInterceptor"/> fails it with the status and message before any service code runs.
/// Every other endpoint gets ASP.NET Core's default handling.
/// </summary>
public sealed class GrpcAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    /// <inheritdoc />
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var grpcMethod = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>();
        if (authorizeResult.Succeeded || grpcMethod is null)
            return _default.HandleAsync(next, context, policy, authorizeResult);
        var method = $"/{grpcMethod.Method.ServiceName}/{grpcMethod.Method.Name}";
        context.Features.Set(authorizeResult.Challenged ? Unauthenticated(context) : Forbidden(context, authorizeResult, method));
        return next(context);
    }

    private static GrpcAuthorizationFailure Unauthenticated(HttpContext context)
    {
        var failure = context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure;
        return new GrpcAuthorizationFailure(StatusCode.Unauthenticated, failure is null
            ? "missing API key: send metadata 'authorization: Bearer <key>'"
            : $"{failure.Message}: send metadata 'authorization: Bearer <key>' with a key this service knows");
    }

    private static GrpcAuthorizationFailure Forbidden(HttpContext context, PolicyAuthorizationResult result, string method)
    {
        var scopes = result.AuthorizationFailure?.FailedRequirements.OfType<ClaimsAuthorizationRequirement>()
            .SelectMany(r => r.AllowedValues ?? []).Distinct().ToArray() ?? [];
        var needed = scopes.Length == 0 ? "a scope it lacks" : $"the scope '{string.Join("' or '", scopes)}'";
        return new GrpcAuthorizationFailure(StatusCode.PermissionDenied,
            $"API key '{context.User.Identity?.Name}' lacks {needed} required by {method}");
    }
}
