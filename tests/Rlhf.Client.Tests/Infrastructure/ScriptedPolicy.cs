using System.Collections.Concurrent;
using Grpc.Core;
using Rlhf.Contracts.V1;

namespace Rlhf.Client.Tests.Infrastructure;

/// <summary>
/// A PolicyService whose GetModelInfo (NO_SIDE_EFFECTS: retried) and ComputeLogProbs (no idempotency option: never
/// retried) fail with the scripted statuses first, then answer; it counts every attempt that reached it.
/// </summary>
internal sealed class ScriptedPolicy : PolicyService.PolicyServiceBase
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<StatusCode>> _failures = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    /// <summary>Makes the next calls of <paramref name="method"/> fail with <paramref name="codes"/>, in order.</summary>
    public void FailNext(string method, params StatusCode[] codes)
    {
        var queue = _failures.GetOrAdd(method, _ => new ConcurrentQueue<StatusCode>());
        foreach (var code in codes)
            queue.Enqueue(code);
    }

    /// <summary>Calls of <paramref name="method"/> that reached the server.</summary>
    public int Attempts(string method) => _attempts.GetValueOrDefault(method);

    /// <summary>When true, GetModelInfo answers nothing until its call is cancelled (e.g. by its deadline).</summary>
    public bool Hang { get; set; }

    /// <summary>The deadline of the last GetModelInfo call, as the server saw it (from the client's grpc-timeout).</summary>
    public DateTime? LastDeadline { get; private set; }

    public override async Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        LastDeadline = context.Deadline;
        Enter(nameof(GetModelInfo));
        if (Hang)
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return new ModelInfo { Service = "rlhf.v1.PolicyService" };
    }

    public override Task<ComputeLogProbsResponse> ComputeLogProbs(ComputeLogProbsRequest request, ServerCallContext context)
    {
        Enter(nameof(ComputeLogProbs));
        return Task.FromResult(new ComputeLogProbsResponse { ForwardId = "f" });
    }

    private void Enter(string method)
    {
        _attempts.AddOrUpdate(method, 1, (_, n) => n + 1);
        if (_failures.TryGetValue(method, out var queue) && queue.TryDequeue(out var code))
            throw new RpcException(new Status(code, $"scripted {code}"));
    }
}
