using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client.Configuration;

namespace Rlhf.Client;

/// <summary>
/// Retry rules derived from the contract: an RPC is retried on UNAVAILABLE exactly when its proto declares
/// <c>option idempotency_level = NO_SIDE_EFFECTS</c> or <c>IDEMPOTENT</c>; every other RPC (Backward, OptimizerStep,
/// the forwards that may keep activations, StartRun, …) is never retried. Applied through grpc-dotnet's own retry
/// policy (a service config), which retries with jittered exponential backoff and honours the call's deadline.
/// </summary>
public static class RetryPolicies
{
    /// <summary>Backoff before the first retry (grpc-dotnet draws each delay uniformly up to the current backoff).</summary>
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest backoff between two attempts.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(4);

    /// <summary>Whether <paramref name="method"/> may be retried: its proto declares it free of side effects or idempotent.</summary>
    public static bool IsRetried(MethodDescriptor method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.GetOptions()?.IdempotencyLevel is MethodOptions.Types.IdempotencyLevel.NoSideEffects
            or MethodOptions.Types.IdempotencyLevel.Idempotent;
    }

    /// <summary>The RPCs of <paramref name="service"/> that may be retried.</summary>
    public static IEnumerable<MethodDescriptor> RetriedMethods(ServiceDescriptor service) => service.Methods.Where(IsRetried);

    /// <summary>
    /// Attempts (first call included) whose nominal backoffs (<see cref="InitialBackoff"/>·2^k, capped at
    /// <see cref="MaxBackoff"/>) first add up to at least <paramref name="patience"/>; 1 (no retry) for zero patience.
    /// </summary>
    public static int Attempts(TimeSpan patience)
    {
        var attempts = 1;
        var total = TimeSpan.Zero;
        var delay = InitialBackoff;
        while (total < patience)
        {
            total += delay;
            attempts++;
            delay = delay * 2 > MaxBackoff ? MaxBackoff : delay * 2;
        }
        return attempts;
    }

    /// <summary>
    /// The service config of a channel to <paramref name="service"/>: a retry policy on the retried RPCs only, and
    /// round-robin load balancing when <paramref name="roundRobin"/>.
    /// </summary>
    /// <param name="service">The service the channel calls.</param>
    /// <param name="patience">Total backoff spent retrying one call (see <see cref="Attempts"/>).</param>
    /// <param name="roundRobin">Spread calls over every address the name resolves to.</param>
    public static ServiceConfig ServiceConfig(ServiceDescriptor service, TimeSpan patience, bool roundRobin)
    {
        ArgumentNullException.ThrowIfNull(service);
        var config = new ServiceConfig();
        if (roundRobin)
            config.LoadBalancingConfigs.Add(new RoundRobinConfig());
        var attempts = Attempts(patience);
        if (attempts < 2)
            return config;
        var retried = new MethodConfig
        {
            RetryPolicy = new RetryPolicy
            {
                MaxAttempts = attempts,
                InitialBackoff = InitialBackoff,
                MaxBackoff = MaxBackoff,
                BackoffMultiplier = 2,
                RetryableStatusCodes = { StatusCode.Unavailable },
            },
        };
        foreach (var method in RetriedMethods(service))
            retried.Names.Add(new MethodName { Service = service.FullName, Method = method.Name });
        if (retried.Names.Count > 0)
            config.MethodConfigs.Add(retried);
        return config;
    }
}
