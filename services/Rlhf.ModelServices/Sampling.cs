using Rlhf.Models;
using Rlhf.Tokenizers;
using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;
using GenerationOptions = Rlhf.Models.GenerationOptions;
using ModelArchitecture = Rlhf.Models.ModelArchitecture;

namespace Rlhf.ModelServices;

/// <summary>Validation of <see cref="SamplingParams"/> and conversion of engine generations to the wire.</summary>
public static class Sampling
{
    /// <summary>Most samples per prompt.</summary>
    public const int MaxSamplesPerPrompt = 64;

    /// <summary>Checks the parameters and converts them to engine options.</summary>
    /// <exception cref="RpcException">INVALID_ARGUMENT naming the field and its range.</exception>
    public static GenerationOptions ToOptions(SamplingParams? p, ModelArchitecture config)
    {
        p ??= new SamplingParams();
        var temperature = p.HasTemperature ? p.Temperature : 1f;
        var topP = p.HasTopP ? p.TopP : 1f;
        if (!(temperature >= 0 && temperature <= 10))
            throw Rpc.Error(StatusCode.InvalidArgument, $"sampling.temperature must be in [0, 10] (0 = greedy), got {temperature}");
        if (!(topP > 0 && topP <= 1))
            throw Rpc.Error(StatusCode.InvalidArgument, $"sampling.top_p must be in (0, 1], got {topP}");
        if (p.TopK < 0 || p.TopK > config.VocabSize)
            throw Rpc.Error(StatusCode.InvalidArgument, $"sampling.top_k must be in [0, {config.VocabSize}] (0 disables), got {p.TopK}");
        if (p.MaxNewTokens < 1 || p.MaxNewTokens >= config.MaxSeqLen)
            throw Rpc.Error(StatusCode.InvalidArgument, $"sampling.max_new_tokens must be in [1, {config.MaxSeqLen - 1}], got {p.MaxNewTokens}");
        if (p.NumSamplesPerPrompt < 0 || p.NumSamplesPerPrompt > MaxSamplesPerPrompt)
            throw Rpc.Error(StatusCode.InvalidArgument, $"sampling.num_samples_per_prompt must be in [0, {MaxSamplesPerPrompt}] (0 means 1), got {p.NumSamplesPerPrompt}");
        foreach (var id in p.StopTokenIds)
        {
            if ((uint)id >= (uint)config.VocabSize)
                throw Rpc.Error(StatusCode.InvalidArgument, $"sampling.stop_token_ids contains {id}, outside the vocabulary [0, {config.VocabSize})");
        }
        return new GenerationOptions
        {
            MaxNewTokens = p.MaxNewTokens,
            Temperature = temperature,
            TopP = topP,
            TopK = p.TopK,
            StopTokenIds = p.StopTokenIds.Count > 0 ? p.StopTokenIds.ToArray() : [Llama2Tokenizer.EosId],
            Seed = p.Seed,
        };
    }

    /// <summary>Samples per prompt (0 means 1).</summary>
    public static int SamplesPerPrompt(SamplingParams? p) => p is null || p.NumSamplesPerPrompt == 0 ? 1 : p.NumSamplesPerPrompt;

    /// <summary>The wire form of a finish reason.</summary>
    public static Contracts.V1.FinishReason ToWire(Models.FinishReason reason) => reason switch
    {
        Models.FinishReason.Stop => Contracts.V1.FinishReason.Stop,
        Models.FinishReason.Length => Contracts.V1.FinishReason.Length,
        _ => Contracts.V1.FinishReason.Unspecified,
    };

    /// <summary>The text of <paramref name="response"/> as it continues <paramref name="prompt"/>, BOS/EOS left out ("" without a tokenizer).</summary>
    public static string DecodeContinuation(Llama2Tokenizer? tokenizer, int[] prompt, ReadOnlySpan<int> response)
    {
        if (tokenizer is null || response.IsEmpty)
            return "";
        var decoder = new StreamingTextDecoder(tokenizer, prompt.Length > 0 ? prompt[^1] : Llama2Tokenizer.BosId);
        var text = new System.Text.StringBuilder();
        foreach (var id in response)
            text.Append(decoder.Push(id));
        return text.Append(decoder.Flush()).ToString();
    }
}
