using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Rlhf.Contracts.V1;
using ModelInfo = Rlhf.Contracts.V1.ModelInfo;
using Rlhf.Models;
using Rlhf.ServiceDefaults.Authentication;

namespace Rlhf.ModelServices;

/// <summary>
/// rlhf.v1.CriticService: per-token values from a scalar head, trained by gradient push. Every RPC needs the
/// <c>train</c> scope except GetModelInfo (any valid key).
/// </summary>
public sealed class CriticServiceImpl(ModelOperations operations) : CriticService.CriticServiceBase
{
    /// <summary>values[t] = scalar head at position P + t − 1 (the state before response token t); optionally kept for Backward.</summary>
    [Authorize(Scopes.Train)]
    public override async Task<ComputeValuesResponse> ComputeValues(ComputeValuesRequest request, ServerCallContext context)
    {
        var batch = operations.Host.Decoder.Decode(request.Sequences, SequenceKind.PromptAndResponse);
        var options = new ForwardOptions { ComputeLogprobs = false, ComputeValues = true, KeepForBackward = request.KeepForBackward };
        var (result, forwardId) = await operations.ForwardAsync(batch, options, request.RunId, context.CancellationToken).ConfigureAwait(false);
        return new ComputeValuesResponse
        {
            Values = PackedFloatsExtensions.Pack(result.Values!),
            ForwardId = forwardId,
            ModelVersion = operations.Host.Version,
        };
    }

    /// <summary>Back-propagates ∂loss/∂values through a kept forward pass.</summary>
    [Authorize(Scopes.Train)]
    public override Task<BackwardResponse> Backward(BackwardRequest request, ServerCallContext context) =>
        operations.BackwardAsync(request, context.CancellationToken);

    /// <summary>Clip, AdamW, zero gradients, bump the version.</summary>
    [Authorize(Scopes.Train)]
    public override Task<OptimizerStepResponse> OptimizerStep(OptimizerStepRequest request, ServerCallContext context) =>
        operations.OptimizerStepAsync(request, context.CancellationToken);

    /// <summary>Saves the weights (and optimizer/RNG state).</summary>
    [Authorize(Scopes.Train)]
    public override Task<SaveCheckpointResponse> SaveCheckpoint(SaveCheckpointRequest request, ServerCallContext context) =>
        operations.SaveCheckpointAsync(request, context.CancellationToken);

    /// <summary>Loads weights.</summary>
    [Authorize(Scopes.Train)]
    public override Task<LoadCheckpointResponse> LoadCheckpoint(LoadCheckpointRequest request, ServerCallContext context) =>
        operations.LoadCheckpointAsync(request, context.CancellationToken);

    /// <summary>Architecture, tokenizer fingerprint, version; any valid key may ask.</summary>
    [Authorize(Scopes.AnyKey)]
    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context) =>
        Task.FromResult(operations.GetModelInfo());

    /// <summary>Takes the training lease.</summary>
    [Authorize(Scopes.Train)]
    public override Task<AcquireTrainingLeaseResponse> AcquireTrainingLease(AcquireTrainingLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(operations.AcquireTrainingLease(request));

    /// <summary>Gives the training lease back.</summary>
    [Authorize(Scopes.Train)]
    public override Task<ReleaseTrainingLeaseResponse> ReleaseTrainingLease(ReleaseTrainingLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(operations.ReleaseTrainingLease(request));
}
