using TorchSharp;
using static TorchSharp.torch;

namespace Rlhf.Models.Torch;

public sealed partial class TorchSequenceModel
{
    /// <inheritdoc />
    /// <remarks>
    /// Batched KV-cache decoding. Prompts are left-padded to the longest (rotary positions start at 0 at each prompt's
    /// first token; pad keys are masked out), prefilled in one pass, then decoded one token per step for the whole
    /// batch until every sequence has stopped. Sampling per sequence: logits / τ, top-k, then top-p, then a draw from
    /// the sequence's own generator seeded from (Seed, index); τ = 0 takes the argmax (lowest id on ties).
    /// </remarks>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        var config = _decoder.Config;
        int b = prompts.Count;
        if (b == 0)
            return [];
        if (options.Temperature < 0 || float.IsNaN(options.Temperature))
            throw new ArgumentException($"temperature must be ≥ 0, got {options.Temperature}", nameof(options));
        if (!(options.TopP > 0 && options.TopP <= 1))
            throw new ArgumentException($"top_p must be in (0, 1], got {options.TopP}", nameof(options));
        if (options.TopK < 0)
            throw new ArgumentException($"top_k must be ≥ 0, got {options.TopK}", nameof(options));
        var maxNew = new int[b];
        var pMax = 0;
        for (var i = 0; i < b; i++)
        {
            var p = prompts[i];
            if (p is null || p.Length == 0)
                throw new ArgumentException($"prompt {i} is empty (it needs at least BOS)", nameof(prompts));
            if (p.Length >= config.MaxSeqLen)
                throw new ArgumentException($"prompt {i} has {p.Length} tokens; max_seq_len {config.MaxSeqLen} leaves no room for a response", nameof(prompts));
            foreach (var id in p)
            {
                if ((uint)id >= (uint)config.VocabSize)
                    throw new ArgumentException($"prompt {i}: token {id} is outside the vocabulary [0, {config.VocabSize})", nameof(prompts));
            }
            maxNew[i] = Math.Min(Math.Max(options.MaxNewTokens, 0), config.MaxSeqLen - p.Length);
            pMax = Math.Max(pMax, p.Length);
        }
        var steps = maxNew.Max();
        var responses = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var logprobs = Enumerable.Range(0, b).Select(_ => new List<float>()).ToArray();
        var finish = new FinishReason?[b];
        for (var i = 0; i < b; i++)
            if (maxNew[i] == 0)
                finish[i] = FinishReason.Length;
        if (steps == 0)
            return Results();

        var stop = new HashSet<int>(options.StopTokenIds);
        var pad = prompts.Select(p => pMax - p.Length).ToArray();
        var tMax = pMax + steps;
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var generators = Enumerable.Range(0, b).Select(i => new Generator(SplitMix64(options.Seed + 0x9E3779B97F4A7C15UL * (ulong)(i + 1)), _device)).ToArray();
        var cache = new (Tensor K, Tensor V)[config.NLayers];
        for (var l = 0; l < config.NLayers; l++)
        {
            cache[l] = (torch.zeros([b, config.NKvHeads, tMax, config.HeadSize], _dtype, _device),
                torch.zeros([b, config.NKvHeads, tMax, config.HeadSize], _dtype, _device));
        }
        var padTensor = torch.tensor(pad.Select(x => (long)x).ToArray(), device: _device); // (B)

        // 1. prefill: left-padded prompts (B, Pmax); a pad query attends to itself only, so that nothing is NaN
        var tokens = new long[b * pMax];
        var positions = new long[b * pMax];
        for (var i = 0; i < b; i++)
        {
            for (var j = 0; j < pMax; j++)
            {
                tokens[i * pMax + j] = j < pad[i] ? 0 : prompts[i][j - pad[i]];
                positions[i * pMax + j] = Math.Max(0, j - pad[i]);
            }
        }
        var keyIndex = torch.arange(pMax, device: _device);
        var notPad = keyIndex.unsqueeze(0) >= padTensor.unsqueeze(1); // (B, Pmax)
        var causal = keyIndex.unsqueeze(1) >= keyIndex.unsqueeze(0);  // (Pmax query, Pmax key)
        var mask = (notPad.unsqueeze(1) & causal.unsqueeze(0)) | torch.eye(pMax, dtype: ScalarType.Bool, device: _device).unsqueeze(0);
        var hidden = _decoder.Decode(torch.tensor(tokens, [b, pMax], device: _device), torch.tensor(positions, [b, pMax], device: _device),
            mask.unsqueeze(1), cache, 0); // (B, C)

        for (var step = 0; ; step++)
        {
            options.CancellationToken.ThrowIfCancellationRequested();
            // 2. sample every sequence's next token from the last hidden state
            using var stepScope = torch.NewDisposeScope();
            var logits = _decoder.Logits(hidden); // (B, V) fp32
            var (next, behaviour) = Sample(logits, options, generators);
            var input = new long[b];
            var active = false;
            for (var i = 0; i < b; i++)
            {
                input[i] = next[i];
                if (finish[i] is not null)
                    continue;
                responses[i].Add(next[i]);
                logprobs[i].Add(behaviour[i]);
                if (stop.Contains(next[i]))
                    finish[i] = FinishReason.Stop;
                else if (responses[i].Count >= maxNew[i])
                    finish[i] = FinishReason.Length;
                options.OnToken?.Invoke(i, next[i], behaviour[i], finish[i]);
                active |= finish[i] is null;
            }
            if (!active)
                break;
            // 3. run the sampled tokens through the decoder at slot Pmax + step
            var slot = pMax + step;
            var pos = new long[b];
            for (var i = 0; i < b; i++)
                pos[i] = Math.Min(prompts[i].Length + step, config.MaxSeqLen - 1);
            var keys = torch.arange(slot + 1, device: _device);
            var stepMask = (keys.unsqueeze(0) >= padTensor.unsqueeze(1)).view(b, 1, 1, slot + 1);
            var h = _decoder.Decode(torch.tensor(input, [b, 1], device: _device), torch.tensor(pos, [b, 1], device: _device), stepMask, cache, slot);
            hidden = h.MoveToOuterDisposeScope();
        }
        foreach (var g in generators)
            g.Dispose();
        return Results();

        IReadOnlyList<GenerationResult> Results() =>
            Enumerable.Range(0, b).Select(i => new GenerationResult(responses[i].ToArray(), logprobs[i].ToArray(), finish[i] ?? FinishReason.Length)).ToList();
    }

    /// <summary>
    /// One token per row of <paramref name="logits"/> (B, V) and its behaviour logprob under the tempered, unfiltered
    /// distribution (at τ = 1 when greedy).
    /// </summary>
    private static (int[] Tokens, float[] Logprobs) Sample(Tensor logits, GenerationOptions options, Generator[] generators)
    {
        var b = (int)logits.shape[0];
        var tau = options.Temperature;
        var logp = (tau > 0 ? logits / tau : logits).log_softmax(-1); // (B, V)
        Tensor chosen;
        if (tau == 0)
            chosen = logits.argmax(-1); // first maximum: lowest id on ties
        else
        {
            var filtered = logp;
            if (options.TopK > 0 && options.TopK < logits.shape[1])
            {
                var kth = filtered.topk(options.TopK, dim: -1).values.narrow(-1, options.TopK - 1, 1); // (B, 1)
                filtered = filtered.masked_fill(filtered < kth, double.NegativeInfinity);
            }
            if (options.TopP < 1)
            {
                var (sorted, order) = filtered.sort(-1, descending: true);
                var probs = sorted.softmax(-1);
                var before = probs.cumsum(-1) - probs;             // mass strictly before each token
                var drop = before >= options.TopP;                 // outside the smallest set with mass ≥ top_p
                var dropUnsorted = torch.zeros_like(drop).scatter(-1, order, drop);
                filtered = filtered.masked_fill(dropUnsorted, double.NegativeInfinity);
            }
            // the draw of torch.multinomial(p, 1): argmax(p / q) with q ~ Exp(1) (the exponential-race form of
            // sampling ∝ p), q drawn row by row from each sequence's generator, then one batched argmax
            var p = filtered.softmax(-1);
            var q = torch.empty_like(p);
            for (var i = 0; i < b; i++)
            {
                using var row = q[i];
                row.exponential_(1.0, generators[i]);
            }
            chosen = (p / q).argmax(-1);
        }
        var chosenLogp = logp.gather(1, chosen.unsqueeze(1)).squeeze(1);
        var tokens = chosen.cpu().data<long>().ToArray().Select(x => (int)x).ToArray();
        return (tokens, ToArray(chosenLogp));
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
