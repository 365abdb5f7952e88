using Rlhf.Models;
using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.ModelServices;

/// <summary>ComputeLogProbs, shared by the policy and the reference service.</summary>
public static class LogProbs
{
    /// <summary>Validates the request, runs the forward pass, packs logprobs and entropies.</summary>
    public static async Task<ComputeLogProbsResponse> ComputeAsync(ModelOperations operations, ComputeLogProbsRequest request,
        CancellationToken cancellationToken)
    {
        var temperature = request.HasTemperature ? request.Temperature : 1f;
        if (!(temperature > 0 && temperature <= 10))
            throw Rpc.Error(StatusCode.InvalidArgument, $"temperature must be in (0, 10], got {temperature}");
        var batch = operations.Host.Decoder.Decode(request.Sequences, SequenceKind.PromptAndResponse);
        var options = new ForwardOptions
        {
            Temperature = temperature,
            ComputeLogprobs = true,
            ComputeEntropy = request.ComputeEntropy,
            KeepForBackward = request.KeepForBackward,
        };
        var (result, forwardId) = await operations.ForwardAsync(batch, options, request.RunId, cancellationToken).ConfigureAwait(false);
        var response = new ComputeLogProbsResponse
        {
            Logprobs = PackedFloatsExtensions.Pack(result.Logprobs),
            ForwardId = forwardId,
            ModelVersion = operations.Host.Version,
        };
        if (result.Entropy is { } entropy)
            response.Entropies = PackedFloatsExtensions.Pack(entropy);
        return response;
    }
}
