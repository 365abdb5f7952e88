using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Rlhf.Contracts.V1;
using Rlhf.ServiceDefaults.Authentication;

namespace Rlhf.ModelServices;

/// <summary>
/// rlhf.v1.ReferenceService: the frozen initial policy; ref_logprobs for the KL penalty. ComputeLogProbs needs the
/// <c>train</c> scope, GetModelInfo any valid key.
/// </summary>
public sealed class ReferenceServiceImpl(ModelOperations operations) : ReferenceService.ReferenceServiceBase
{
    /// <summary>ref_logprobs per response token at the temperature; keep_for_backward is FAILED_PRECONDITION.</summary>
    [Authorize(Scopes.Train)]
    public override Task<ComputeLogProbsResponse> ComputeLogProbs(ComputeLogProbsRequest request, ServerCallContext context) =>
        LogProbs.ComputeAsync(operations, request, context.CancellationToken);

    /// <summary>Architecture, tokenizer fingerprint, version.</summary>
    [Authorize(Scopes.AnyKey)]
    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context) =>
        Task.FromResult(operations.GetModelInfo());
}
