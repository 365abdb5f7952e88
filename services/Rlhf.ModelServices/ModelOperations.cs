using Rlhf.Models;
using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;
using ModelInfo = Rlhf.Contracts.V1.ModelInfo;

namespace Rlhf.ModelServices;

/// <summary>
/// The RPC logic that the policy, reference, critic and reward services share: forward passes with kept
/// activations, Backward, OptimizerStep, checkpoints, leases and model info. Every request is validated completely
/// before the model is touched, so a refused request leaves the model as it was.
/// </summary>
public sealed class ModelOperations(ModelHost host)
{
    /// <summary>The served model.</summary>
    public ModelHost Host { get; } = host;

    /// <summary>Number of Backward passes since the last OptimizerStep.</summary>
    private int _accumulated;

    /// <summary>GetModelInfo.</summary>
    public ModelInfo GetModelInfo() => Host.Info();

    /// <summary>AcquireTrainingLease.</summary>
    public AcquireTrainingLeaseResponse AcquireTrainingLease(AcquireTrainingLeaseRequest request)
    {
        RequireTrainable();
        Host.Lease.Acquire(request.RunId, TimeSpan.FromSeconds(request.TtlSeconds == 0 ? 600 : request.TtlSeconds));
        return new AcquireTrainingLeaseResponse { RunId = request.RunId, ModelVersion = Host.Version };
    }

    /// <summary>ReleaseTrainingLease.</summary>
    public ReleaseTrainingLeaseResponse ReleaseTrainingLease(ReleaseTrainingLeaseRequest request)
    {
        RequireTrainable();
        Host.Lease.Release(request.RunId);
        return new ReleaseTrainingLeaseResponse();
    }

    /// <summary>
    /// A forward pass over validated sequences. With <c>options.KeepForBackward</c> the caller must hold the lease
    /// and the activations are stored under a new forward id.
    /// </summary>
    /// <returns>The backend's result and the forward id ("" unless kept).</returns>
    public async Task<(ForwardResult Result, string ForwardId)> ForwardAsync(IReadOnlyList<TokenSequence> batch,
        ForwardOptions options, string runId, CancellationToken cancellationToken)
    {
        if (options.KeepForBackward)
        {
            if (!Host.Trainable)
                throw Rpc.Error(StatusCode.FailedPrecondition, $"{Host.ServiceName} is frozen: keep_for_backward is not available");
            Host.Lease.Require(runId);
        }
        var result = await Host.RunAsync(m => m.Forward(batch, options), cancellationToken).ConfigureAwait(false);
        if (result.State is not { } state)
            return (result, "");
        var lengths = batch.Select(s => s.ResponseIds.Length).ToArray();
        var id = Host.Store.Add(new KeptForward(state, lengths, options.ComputeLogprobs, options.ComputeEntropy, options.ComputeValues), state.ByteSize);
        return (result, id);
    }

    /// <summary>
    /// Backward: validates the gradients against the kept forward pass, then back-propagates them. A gradient for an
    /// output the forward pass did not compute (e.g. grad_values sent to the policy) is refused before its shape is
    /// checked, with a message saying so.
    /// </summary>
    public async Task<BackwardResponse> BackwardAsync(BackwardRequest request, CancellationToken cancellationToken)
    {
        RequireTrainable();
        Host.Lease.Require(request.RunId);
        var kept = Host.Store.Peek(request.ForwardId);
        if (request.GradLogprobs.IsGiven() && !kept.HasLogprobs)
            throw Rpc.Error(StatusCode.InvalidArgument, $"grad_logprobs given, but {Host.ServiceName} computed no logprobs in this forward pass");
        if (request.GradEntropies.IsGiven() && !kept.HasEntropy)
            throw Rpc.Error(StatusCode.InvalidArgument, $"grad_entropies given, but {Host.ServiceName} computed no entropies in this forward pass"
                + (kept.HasLogprobs ? " (set compute_entropy)" : ""));
        if (request.GradValues.IsGiven() && !kept.HasValues)
            throw Rpc.Error(StatusCode.InvalidArgument, $"grad_values given, but {Host.ServiceName} computed no values in this forward pass");
        var gradLogprobs = request.GradLogprobs.UnpackChecked(kept.ResponseLengths, "grad_logprobs");
        var gradEntropies = request.GradEntropies.UnpackChecked(kept.ResponseLengths, "grad_entropies");
        var gradValues = request.GradValues.UnpackChecked(kept.ResponseLengths, "grad_values");
        if (gradLogprobs is null && gradEntropies is null && gradValues is null)
            throw Rpc.Error(StatusCode.InvalidArgument, "no gradient given: set grad_logprobs, grad_entropies or grad_values");
        var taken = Host.Store.Take(request.ForwardId);
        var grads = new OutputGradients(gradLogprobs, gradEntropies, gradValues);
        await Host.RunAsync(m => { m.Backward(taken.State, grads); return 0; }, CancellationToken.None).ConfigureAwait(false);
        var n = Interlocked.Increment(ref _accumulated);
        return new BackwardResponse { Tokens = taken.ResponseLengths.Sum(), AccumulatedBackwardPasses = n };
    }

    /// <summary>
    /// OptimizerStep: clip, AdamW, zero gradients, bump the version. Accumulated gradients that are not finite are
    /// dropped and refused with INVALID_ARGUMENT; the weights and the version are then unchanged.
    /// </summary>
    public async Task<OptimizerStepResponse> OptimizerStepAsync(OptimizerStepRequest request, CancellationToken cancellationToken)
    {
        RequireTrainable();
        Host.Lease.Require(request.RunId);
        if (!(request.LearningRate > 0 && request.LearningRate <= 1))
            throw Rpc.Error(StatusCode.InvalidArgument, $"learning_rate must be in (0, 1], got {request.LearningRate}");
        if (!(request.MaxGradNorm >= 0) || float.IsInfinity(request.MaxGradNorm))
            throw Rpc.Error(StatusCode.InvalidArgument, $"max_grad_norm must be finite and ≥ 0 (0 disables clipping), got {request.MaxGradNorm}");
        if (!(request.GradientScale >= 0) || float.IsInfinity(request.GradientScale))
            throw Rpc.Error(StatusCode.InvalidArgument, $"gradient_scale must be finite and ≥ 0 (0 means 1), got {request.GradientScale}");
        if (Volatile.Read(ref _accumulated) == 0)
            throw Rpc.Error(StatusCode.FailedPrecondition, "no gradients accumulated since the last OptimizerStep; call Backward first");
        var scale = request.GradientScale == 0 ? 1f : request.GradientScale;
        float norm;
        try
        {
            norm = await Host.RunAsync(m =>
            {
                var g = m.OptimizerStep(request.LearningRate, request.MaxGradNorm, scale);
                Host.OnOptimizerStep();
                return g;
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // Finite per-token gradients can still overflow in the parameter gradients; the model dropped them.
            Interlocked.Exchange(ref _accumulated, 0);
            throw Rpc.Error(StatusCode.InvalidArgument, $"{e.Message}; send smaller gradients (check the loss scale) and run Backward again");
        }
        Interlocked.Exchange(ref _accumulated, 0);
        return new OptimizerStepResponse { GradNorm = norm, ModelVersion = Host.Version };
    }

    /// <summary>SaveCheckpoint.</summary>
    public async Task<SaveCheckpointResponse> SaveCheckpointAsync(SaveCheckpointRequest request, CancellationToken cancellationToken)
    {
        RequireTrainable();
        Host.Lease.Require(request.RunId);
        if (string.IsNullOrWhiteSpace(request.Path))
            throw Rpc.Error(StatusCode.InvalidArgument, "path is required: the checkpoint directory to write");
        var path = Path.GetFullPath(request.Path);
        await Host.RunAsync(m => { Checkpoints.Save(m, path, request.IncludeOptimizerState); return 0; }, cancellationToken).ConfigureAwait(false);
        return new SaveCheckpointResponse { Path = path, ModelVersion = Host.Version };
    }

    /// <summary>LoadCheckpoint: the served weights change only if the whole load succeeds.</summary>
    public Task<LoadCheckpointResponse> LoadCheckpointAsync(LoadCheckpointRequest request, CancellationToken cancellationToken) =>
        LoadCheckpointAsync(request, prepare: null, cancellationToken);

    /// <summary>
    /// LoadCheckpoint with a service's own state loaded alongside the weights: the served weights (and that state)
    /// change only if the whole load succeeds.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="prepare">
    /// Optional. Called with the full checkpoint path once the request is validated and before the model is locked;
    /// reads what the service needs from the checkpoint and may refuse the load by throwing an
    /// <see cref="RpcException"/>. It returns the commit step, which runs with exclusive access to the model right
    /// after the new weights are in place, so that no call sees the new weights with the old state or the reverse.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait for the model.</param>
    public async Task<LoadCheckpointResponse> LoadCheckpointAsync(LoadCheckpointRequest request, Func<string, Action>? prepare,
        CancellationToken cancellationToken)
    {
        if (Host.Trainable)
            Host.Lease.Require(request.RunId);
        if (string.IsNullOrWhiteSpace(request.Path))
            throw Rpc.Error(StatusCode.InvalidArgument, "path is required: a llama2.c .bin file or a checkpoint directory");
        var path = Path.GetFullPath(request.Path);
        var commit = prepare?.Invoke(path);
        var checkpointId = Checkpoints.Identify(path); // hashes the weights file: done before taking the model
        await Host.RunAsync(m =>
        {
            Checkpoints.Load(m, path, request.LoadOptimizerState);
            Host.OnLoaded(checkpointId);
            Interlocked.Exchange(ref _accumulated, 0);
            commit?.Invoke();
            return 0;
        }, cancellationToken).ConfigureAwait(false);
        return new LoadCheckpointResponse { ModelInfo = Host.Info() };
    }

    private void RequireTrainable()
    {
        if (!Host.Trainable)
            throw Rpc.Error(StatusCode.FailedPrecondition, $"{Host.ServiceName} is frozen and accepts no training RPCs");
    }
}
