using Microsoft.Extensions.DependencyInjection;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>What a call takes from its request services: the service implementation and the interceptors.</summary>
internal static class CallServices
{
    /// <summary>
    /// An instance of <typeparamref name="T"/>: from the call's request services (scoped or singleton) when registered,
    /// else created for the call. Shared by the HTTP handlers and <see cref="InProcessCallInvoker"/>.
    /// </summary>
    public static T Resolve<T>(ServerCallContext context)
        where T : class =>
        (T)ActivatorUtilities.GetServiceOrCreateInstance(context.GetHttpContext().RequestServices, typeof(T));
}
