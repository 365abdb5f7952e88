using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// P3O, Pairwise Proximal Policy Optimization (Wu, Zhu, Zhang, Wen, Ramchandran, Jiao 2023, "Pairwise Proximal Policy
/// Optimization: Harnessing Relative Feedback for LLM Alignment", arXiv:2310.00212). Two responses y_1, y_2 to the same
/// prompt, both sampled from π_old. Theorem 1 (the pairwise policy gradient) estimates ∇J from the reward difference
/// alone, ½·(r_1 − r_2)·∇(log π(y_1) − log π(y_2)); Eq. 6 makes it proximal with trajectory-wise importance weights and
/// clipping. Per pair, with sums over the response tokens (nats):
/// <list type="bullet">
/// <item>KL_k = Σ_t (log π − log π_ref)(y_k) and q = (r_1 − r_2) − β·(KL_1 − KL_2), a constant w.r.t. θ;</item>
/// <item>ρ_k = exp(Σ_t log π(y_k) − Σ_t log π_old(y_k));</item>
/// <item>D = KL_1 − KL_2 = (log π(y_1) − log π(y_2)) − (log π_ref(y_1) − log π_ref(y_2)), and D_old the same under
/// π_old.</item>
/// </list>
/// The losses (sg = stop-gradient, clamp_c(x) = clamp(x, 1/c, c), c = <see cref="P3oOptions.CliprangeRatio"/>):
/// <list type="bullet">
/// <item><b>separate</b> (V1): ℓ_1 = max(−q·w_2·ρ_1, −q·w_2·clip(ρ_1, 1 − ε, 1 + ε)) with w_2 = sg(clamp_c(ρ_2)), its
/// mirror ℓ_2 = max(q·w_1·ρ_2, q·w_1·clip(ρ_2, 1 − ε, 1 + ε)) with w_1 = sg(clamp_c(ρ_1)), and the pair's loss
/// ℓ_1 + ℓ_2;</item>
/// <item><b>joint</b> (V2): w = sg(clamp_c(ρ_1·ρ_2)), loss max(−q·w·D, −q·w·clamp(D, D_old − ε, D_old + ε));</item>
/// <item><b>joint, per-token clipping</b>: the same w, and every token clipped on its own in log space:
/// Σ_t max(−q·w·x_1,t, −q·w·clamp(x_1,t, x_old 1,t ± ε)) + Σ_t max(q·w·x_2,t, q·w·clamp(x_2,t, x_old 2,t ± ε)),
/// x = log π.</item>
/// </list>
/// The pair losses are summed over the B pairs and divided by 2B, the number of responses (the authors' joint loss is
/// <c>mean / 2</c>), or with <see cref="P3oOptions.TokenAverage"/> by the number of response tokens of both
/// responses of all pairs (their <c>avg_tokenwise</c>). Dividing by 2B makes both variants reproduce Theorem 1's
/// gradient ½·q·∇(log π(y_2) − log π(y_1))/B exactly when π = π_old (every ρ = 1), and makes V1's two terms an average.
/// Every token of y_k receives ∂loss/∂(Σ_t log π(y_k)) (sequence-level forms) or its own slope (per-token form).
/// </summary>
/// <remarks>
/// <para>Which policy the KL in q uses: the authors' public code (Tianhao Wu's trlx fork,
/// <c>trlx/trainer/accelerate_p3o_trainer.py</c>, <c>p3o_loss</c>) forms q from the current policy's log-ratio to the
/// reference, detached, and so does this class: KL_k uses <see cref="P3oResponses.Logprobs"/>. At the first minibatch
/// of an iteration π = π_old, so the two readings agree; in later epochs q tracks the current KL. q is never
/// differentiated.</para>
/// <para>Per-token clipping is normalised like the sequence-level forms here (2B, or tokens with
/// <see cref="P3oOptions.TokenAverage"/>); the authors' code always divides it by the token count, which is
/// <c>TokenAverage = true</c>. Their <c>scale_q</c> (q/std(q)) is not implemented; reward scaling is the caller's
/// (<see cref="RewardOptions.NormalizeScores"/>).</para>
/// </remarks>
public static class P3oObjective
{
    /// <summary>Loss, gradients w.r.t. the current log-probs of both responses, and diagnostics.</summary>
    /// <param name="first">The first responses y_1 of B pairs.</param>
    /// <param name="second">The second responses y_2, one per pair (own lengths).</param>
    /// <param name="options">Variant, ε, c, β, normalisation; null for defaults (joint).</param>
    /// <exception cref="ArgumentException">No pairs, pair counts or layouts differ, per-token clipping with the
    /// separate variant, or token averaging over a batch without tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">ε, c or β is out of range.</exception>
    public static P3oResult Compute(P3oResponses first, P3oResponses second, P3oOptions? options = null)
    {
        options ??= new P3oOptions();
        Validate(first, second, options);
        return Evaluate(first, second, options, StopGradients(first, second, options));
    }

    /// <summary>The quantities P3O never differentiates, per pair: q, and the importance weight on y_1's term
    /// (V1: sg(clamp_c(ρ_2)); V2: sg(clamp_c(ρ_1·ρ_2))) and on y_2's term (V1: sg(clamp_c(ρ_1)); V2: the same
    /// joint weight).</summary>
    internal readonly record struct Constants(double[] Q, double[] Weight1, double[] Weight2);

    /// <summary>Evaluates the stop-gradient quantities at the given log-probs.</summary>
    internal static Constants StopGradients(P3oResponses first, P3oResponses second, P3oOptions options)
    {
        var pairs = first.Scores.Length;
        var (s1, o1, f1, s2, o2, f2) = Sums(first, second);
        var c = options.CliprangeRatio;
        var q = new double[pairs];
        var weight1 = new double[pairs];
        var weight2 = new double[pairs];
        for (var i = 0; i < pairs; i++)
        {
            q[i] = first.Scores[i] - second.Scores[i] - options.KlCoef * ((s1[i] - f1[i]) - (s2[i] - f2[i]));
            if (options.Clipping == P3oClipping.Separate)
            {
                weight1[i] = Math.Clamp(Math.Exp(s2[i] - o2[i]), 1.0 / c, c);
                weight2[i] = Math.Clamp(Math.Exp(s1[i] - o1[i]), 1.0 / c, c);
            }
            else
            {
                weight1[i] = weight2[i] = Math.Clamp(Math.Exp(s1[i] - o1[i] + (s2[i] - o2[i])), 1.0 / c, c);
            }
        }

        return new Constants(q, weight1, weight2);
    }

    /// <summary>The loss with the stop-gradient quantities held at <paramref name="constants"/>: what the gradient
    /// differentiates (and what a finite-difference check must perturb).</summary>
    internal static P3oResult Evaluate(P3oResponses first, P3oResponses second, P3oOptions options,
        Constants constants)
    {
        var pairs = first.Scores.Length;
        var eps = options.Cliprange;
        var (s1, o1, f1, s2, o2, f2) = Sums(first, second);
        var tokens = first.Logprobs.TotalTokens + second.Logprobs.TotalTokens;
        var denominator = options.TokenAverage ? tokens : 2.0 * pairs;
        var grad1 = first.Logprobs.ZerosLike();
        var grad2 = second.Logprobs.ZerosLike();
        double loss = 0, qAbs = 0, ratio = 0;
        int clipped = 0, terms = 0;
        for (var i = 0; i < pairs; i++)
        {
            var q = constants.Q[i];
            qAbs += Math.Abs(q);
            ratio += Math.Exp(s1[i] - o1[i] + (s2[i] - o2[i]));
            if (options.Clipping == P3oClipping.Separate)
            {
                var term1 = ClippedSurrogate.Ratio(s1[i], o1[i], q * constants.Weight1[i], eps, eps, null);
                var term2 = ClippedSurrogate.Ratio(s2[i], o2[i], -q * constants.Weight2[i], eps, eps, null);
                loss += term1.Loss + term2.Loss;
                grad1.Row(i).Fill(term1.Slope / denominator);
                grad2.Row(i).Fill(term2.Slope / denominator);
                clipped += (term1.Clipped ? 1 : 0) + (term2.Clipped ? 1 : 0);
                terms += 2;
            }
            else if (!options.ClipPerToken)
            {
                var d = (s1[i] - f1[i]) - (s2[i] - f2[i]);
                var dOld = (o1[i] - f1[i]) - (o2[i] - f2[i]);
                var (l, slope, isClipped) = ClippedSurrogate.Linear(d, dOld, q * constants.Weight1[i], eps);
                loss += l;
                grad1.Row(i).Fill(slope / denominator);
                grad2.Row(i).Fill(-slope / denominator);
                clipped += isClipped ? 1 : 0;
                terms += 1;
            }
            else
            {
                var a = q * constants.Weight1[i];
                (loss, clipped) = PerToken(first.Logprobs.Row(i), first.OldLogprobs.Row(i), a, eps, denominator,
                    grad1.Row(i), loss, clipped);
                (loss, clipped) = PerToken(second.Logprobs.Row(i), second.OldLogprobs.Row(i), -a, eps, denominator,
                    grad2.Row(i), loss, clipped);
                terms += first.Logprobs.Length(i) + second.Logprobs.Length(i);
            }
        }

        var diagnostics = new RatioDiagnostics();
        foreach (var (lp, old) in new[] { (first.Logprobs, first.OldLogprobs), (second.Logprobs, second.OldLogprobs) })
        {
            for (var t = 0; t < lp.TotalTokens; t++)
            {
                diagnostics.Add(lp.Data[t] - old.Data[t]);
            }
        }

        return new P3oResult(loss / denominator, grad1, grad2, terms > 0 ? (double)clipped / terms : 0.0,
            diagnostics.ApproxKl, qAbs / pairs, ratio / pairs);
    }

    /// <summary>Σ_t log π, log π_old and log π_ref of each response of both sides, shape (B,) each.</summary>
    private static (double[] S1, double[] O1, double[] F1, double[] S2, double[] O2, double[] F2) Sums(
        P3oResponses first, P3oResponses second) =>
        (first.Logprobs.SequenceSums(), first.OldLogprobs.SequenceSums(), first.RefLogprobs.SequenceSums(),
            second.Logprobs.SequenceSums(), second.OldLogprobs.SequenceSums(), second.RefLogprobs.SequenceSums());

    private static (double Loss, int Clipped) PerToken(ReadOnlySpan<double> logprobs, ReadOnlySpan<double> old,
        double advantage, double eps, double denominator, Span<double> grad, double loss, int clipped)
    {
        for (var t = 0; t < logprobs.Length; t++)
        {
            var (l, slope, isClipped) = ClippedSurrogate.Linear(logprobs[t], old[t], advantage, eps);
            loss += l;
            grad[t] = slope / denominator;
            clipped += isClipped ? 1 : 0;
        }

        return (loss, clipped);
    }

    private static void Validate(P3oResponses first, P3oResponses second, P3oOptions options)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        foreach (var (side, name) in new[] { (first, nameof(first)), (second, nameof(second)) })
        {
            ArgumentNullException.ThrowIfNull(side.Logprobs, name);
            ArgumentNullException.ThrowIfNull(side.Scores, name);
            side.Logprobs.EnsureSameLayout(side.OldLogprobs, name + ".OldLogprobs");
            side.Logprobs.EnsureSameLayout(side.RefLogprobs, name + ".RefLogprobs");
            Numerics.EnsureSameLength(side.Logprobs.BatchSize, side.Scores.Length, name + ".Scores");
        }

        var pairs = first.Scores.Length;
        Numerics.EnsureSameLength(pairs, second.Scores.Length, nameof(second));
        if (pairs == 0)
        {
            throw new ArgumentException("no response pairs.", nameof(first));
        }

        if (!(options.Cliprange > 0 && options.Cliprange < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Cliprange, "cliprange must lie in (0, 1).");
        }

        if (!(options.CliprangeRatio > 1) || double.IsInfinity(options.CliprangeRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CliprangeRatio,
                "p3o_cliprange_ratio must be finite and exceed 1.");
        }

        Numerics.EnsureFiniteNonNegative(options.KlCoef, nameof(options), "kl_coef");
        if (options.ClipPerToken && options.Clipping != P3oClipping.Joint)
        {
            throw new ArgumentException(
                "p3o_clip_per_token is defined for p3o_clip: joint only (it uses the joint weight).", nameof(options));
        }

        if (options.TokenAverage && first.Logprobs.TotalTokens + second.Logprobs.TotalTokens == 0)
        {
            throw new ArgumentException("p3o_token_average over pairs without response tokens.", nameof(first));
        }
    }
}
