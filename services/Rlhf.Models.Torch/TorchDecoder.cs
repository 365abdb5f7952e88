using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Rlhf.Models.Torch;

/// <summary>
/// A Llama / Qwen2 decoder as TorchSharp tensor operations over named parameters (HF names, HF rotate-half q/k
/// layout), the same architecture as the native engine: token embedding, L blocks of RMSNorm → grouped-query causal
/// attention with rotary embeddings (optionally q/k/v biases) → RMSNorm → SwiGLU MLP, final RMSNorm, LM head (tied or
/// not) and the scalar head <c>s = score.weight · h + score.bias</c>.
/// </summary>
/// <remarks>Legend: B batch, T tokens, C channels, V vocabulary, L layers, NH heads, KV key/value heads, HS head size.</remarks>
internal sealed class TorchDecoder : IDisposable
{
    private readonly Parameter[] _wq, _wk, _wv, _wo, _bq, _bk, _bv, _attnNorm, _mlpNorm, _gate, _up, _down;
    private readonly Parameter _embed, _finalNorm, _lmHead, _scoreW, _scoreB;
    private readonly Tensor _cos; // (MaxSeqLen, HS) fp32, cat(cos, cos) of the rotate-half layout
    private readonly Tensor _sin; // (MaxSeqLen, HS)

    public TorchDecoder(ModelArchitecture config, IReadOnlyList<(string Name, Parameter Parameter)> parameters, Device device)
    {
        Config = config;
        Device = device;
        Parameters = parameters;
        var byName = parameters.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        Parameter Get(string name) => byName.TryGetValue(name, out var p) ? p : throw new InvalidOperationException($"parameter {name} is missing");
        int l = config.NLayers;
        _wq = new Parameter[l]; _wk = new Parameter[l]; _wv = new Parameter[l]; _wo = new Parameter[l];
        _bq = new Parameter[l]; _bk = new Parameter[l]; _bv = new Parameter[l];
        _attnNorm = new Parameter[l]; _mlpNorm = new Parameter[l]; _gate = new Parameter[l]; _up = new Parameter[l]; _down = new Parameter[l];
        for (var i = 0; i < l; i++)
        {
            var p = $"model.layers.{i}.";
            _attnNorm[i] = Get(p + "input_layernorm.weight");
            _wq[i] = Get(p + "self_attn.q_proj.weight");
            _wk[i] = Get(p + "self_attn.k_proj.weight");
            _wv[i] = Get(p + "self_attn.v_proj.weight");
            _wo[i] = Get(p + "self_attn.o_proj.weight");
            if (config.AttentionBias)
            {
                _bq[i] = Get(p + "self_attn.q_proj.bias");
                _bk[i] = Get(p + "self_attn.k_proj.bias");
                _bv[i] = Get(p + "self_attn.v_proj.bias");
            }
            _mlpNorm[i] = Get(p + "post_attention_layernorm.weight");
            _gate[i] = Get(p + "mlp.gate_proj.weight");
            _up[i] = Get(p + "mlp.up_proj.weight");
            _down[i] = Get(p + "mlp.down_proj.weight");
        }
        _embed = Get("model.embed_tokens.weight");
        _finalNorm = Get("model.norm.weight");
        _lmHead = config.TiedEmbeddings ? _embed : Get("lm_head.weight");
        _scoreW = Get("score.weight");
        _scoreB = Get("score.bias");
        var (cos, sin) = Rope.Tables(config);
        _cos = torch.tensor(cos, [config.MaxSeqLen, config.HeadSize]).to(device);
        _sin = torch.tensor(sin, [config.MaxSeqLen, config.HeadSize]).to(device);
    }

    public ModelArchitecture Config { get; }

    public Device Device { get; }

    /// <summary>The parameters in checkpoint order (HF names).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    /// <summary>
    /// Final-norm hidden states of right-padded sequences (positions 0…T−1 for every row; causal attention, so padding
    /// at the end never reaches earlier positions).
    /// </summary>
    /// <param name="tokens">(B, T) int64.</param>
    /// <returns>(B, T, C) in the parameter dtype.</returns>
    public Tensor Hidden(Tensor tokens)
    {
        var t = tokens.shape[1];
        var cos = _cos.narrow(0, 0, t).to(_embed.dtype); // (T, HS)
        var sin = _sin.narrow(0, 0, t).to(_embed.dtype);
        var x = _embed.index_select(0, tokens.flatten()).view(tokens.shape[0], t, Config.Dim); // (B, T, C)
        for (var l = 0; l < Config.NLayers; l++)
            x = Block(x, l, cos, sin, mask: null, cache: null, cacheStart: 0);
        return RmsNorm(x, _finalNorm);
    }

    /// <summary>
    /// One step of KV-cache decoding over left-padded rows: runs <paramref name="tokens"/> (B, T) at absolute cache
    /// slots [start, start + T), writing their keys and values into the cache.
    /// </summary>
    /// <param name="tokens">(B, T) int64.</param>
    /// <param name="positions">(B, T) int64 rotary positions.</param>
    /// <param name="mask">(B, 1, T, start + T) bool, true where attention is allowed.</param>
    /// <param name="cache">Per layer (K, V), each (B, KV, Tmax, HS).</param>
    /// <param name="start">First cache slot written.</param>
    /// <returns>(B, C) final-norm hidden state of the last of the T tokens.</returns>
    public Tensor Decode(Tensor tokens, Tensor positions, Tensor mask, (Tensor K, Tensor V)[] cache, int start)
    {
        long b = tokens.shape[0], t = tokens.shape[1];
        var flat = positions.flatten();
        var cos = _cos.index_select(0, flat).view(b, 1, t, Config.HeadSize).to(_embed.dtype); // (B, 1, T, HS)
        var sin = _sin.index_select(0, flat).view(b, 1, t, Config.HeadSize).to(_embed.dtype);
        var x = _embed.index_select(0, tokens.flatten()).view(b, t, Config.Dim);
        for (var l = 0; l < Config.NLayers; l++)
            x = Block(x, l, cos, sin, mask, cache[l], start);
        return RmsNorm(x.select(1, t - 1), _finalNorm);
    }

    /// <summary>LM-head logits of hidden rows, fp32: (N, C) → (N, V).</summary>
    public Tensor Logits(Tensor hidden) => F.linear(hidden, _lmHead).to(ScalarType.Float32);

    /// <summary>Scalar head of hidden rows, fp32: (N, C) → (N).</summary>
    public Tensor Score(Tensor hidden) => F.linear(hidden, _scoreW, _scoreB).to(ScalarType.Float32).squeeze(-1);

    private Tensor Block(Tensor x, int l, Tensor cos, Tensor sin, Tensor? mask, (Tensor K, Tensor V)? cache, int cacheStart)
    {
        long b = x.shape[0], t = x.shape[1];
        int nh = Config.NHeads, kvh = Config.NKvHeads, hs = Config.HeadSize;
        // 1. attention: RMSNorm → q, k, v (B, heads, T, HS) → RoPE → causal grouped-query attention → o_proj
        var h = RmsNorm(x, _attnNorm[l]);
        var q = F.linear(h, _wq[l], Config.AttentionBias ? _bq[l] : null).view(b, t, nh, hs).transpose(1, 2);
        var k = F.linear(h, _wk[l], Config.AttentionBias ? _bk[l] : null).view(b, t, kvh, hs).transpose(1, 2);
        var v = F.linear(h, _wv[l], Config.AttentionBias ? _bv[l] : null).view(b, t, kvh, hs).transpose(1, 2);
        q = ApplyRope(q, cos, sin);
        k = ApplyRope(k, cos, sin);
        Tensor attn;
        if (cache is { } c)
        {
            c.K.narrow(2, cacheStart, t).copy_(k);
            c.V.narrow(2, cacheStart, t).copy_(v);
            var keys = c.K.narrow(2, 0, cacheStart + t);
            var values = c.V.narrow(2, 0, cacheStart + t);
            if (nh == kvh)
                attn = F.scaled_dot_product_attention(q, keys, values, attn_mask: mask);
            else if (t == 1)
            {
                // one new token: the G = NH / KV query heads of a group attend to the same keys under the same mask,
                // so they go in as G "positions" of one kv head: (B, KV, G, HS), no copy of the cache
                var grouped = q.reshape(b, kvh, nh / kvh, hs);
                attn = F.scaled_dot_product_attention(grouped, keys, values, attn_mask: mask).reshape(b, nh, 1, hs);
            }
            else
            {
                keys = keys.repeat_interleave(nh / kvh, dim: 1);
                values = values.repeat_interleave(nh / kvh, dim: 1);
                attn = F.scaled_dot_product_attention(q, keys, values, attn_mask: mask);
            }
        }
        else
        {
            if (nh != kvh)
            {
                k = k.repeat_interleave(nh / kvh, dim: 1);
                v = v.repeat_interleave(nh / kvh, dim: 1);
            }
            attn = F.scaled_dot_product_attention(q, k, v, is_casual: true);
        }
        x = x + F.linear(attn.transpose(1, 2).reshape(b, t, Config.Dim), _wo[l]);
        // 2. MLP: RMSNorm → down(silu(gate(h)) · up(h))
        h = RmsNorm(x, _mlpNorm[l]);
        return x + F.linear(F.silu(F.linear(h, _gate[l])) * F.linear(h, _up[l]), _down[l]);
    }

    /// <summary>x · rsqrt(mean(x²) + ε) · w, computed in fp32 and cast back (as transformers' LlamaRMSNorm).</summary>
    private Tensor RmsNorm(Tensor x, Tensor weight)
    {
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * torch.rsqrt(x32.pow(2).mean([-1L], keepdim: true) + Config.NormEps);
        return weight * normed.to(x.dtype);
    }

    /// <summary>Rotate-half RoPE: x · cos + rotate_half(x) · sin, rotate_half(x) = cat(−x₂, x₁).</summary>
    private static Tensor ApplyRope(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        return x * cos + torch.cat([-x2, x1], -1) * sin;
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
        foreach (var (_, p) in Parameters)
            p.Dispose();
    }
}
