using Rlhf.Engine;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Rlhf.Benchmarks;

/// <summary>
/// The anchor of the torch backend's rows in <c>scripts/bench engine</c>: the same Llama model as a minimal TorchSharp
/// program — a functional forward over plain parameters (RMSNorm, rotate-half RoPE, grouped-query attention through
/// <c>scaled_dot_product_attention</c> with <c>is_causal</c>, SwiGLU, tied head), mean cross entropy,
/// <c>loss.backward()</c> and <c>torch.optim.AdamW</c>. None of the backend's bookkeeping (response-only head, per-token
/// output gradients, kept-state handles, clipping, copies to and from .NET arrays).
/// </summary>
/// <remarks>Legend: B batch, T tokens, C channels, V vocabulary, NH heads, KV key/value heads, HS head size.</remarks>
internal sealed class TorchSharpLoop : IDisposable
{
    private readonly ModelConfig _c;
    private readonly List<Parameter> _all = [];
    private readonly Parameter _embed, _norm;
    private readonly (Parameter An, Parameter Q, Parameter K, Parameter V, Parameter O,
        Parameter Mn, Parameter G, Parameter U, Parameter D)[] _layers;
    private readonly Tensor _cos, _sin; // (T, HS)
    private readonly optim.Optimizer _optimizer;

    public TorchSharpLoop(ModelConfig c, int seqLen, int threads)
    {
        _c = c;
        torch.set_num_threads(threads);
        torch.manual_seed(1);
        var hs = c.Dim / c.NHeads;
        Parameter P(params long[] shape)
        {
            var p = new Parameter(torch.randn(shape) * 0.02f, requires_grad: true);
            _all.Add(p);
            return p;
        }
        Parameter Ones(long n)
        {
            var p = new Parameter(torch.ones(n), requires_grad: true);
            _all.Add(p);
            return p;
        }
        _embed = P(c.VocabSize, c.Dim);
        _layers = Enumerable.Range(0, c.NLayers).Select(_ => (Ones(c.Dim), P(c.Dim, c.Dim), P(c.NKvHeads * hs, c.Dim), P(c.NKvHeads * hs, c.Dim),
            P(c.Dim, c.Dim), Ones(c.Dim), P(c.HiddenDim, c.Dim), P(c.HiddenDim, c.Dim), P(c.Dim, c.HiddenDim))).ToArray();
        _norm = Ones(c.Dim);
        var inv = torch.exp(torch.arange(0, hs, 2, dtype: ScalarType.Float32) * (-MathF.Log(10000f) / hs)); // θ^(−2i/HS), (HS/2)
        var angles = torch.arange(seqLen, dtype: ScalarType.Float32).unsqueeze(1) * inv.unsqueeze(0); // (T, HS/2)
        _cos = torch.cat([angles.cos(), angles.cos()], -1);
        _sin = torch.cat([angles.sin(), angles.sin()], -1);
        _optimizer = torch.optim.AdamW(_all, lr: 1e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1);
    }

    /// <summary>One training step on (B, T) tokens: next-token cross entropy, backward, AdamW.</summary>
    public void TrainStep(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        var logits = Logits(tokens.narrow(1, 0, tokens.shape[1] - 1)); // (B, T−1, V)
        var loss = F.cross_entropy(logits.reshape(-1, _c.VocabSize), tokens.narrow(1, 1, tokens.shape[1] - 1).reshape(-1));
        loss.backward();
        _optimizer.step();
        _optimizer.zero_grad();
    }

    /// <summary>Scoring: the logprob of every next token, without autograd; returns them to .NET as the services need.</summary>
    public float[] ScoreStep(Tensor tokens)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var t = tokens.shape[1] - 1;
        var logp = Logits(tokens.narrow(1, 0, t)).log_softmax(-1); // (B, T−1, V)
        return logp.gather(2, tokens.narrow(1, 1, t).unsqueeze(2)).squeeze(2).data<float>().ToArray();
    }

    private Tensor Logits(Tensor tokens)
    {
        long b = tokens.shape[0], t = tokens.shape[1], nh = _c.NHeads, kv = _c.NKvHeads, hs = _c.Dim / _c.NHeads;
        var cos = _cos.narrow(0, 0, t);
        var sin = _sin.narrow(0, 0, t);
        var x = _embed.index_select(0, tokens.flatten()).view(b, t, _c.Dim);
        foreach (var l in _layers)
        {
            var h = RmsNorm(x, l.An);
            var q = Rope(F.linear(h, l.Q).view(b, t, nh, hs).transpose(1, 2), cos, sin);
            var k = Rope(F.linear(h, l.K).view(b, t, kv, hs).transpose(1, 2), cos, sin);
            var v = F.linear(h, l.V).view(b, t, kv, hs).transpose(1, 2);
            if (kv != nh)
            {
                k = k.repeat_interleave(nh / kv, 1);
                v = v.repeat_interleave(nh / kv, 1);
            }
            var att = F.scaled_dot_product_attention(q, k, v, is_casual: true).transpose(1, 2).reshape(b, t, _c.Dim);
            x = x + F.linear(att, l.O);
            h = RmsNorm(x, l.Mn);
            x = x + F.linear(F.silu(F.linear(h, l.G)) * F.linear(h, l.U), l.D);
        }
        return F.linear(RmsNorm(x, _norm), _embed);
    }

    private static Tensor RmsNorm(Tensor x, Tensor w) => x * torch.rsqrt(x.pow(2).mean([-1L], keepdim: true) + 1e-5f) * w;

    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        return x * cos + torch.cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1) * sin;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        foreach (var p in _all)
            p.Dispose();
    }
}
