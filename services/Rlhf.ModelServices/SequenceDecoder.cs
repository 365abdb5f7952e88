using System.Text;
using Google.Protobuf.Collections;
using Rlhf.Models;
using Rlhf.Tokenizers;
using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.ModelServices;

/// <summary>What a request's sequences must contain.</summary>
public enum SequenceKind
{
    /// <summary>Prompts only (Generate): response fields must be empty.</summary>
    PromptOnly,

    /// <summary>Prompt and response (ComputeLogProbs, ComputeValues, ScoreResponses).</summary>
    PromptAndResponse,
}

/// <summary>
/// Turns the wire's <see cref="Sequence"/> messages into validated token sequences. Every violation is an
/// <see cref="RpcException"/> naming the sequence: empty batch or empty/ambiguous sequence, text without a tokenizer
/// (FAILED_PRECONDITION), token ids outside [0, vocab_size) (INVALID_ARGUMENT), too many sequences
/// (RESOURCE_EXHAUSTED), text longer than the limit (INVALID_ARGUMENT), sequences longer than max_seq_len
/// (OUT_OF_RANGE, or truncated keeping their end when asked).
/// </summary>
/// <param name="Config">Model architecture (vocabulary size and max_seq_len).</param>
/// <param name="Tokenizer">Tokenizer for text sequences; null accepts ids only.</param>
/// <param name="MaxBatchSize">Most sequences per request.</param>
/// <param name="MaxTextBytes">Longest prompt or response text, UTF-8 bytes.</param>
public sealed record SequenceDecoder(Rlhf.Models.ModelArchitecture Config, Llama2Tokenizer? Tokenizer, int MaxBatchSize, int MaxTextBytes)
{
    /// <summary>Decodes and validates a batch.</summary>
    /// <param name="sequences">The request's sequences.</param>
    /// <param name="kind">Whether responses are expected.</param>
    /// <param name="truncateKeepEnd">Truncate over-long sequences keeping their last max_seq_len tokens (reward scoring) instead of refusing them.</param>
    public TokenSequence[] Decode(RepeatedField<Sequence> sequences, SequenceKind kind, bool truncateKeepEnd = false)
    {
        if (sequences.Count == 0)
            throw Rpc.Error(StatusCode.InvalidArgument, "the request has no sequences; send at least one");
        if (sequences.Count > MaxBatchSize)
            throw Rpc.Error(StatusCode.ResourceExhausted,
                $"the request has {sequences.Count} sequences; this service accepts at most {MaxBatchSize} per call (Model:MaxBatchSize): split the batch");
        var result = new TokenSequence[sequences.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var s = sequences[i];
            var hasIds = s.PromptIds.Count > 0 || s.ResponseIds.Count > 0;
            var hasText = s.PromptText.Length > 0 || s.ResponseText.Length > 0;
            if (hasIds && hasText)
                throw Rpc.Error(StatusCode.InvalidArgument, $"sequence {i} gives both token ids and text; give one or the other");
            if (kind == SequenceKind.PromptOnly && (s.ResponseIds.Count > 0 || s.ResponseText.Length > 0))
                throw Rpc.Error(StatusCode.InvalidArgument, $"sequence {i} has a response; Generate takes prompts only");
            var seq = hasText ? FromText(i, s.PromptText, s.ResponseText) : FromIds(i, s);
            result[i] = CheckLength(i, seq, kind, truncateKeepEnd);
        }
        return result;
    }

    private TokenSequence FromIds(int i, Sequence s)
    {
        if (s.PromptIds.Count == 0)
            throw Rpc.Error(StatusCode.InvalidArgument,
                $"sequence {i} has no prompt_ids; a sequence needs at least one prompt token (BOS = {Llama2Tokenizer.BosId})");
        return new TokenSequence(CheckIds(i, "prompt_ids", s.PromptIds), CheckIds(i, "response_ids", s.ResponseIds));
    }

    private int[] CheckIds(int i, string field, RepeatedField<int> ids)
    {
        var result = new int[ids.Count];
        for (var t = 0; t < result.Length; t++)
        {
            var id = ids[t];
            if ((uint)id >= (uint)Config.VocabSize)
                throw Rpc.Error(StatusCode.InvalidArgument,
                    $"sequence {i}: {field}[{t}] = {id} is outside the vocabulary [0, {Config.VocabSize})");
            result[t] = id;
        }
        return result;
    }

    private TokenSequence FromText(int i, string prompt, string response)
    {
        if (Tokenizer is null)
            throw Rpc.Error(StatusCode.FailedPrecondition,
                $"sequence {i} is text but this service has no tokenizer (Model:Tokenizer); send token ids");
        foreach (var (name, text) in new[] { ("prompt_text", prompt), ("response_text", response) })
        {
            if (Encoding.UTF8.GetByteCount(text) > MaxTextBytes)
                throw Rpc.Error(StatusCode.InvalidArgument,
                    $"sequence {i}: {name} is longer than {MaxTextBytes} UTF-8 bytes (Model:MaxTextBytes)");
        }
        // The prompt is encoded with BOS; the response is the tail of the joint encoding, so that a response that
        // continues the prompt tokenizes as the policy produced it. When the joint encoding merges across the
        // boundary, the response is encoded on its own.
        var promptIds = Tokenizer.Encode(prompt, bos: true);
        if (response.Length == 0)
            return new TokenSequence(promptIds, []);
        var joint = Tokenizer.Encode(prompt + response, bos: true);
        var responseIds = joint.AsSpan().StartsWith(promptIds) && prompt.Length > 0
            ? joint[promptIds.Length..]
            : Tokenizer.Encode(response, bos: false);
        return new TokenSequence(promptIds, responseIds);
    }

    private TokenSequence CheckLength(int i, TokenSequence seq, SequenceKind kind, bool truncateKeepEnd)
    {
        var max = Config.MaxSeqLen;
        var limit = kind == SequenceKind.PromptOnly ? max - 1 : max;
        if (seq.Length <= limit)
            return seq;
        if (!truncateKeepEnd)
            throw Rpc.Error(StatusCode.OutOfRange,
                $"sequence {i} has {seq.Length} tokens; this model accepts at most {limit} ({(kind == SequenceKind.PromptOnly ? "max_seq_len − 1 for a prompt" : "max_seq_len")} = {max})");
        // Keep the end: drop the oldest prompt tokens first, then response tokens.
        var drop = seq.Length - max;
        if (drop < seq.PromptIds.Length)
            return new TokenSequence(seq.PromptIds[drop..], seq.ResponseIds);
        var rest = drop - seq.PromptIds.Length;
        return new TokenSequence(seq.ResponseIds[rest..(rest + 1)], seq.ResponseIds[(rest + 1)..]);
    }
}
