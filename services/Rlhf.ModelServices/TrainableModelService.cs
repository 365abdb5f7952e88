using Rlhf.Protos.V1;

namespace Rlhf.ModelServices;

/// <summary>The RPCs the trainable services (policy, critic) share: Backward, optimizer, checkpoints, model info, training lease.</summary>
public abstract class TrainableModelService(ModelOperations operations)
{
    /// <summary>The shared RPC logic over the served model.</summary>
    protected ModelOperations Operations { get; } = operations;

    /// <summary>
    /// Back-propagates per-token gradients through a kept forward pass: ∂loss/∂logprobs and ∂loss/∂entropy for the
    /// policy, ∂loss/∂values for the critic. A gradient for an output the forward pass did not compute is INVALID_ARGUMENT.
    /// </summary>
    public Task<BackwardResponse> Backward(BackwardRequest request, ServerCallContext context) =>
        Operations.BackwardAsync(request, context.CancellationToken);

    /// <summary>Clip, AdamW, zero gradients, bump the version.</summary>
    public Task<OptimizerStepResponse> OptimizerStep(OptimizerStepRequest request, ServerCallContext context) =>
        Operations.OptimizerStepAsync(request, context.CancellationToken);

    /// <summary>Saves the weights (and optimizer/RNG state).</summary>
    public Task<SaveCheckpointResponse> SaveCheckpoint(SaveCheckpointRequest request, ServerCallContext context) =>
        Operations.SaveCheckpointAsync(request, context.CancellationToken);

    /// <summary>Loads weights.</summary>
    public Task<LoadCheckpointResponse> LoadCheckpoint(LoadCheckpointRequest request, ServerCallContext context) =>
        Operations.LoadCheckpointAsync(request, context.CancellationToken);

    /// <summary>Architecture, tokenizer fingerprint, version.</summary>
    public Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context) =>
        Task.FromResult(Operations.GetModelInfo());

    /// <summary>Takes the training lease.</summary>
    public Task<AcquireTrainingLeaseResponse> AcquireTrainingLease(AcquireTrainingLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(Operations.AcquireTrainingLease(request));

    /// <summary>Gives the training lease back.</summary>
    public Task<ReleaseTrainingLeaseResponse> ReleaseTrainingLease(ReleaseTrainingLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(Operations.ReleaseTrainingLease(request));
}
