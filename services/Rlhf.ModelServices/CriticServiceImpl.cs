using Rlhf.Engine;
using Rlhf.Grpc;
using Rlhf.Protos.V1;

namespace Rlhf.ModelServices;

/// <summary>rlhf.v1.CriticService: per-token values from a scalar head, trained by gradient push.</summary>
public sealed class CriticServiceImpl(ModelOperations operations) : TrainableModelService(operations)
{
    /// <summary>values[t] = scalar head at position P + t − 1 (the state before response token t); optionally kept for Backward.</summary>
    public async Task<ComputeValuesResponse> ComputeValues(ComputeValuesRequest request, ServerCallContext context)
    {
        var batch = Operations.Host.Decoder.Decode(request.Sequences, SequenceKind.PromptAndResponse);
        var options = new ForwardOptions { ComputeLogprobs = false, ComputeValues = true, KeepForBackward = request.KeepForBackward };
        var (result, forwardId) = await Operations.ForwardAsync(batch, options, request.RunId, context.CancellationToken).ConfigureAwait(false);
        return new ComputeValuesResponse
        {
            Values = PackedFloatsExtensions.Pack(result.Values!),
            ForwardId = forwardId,
            ModelVersion = Operations.Host.Version,
        };
    }
}
