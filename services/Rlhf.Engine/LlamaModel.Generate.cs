using System.Numerics.Tensors;
using Rlhf.Engine.Internal;

namespace Rlhf.Engine;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// Samples a response for every prompt with a KV cache. All sequences advance in lock-step, one position per step
    /// (prompt tokens are fed as forced tokens, as llama2.c's run.c does); every step multiplies each weight matrix
    /// once by all active rows (packed micro-kernel above 4 sequences, OpenBLAS GEMV below) and runs on
    /// <see cref="EngineOptions.Threads"/> threads when it holds enough work (see the engine README). Sequence i draws
    /// from its own <see cref="Xoshiro256StarStar"/> stream (Seed, i). τ = 0 is greedy (argmax). Top-k then top-p filter
    /// the tempered distribution; the returned behaviour logprobs are under the tempered, unfiltered distribution.
    /// Memory: the KV cache takes 2 · L · B · KvDim · S floats (S = longest prompt + max_new_tokens, rounded up to 16),
    /// and the packed weights one more copy of the weight matrices (kept by the model between calls).
    /// </summary>
    /// <exception cref="ArgumentException">An empty prompt, a bad token id or a prompt longer than MaxSeqLen (naming the
    /// sequence index), or invalid options.</exception>
    public GenerationResult[] Generate(IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxNewTokens < 0)
            throw new ArgumentException($"max_new_tokens must be ≥ 0, got {options.MaxNewTokens}", nameof(options));
        if (!(options.Temperature >= 0f) || !float.IsFinite(options.Temperature))
            throw new ArgumentException($"temperature must be ≥ 0 and finite, got {options.Temperature}", nameof(options));
        if (!(options.TopP > 0f && options.TopP <= 1f))
            throw new ArgumentException($"top_p must be in (0, 1], got {options.TopP}", nameof(options));
        if (options.TopK < 0)
            throw new ArgumentException($"top_k must be ≥ 0, got {options.TopK}", nameof(options));

        var cfg = Config;
        int b = prompts.Count, vocab = cfg.VocabSize;
        int threads = Options.Threads;
        var maxNew = new int[b];
        var cacheLen = 1;
        for (var s = 0; s < b; s++)
        {
            var prompt = prompts[s];
            if (prompt is null || prompt.Length == 0)
                throw new ArgumentException($"sequence {s}: the prompt must hold at least one token (BOS)");
            if (prompt.Length > cfg.MaxSeqLen)
                throw new ArgumentException($"sequence {s}: prompt length {prompt.Length} exceeds max_seq_len {cfg.MaxSeqLen}");
            ValidateTokens(prompt, s, "prompt");
            maxNew[s] = Math.Min(options.MaxNewTokens, cfg.MaxSeqLen - prompt.Length);
            cacheLen = Math.Max(cacheLen, prompt.Length + maxNew[s]);
        }
        var stop = new bool[vocab];
        foreach (var id in options.StopTokenIds)
            if ((uint)id < (uint)vocab)
                stop[id] = true;

        var responses = new List<int>[b];
        var logprobs = new List<float>[b];
        var finish = new FinishReason[b];
        var done = new bool[b];
        for (var s = 0; s < b; s++)
        {
            responses[s] = new List<int>(maxNew[s]);
            logprobs[s] = new List<float>(maxNew[s]);
            if (maxNew[s] == 0)
            {
                done[s] = true;
                finish[s] = FinishReason.Length;
            }
        }

        // One team for the whole call when a step holds enough work to split (the Decoder says how it splits it);
        // OpenBLAS, which serves the steps of at most 4 sequences, then runs on the calling thread.
        var teamSize = b * DecodeWeightFloats(cfg) >= TeamWorkThreshold ? threads : 1;
        _gemm.SetThreads(1);
        using var team = new SpinTeam(teamSize);
        var decoder = new Decoder(this, team, b, cacheLen, options);
        if (b > PackedGemmMinRows)
            decoder.PackWeights();
        try
        {
            for (var pos = 0; pos < cacheLen; pos++)
            {
                options.CancellationToken.ThrowIfCancellationRequested();

                // 1. active rows and their tokens
                int ba = 0, mRows = 0;
                for (var s = 0; s < b; s++)
                {
                    if (done[s])
                        continue;
                    var prompt = prompts[s];
                    decoder.Slots[ba] = s;
                    decoder.Tokens[ba] = pos < prompt.Length ? prompt[pos] : responses[s][pos - prompt.Length];
                    if (pos >= prompt.Length - 1)
                        decoder.LogitRows[mRows++] = ba;
                    ba++;
                }
                if (ba == 0)
                    break;

                // 2-4. the blocks, LM head and sampling for the new position of every active row
                decoder.Step(pos, ba, mRows);

                // 5. append, finish
                for (var i = 0; i < mRows; i++)
                {
                    var s = decoder.Slots[decoder.LogitRows[i]];
                    var token = decoder.Sampled[i];
                    var logprob = decoder.SampledLogprobs[i];
                    responses[s].Add(token);
                    logprobs[s].Add(logprob);
                    if (stop[token])
                    {
                        done[s] = true;
                        finish[s] = FinishReason.Stop;
                    }
                    else if (responses[s].Count >= maxNew[s])
                    {
                        done[s] = true;
                        finish[s] = FinishReason.Length;
                    }
                    options.OnToken?.Invoke(s, token, logprob, done[s] ? finish[s] : null);
                }
            }
        }
        finally
        {
            GC.KeepAlive(decoder); // its pinned buffers are reached only through pointers
        }
        var results = new GenerationResult[b];
        for (var s = 0; s < b; s++)
            results[s] = new GenerationResult(responses[s].ToArray(), logprobs[s].ToArray(), finish[s]);
        return results;
    }

    /// <summary>Multiply-adds of one decoding step (all sequences) from which the step runs on a team of
    /// <see cref="EngineOptions.Threads"/> threads; below it, splitting costs more than it saves.</summary>
    private const long TeamWorkThreshold = 1 << 21;

    /// <summary>Batch sizes above which a call packs the weights for the micro-kernel (up to it, steps use OpenBLAS,
    /// which runs one GEMV per row there).</summary>
    private const int PackedGemmMinRows = OpenBlasGemm.SmallRows;

    /// <summary>
    /// Picks one token from logits z (V): argmax when τ = 0, else a draw from softmax(z/τ) restricted to the top-k and
    /// then the top-p nucleus. Returns the token and its log probability under the tempered, unfiltered softmax
    /// (τ = 1 when greedy). z is scaled in place; e (V) receives exp(z/τ − max); keys / idx are sort buffers.
    /// </summary>
    private static (int Token, float Logprob) SampleToken(Span<float> z, Span<float> e, GenerationOptions options,
        Xoshiro256StarStar rng, Span<float> keys, Span<int> idx)
    {
        var temperature = options.Temperature;
        if (temperature > 0f && temperature != 1f)
            TensorPrimitives.Multiply(z, 1f / temperature, z);
        var max = TensorPrimitives.Max(z);
        var sum = Kernels.ExpShifted(z, max, e);
        var lse = max + MathF.Log(sum);
        int token;
        if (temperature == 0f)
            token = TensorPrimitives.IndexOfMax(z);
        else if (keys.IsEmpty)
            token = DecodeKernels.Draw(e, sum, rng.NextFloat());
        else
        {
            // candidates sorted by probability, descending (unstable, but deterministic, on ties). With top-p alone,
            // tokens below (1 − p) / (V − 1) of the mass cannot be in the nucleus and are skipped before sorting
            // (the cut llama2.c's sample_topp makes).
            var cutoff = options.TopK == 0 ? (1f - options.TopP) / (e.Length - 1) * sum : 0f;
            var count = 0;
            for (var i = 0; i < e.Length; i++)
            {
                if (e[i] >= cutoff)
                {
                    keys[count] = -e[i];
                    idx[count++] = i;
                }
            }
            keys = keys[..count];
            idx = idx[..count];
            keys.Sort(idx);
            var n = options.TopK > 0 ? Math.Min(options.TopK, count) : count;
            var kept = 0f;
            for (var i = 0; i < n; i++)
                kept -= keys[i];
            if (options.TopP < 1f)
            {
                var cum = 0f;
                var cut = n;
                for (var i = 0; i < n; i++)
                {
                    cum -= keys[i];
                    if (cum >= options.TopP * kept)
                    {
                        cut = i + 1;
                        break;
                    }
                }
                n = cut;
                kept = cum;
            }
            var r = rng.NextFloat() * kept;
            var acc = 0f;
            token = idx[n - 1];
            for (var i = 0; i < n; i++)
            {
                acc -= keys[i];
                if (r < acc)
                {
                    token = idx[i];
                    break;
                }
            }
        }
        return (token, z[token] - lse);
    }
}
