using System.Threading.Channels;
using Rlhf.Models;
using Rlhf.Tokenizers;
using Grpc.Core;
using Rlhf.Contracts;
using Microsoft.AspNetCore.Authorization;
using Rlhf.Contracts.V1;
using ModelInfo = Rlhf.Contracts.V1.ModelInfo;
using Rlhf.ServiceDefaults.Authentication;

namespace Rlhf.ModelServices;

/// <summary>rlhf.v1.PolicyService: the actor. Samples responses, computes differentiable logprobs, and is trained by gradient push.</summary>
public sealed class PolicyServiceImpl(ModelOperations operations) : PolicyService.PolicyServiceBase
{
    private ModelOperations Operations { get; } = operations;

    /// <summary>Samples responses for a batch of prompts (prompt-major: generation i·n + j is sample j of prompt i).</summary>
    [Authorize(Scopes.Train)]
    public override async Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context)
    {
        var (expanded, options, n) = Prepare(request);
        options = options with { CancellationToken = context.CancellationToken };
        var results = await Operations.Host.RunAsync(m => m.Generate(expanded, options), context.CancellationToken).ConfigureAwait(false);
        var response = new GenerateResponse { ModelVersion = Operations.Host.Version };
        for (var g = 0; g < results.Count; g++)
            response.Generations.Add(ToWire(g / n, expanded[g], results[g]));
        return response;
    }

    /// <summary>
    /// Like Generate, streamed as tokens are sampled: one chunk per sampled token of a generation (its id, behaviour
    /// logprob and the text completed so far by it), the last chunk of each generation carrying its finish reason.
    /// </summary>
    [Authorize(Scopes.Train)]
    public override async Task StreamGenerate(GenerateRequest request, IServerStreamWriter<GenerateChunk> responseStream, ServerCallContext context)
    {
        var (expanded, options, _) = Prepare(request);
        var tokenizer = Operations.Host.Tokenizer;
        var decoders = tokenizer is null ? null : expanded.Select(p => new StreamingTextDecoder(tokenizer, p[^1])).ToArray();
        var chunks = Channel.CreateUnbounded<GenerateChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        options = options with
        {
            CancellationToken = context.CancellationToken,
            OnToken = (g, token, logprob, finish) =>
            {
                var chunk = new GenerateChunk
                {
                    GenerationIndex = g,
                    TokenIds = { token },
                    Logprobs = { logprob },
                    FinishReason = finish is { } f ? Sampling.ToWire(f) : Rlhf.Contracts.V1.FinishReason.Unspecified,
                    Text = decoders is null ? "" : decoders[g].Push(token),
                };
                if (finish is not null && decoders is not null)
                    chunk.Text += decoders[g].Flush();
                chunks.Writer.TryWrite(chunk);
            },
        };
        var generation = Operations.Host.RunAsync(m => m.Generate(expanded, options), context.CancellationToken);
        _ = generation.ContinueWith(t => chunks.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var chunk in chunks.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            await responseStream.WriteAsync(chunk, context.CancellationToken).ConfigureAwait(false);
        await generation.ConfigureAwait(false);
    }

    /// <summary>Per-response-token logprobs (and entropies) at the temperature; optionally kept for Backward.</summary>
    [Authorize(Scopes.Train)]
    public override Task<ComputeLogProbsResponse> ComputeLogProbs(ComputeLogProbsRequest request, ServerCallContext context) =>
        LogProbs.ComputeAsync(Operations, request, context.CancellationToken);

    /// <summary>Back-propagates ∂loss/∂logprobs and ∂loss/∂entropy through a kept forward pass.</summary>
    [Authorize(Scopes.Train)]
    public override Task<BackwardResponse> Backward(BackwardRequest request, ServerCallContext context) =>
        Operations.BackwardAsync(request, context.CancellationToken);

    /// <summary>Clip, AdamW, zero gradients, bump the version.</summary>
    [Authorize(Scopes.Train)]
    public override Task<OptimizerStepResponse> OptimizerStep(OptimizerStepRequest request, ServerCallContext context) =>
        Operations.OptimizerStepAsync(request, context.CancellationToken);

    /// <summary>Saves the weights (and optimizer/RNG state).</summary>
    [Authorize(Scopes.Train)]
    public override Task<SaveCheckpointResponse> SaveCheckpoint(SaveCheckpointRequest request, ServerCallContext context) =>
        Operations.SaveCheckpointAsync(request, context.CancellationToken);

    /// <summary>Loads weights.</summary>
    [Authorize(Scopes.Train)]
    public override Task<LoadCheckpointResponse> LoadCheckpoint(LoadCheckpointRequest request, ServerCallContext context) =>
        Operations.LoadCheckpointAsync(request, context.CancellationToken);

    /// <summary>Architecture, tokenizer fingerprint, version; any valid key may ask.</summary>
    [Authorize(Scopes.AnyKey)]
    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context) =>
        Task.FromResult(Operations.GetModelInfo());

    /// <summary>Takes the training lease.</summary>
    [Authorize(Scopes.Train)]
    public override Task<AcquireTrainingLeaseResponse> AcquireTrainingLease(AcquireTrainingLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(Operations.AcquireTrainingLease(request));

    /// <summary>Gives the training lease back.</summary>
    [Authorize(Scopes.Train)]
    public override Task<ReleaseTrainingLeaseResponse> ReleaseTrainingLease(ReleaseTrainingLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(Operations.ReleaseTrainingLease(request));

    /// <summary>Validates the request and repeats each prompt once per sample (prompt-major).</summary>
    private (int[][] Expanded, GenerationOptions Options, int SamplesPerPrompt) Prepare(GenerateRequest request)
    {
        var host = Operations.Host;
        var prompts = host.Decoder.Decode(request.Prompts, SequenceKind.PromptOnly);
        var options = Sampling.ToOptions(request.Sampling, host.Config);
        var n = Sampling.SamplesPerPrompt(request.Sampling);
        if (prompts.Length * n > host.Options.MaxBatchSize)
            throw Rpc.Error(StatusCode.ResourceExhausted,
                $"{prompts.Length} prompts × {n} samples = {prompts.Length * n} generations; at most {host.Options.MaxBatchSize} per call (Model:MaxBatchSize)");
        var expanded = new int[prompts.Length * n][];
        for (var i = 0; i < prompts.Length; i++)
        {
            for (var j = 0; j < n; j++)
                expanded[i * n + j] = prompts[i].PromptIds;
        }
        return (expanded, options, n);
    }

    private Generation ToWire(int promptIndex, int[] prompt, GenerationResult r)
    {
        var g = new Generation
        {
            PromptIndex = promptIndex,
            FinishReason = Sampling.ToWire(r.FinishReason),
            ResponseText = Sampling.DecodeContinuation(Operations.Host.Tokenizer, prompt, r.ResponseIds),
        };
        g.PromptIds.Add(prompt);
        g.ResponseIds.Add(r.ResponseIds);
        g.Logprobs.Add(r.Logprobs);
        return g;
    }
}
