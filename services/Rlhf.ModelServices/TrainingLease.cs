using Grpc.Core;
using Rlhf.Contracts;

namespace Rlhf.ModelServices;

/// <summary>
/// The training lease of a trainable model: at most one run id may train it at a time, so two runs never interleave
/// updates. A lease expires when no training RPC renewed it for its TTL. A restarted service holds no lease, so a run
/// that trained it before learns of the restart from FAILED_PRECONDITION. Thread-safe.
/// </summary>
public sealed class TrainingLease
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private string? _holder;
    private TimeSpan _ttl;
    private DateTimeOffset _expiresAt;

    /// <param name="time">Clock (tests move it).</param>
    public TrainingLease(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>The run holding the lease, or null.</summary>
    public string? Holder
    {
        get { lock (_gate) { ExpireIfDue(); return _holder; } }
    }

    /// <summary>Takes (or renews) the lease for <paramref name="runId"/>.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT for a bad run id or TTL; FAILED_PRECONDITION while another run holds it.</exception>
    public void Acquire(string runId, TimeSpan ttl)
    {
        ValidateRunId(runId);
        if (ttl <= TimeSpan.Zero || ttl > TimeSpan.FromDays(1))
            throw Rpc.Error(StatusCode.InvalidArgument, $"ttl_seconds must be in [1, 86400], got {ttl.TotalSeconds:0}");
        lock (_gate)
        {
            ExpireIfDue();
            if (_holder is not null && _holder != runId)
                throw Rpc.Error(StatusCode.FailedPrecondition,
                    $"the training lease is held by run '{_holder}' until {_expiresAt:O}; wait for it to finish or release it");
            _holder = runId;
            _ttl = ttl;
            _expiresAt = _time.GetUtcNow() + ttl;
        }
    }

    /// <summary>Checks that <paramref name="runId"/> holds the lease and renews it.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION when it does not (no lease, expired, restarted service, or another run).</exception>
    public void Require(string runId)
    {
        ValidateRunId(runId);
        lock (_gate)
        {
            ExpireIfDue();
            if (_holder != runId)
            {
                var why = _holder is null
                    ? "no run holds the training lease (it expired, or the service restarted and lost the run's state; resume the run from its last checkpoint)"
                    : $"the training lease is held by run '{_holder}'";
                throw Rpc.Error(StatusCode.FailedPrecondition, $"run '{runId}' does not hold the training lease: {why}");
            }
            _expiresAt = _time.GetUtcNow() + _ttl;
        }
    }

    /// <summary>Gives the lease back.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION when <paramref name="runId"/> does not hold it.</exception>
    public void Release(string runId)
    {
        lock (_gate)
        {
            ExpireIfDue();
            if (_holder != runId)
                throw Rpc.Error(StatusCode.FailedPrecondition, $"run '{runId}' does not hold the training lease");
            _holder = null;
        }
    }

    private void ExpireIfDue()
    {
        if (_holder is not null && _time.GetUtcNow() >= _expiresAt)
            _holder = null;
    }

    private static void ValidateRunId(string runId)
    {
        if (string.IsNullOrEmpty(runId) || runId.Length > 128)
            throw Rpc.Error(StatusCode.InvalidArgument, "run_id must be a non-empty string of at most 128 characters");
    }
}
