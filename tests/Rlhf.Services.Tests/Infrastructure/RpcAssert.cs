using Grpc.Core;
using Rlhf.Contracts.V1;

namespace Rlhf.Services.Tests.Infrastructure;

/// <summary>Assertions on gRPC statuses and on a trainable model being untouched.</summary>
internal static class RpcAssert
{
    /// <summary>Asserts that <paramref name="call"/> fails with <paramref name="expected"/> and a non-empty message.</summary>
    public static async Task<RpcException> StatusAsync(StatusCode expected, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(e.StatusCode == expected, $"expected {expected}, got {e.StatusCode}: {e.Status.Detail}");
        Assert.False(string.IsNullOrWhiteSpace(e.Status.Detail), "the status carries no message");
        return e;
    }

    /// <summary>What a policy serves now: the probes' logprobs and the model version.</summary>
    public static async Task<(PackedFloats Logprobs, ModelVersion Version)> SnapshotAsync(PolicyService.PolicyServiceClient policy)
    {
        var request = new ComputeLogProbsRequest { Temperature = 1f };
        request.Sequences.Add(Probes.AllIds());
        var response = await policy.ComputeLogProbsAsync(request);
        return (response.Logprobs, response.ModelVersion);
    }

    /// <summary>Asserts the policy serves exactly what <paramref name="before"/> recorded.</summary>
    public static async Task UntouchedAsync(PolicyService.PolicyServiceClient policy, (PackedFloats Logprobs, ModelVersion Version) before)
    {
        var now = await SnapshotAsync(policy);
        Assert.Equal(before.Version, now.Version);
        Assert.Equal(before.Logprobs, now.Logprobs);
    }
}
