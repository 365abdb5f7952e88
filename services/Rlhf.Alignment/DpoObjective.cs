using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// Direct Preference Optimization and its TRL loss types (<see cref="DpoLossType"/>). Per pair i, with
/// π_c = Σ_t logprobs of the chosen response (for IPO the per-token mean) and likewise π_r, ref_c, ref_r:
/// z_i = (π_c − ref_c) − (π_r − ref_r), loss = mean_i ℓ(z_i), and every token of a response receives
/// ∂loss/∂logprobs_t = ±(1/B)·ℓ'(z_i)·(1, or 1/|y| for IPO), + for chosen and − for rejected. The log-sigmoids are
/// computed as softplus, stably. Metrics are TRL's (<see cref="ComputeMetrics"/>).
/// </summary>
public static class DpoObjective
{
    /// <summary>Loss, gradients and TRL's metrics.</summary>
    /// <param name="chosenLogprobs">Policy log-probs of the chosen responses (nats), B sequences.</param>
    /// <param name="rejectedLogprobs">Policy log-probs of the rejected responses, B sequences (own lengths).</param>
    /// <param name="refChosenLogprobs">Reference log-probs, layout of <paramref name="chosenLogprobs"/>.</param>
    /// <param name="refRejectedLogprobs">Reference log-probs, layout of <paramref name="rejectedLogprobs"/>.</param>
    /// <param name="options">β, loss type, label smoothing; null for TRL's defaults (sigmoid, β = 0.1).</param>
    /// <exception cref="ArgumentException">Pair counts or layouts differ, no pairs, an empty response under IPO, or
    /// label smoothing with hinge/ipo.</exception>
    /// <exception cref="ArgumentOutOfRangeException">β ≤ 0 or label smoothing out of range.</exception>
    public static DpoResult Compute(
        TokenBatch chosenLogprobs,
        TokenBatch rejectedLogprobs,
        TokenBatch refChosenLogprobs,
        TokenBatch refRejectedLogprobs,
        DpoOptions? options = null)
    {
        options ??= new DpoOptions();
        ArgumentNullException.ThrowIfNull(chosenLogprobs);
        ArgumentNullException.ThrowIfNull(rejectedLogprobs);
        chosenLogprobs.EnsureSameLayout(refChosenLogprobs, nameof(refChosenLogprobs));
        rejectedLogprobs.EnsureSameLayout(refRejectedLogprobs, nameof(refRejectedLogprobs));
        Numerics.EnsureSameLength(chosenLogprobs.BatchSize, rejectedLogprobs.BatchSize, nameof(rejectedLogprobs));
        Validate(options);
        var pairs = chosenLogprobs.BatchSize;
        if (pairs == 0)
        {
            throw new ArgumentException("no preference pairs.", nameof(chosenLogprobs));
        }

        var perTokenMean = options.LossType == DpoLossType.Ipo;
        var pc = SequenceLogps(chosenLogprobs, perTokenMean, nameof(chosenLogprobs));
        var pr = SequenceLogps(rejectedLogprobs, perTokenMean, nameof(rejectedLogprobs));
        var rc = SequenceLogps(refChosenLogprobs, perTokenMean, nameof(refChosenLogprobs));
        var rr = SequenceLogps(refRejectedLogprobs, perTokenMean, nameof(refRejectedLogprobs));
        var gradChosen = chosenLogprobs.ZerosLike();
        var gradRejected = rejectedLogprobs.ZerosLike();
        var (beta, ls) = (options.Beta, options.LabelSmoothing);
        double loss = 0;
        for (var i = 0; i < pairs; i++)
        {
            var z = (pc[i] - rc[i]) - (pr[i] - rr[i]);
            var bz = beta * z;
            double l, dz;
            switch (options.LossType)
            {
                case DpoLossType.Sigmoid:
                    l = (1 - ls) * Numerics.Softplus(-bz) + ls * Numerics.Softplus(bz);
                    dz = beta * (-(1 - ls) * Numerics.Sigmoid(-bz) + ls * Numerics.Sigmoid(bz));
                    break;
                case DpoLossType.Robust:
                    l = ((1 - ls) * Numerics.Softplus(-bz) - ls * Numerics.Softplus(bz)) / (1 - 2 * ls);
                    dz = beta * (-(1 - ls) * Numerics.Sigmoid(-bz) - ls * Numerics.Sigmoid(bz)) / (1 - 2 * ls);
                    break;
                case DpoLossType.Hinge:
                    l = Math.Max(0.0, 1 - bz);
                    dz = 1 - bz > 0 ? -beta : 0.0;
                    break;
                default:
                    var gap = z - 1.0 / (2 * beta);
                    l = gap * gap;
                    dz = 2 * gap;
                    break;
            }

            loss += l;
            dz /= pairs;
            gradChosen.Row(i).Fill(perTokenMean ? dz / chosenLogprobs.Length(i) : dz);
            gradRejected.Row(i).Fill(perTokenMean ? -dz / rejectedLogprobs.Length(i) : -dz);
        }

        return new DpoResult(loss / pairs, gradChosen, gradRejected, ComputeMetrics(pc, pr, rc, rr, beta));
    }

    /// <summary>
    /// TRL's DPO metrics from per-pair sequence log-probs (sums, or per-token means as IPO uses): implicit rewards
    /// β·(π − ref) of chosen and rejected, their accuracy (chosen &gt; rejected, strictly) and margin, and the mean
    /// policy log-probs. Also what held-out evaluation of a DPO policy reports (implicit-reward accuracy).
    /// </summary>
    /// <param name="chosenLogps">Policy log-prob of each chosen response, shape (B,).</param>
    /// <param name="rejectedLogps">Policy log-prob of each rejected response, shape (B,).</param>
    /// <param name="refChosenLogps">Reference log-probs of the chosen responses, shape (B,).</param>
    /// <param name="refRejectedLogps">Reference log-probs of the rejected responses, shape (B,).</param>
    /// <param name="beta">β &gt; 0.</param>
    /// <exception cref="ArgumentException">Lengths differ or are 0.</exception>
    public static DpoMetrics ComputeMetrics(
        ReadOnlySpan<double> chosenLogps,
        ReadOnlySpan<double> rejectedLogps,
        ReadOnlySpan<double> refChosenLogps,
        ReadOnlySpan<double> refRejectedLogps,
        double beta)
    {
        var pairs = chosenLogps.Length;
        Numerics.EnsureSameLength(pairs, rejectedLogps.Length, nameof(rejectedLogps));
        Numerics.EnsureSameLength(pairs, refChosenLogps.Length, nameof(refChosenLogps));
        Numerics.EnsureSameLength(pairs, refRejectedLogps.Length, nameof(refRejectedLogps));
        Numerics.EnsureFinitePositive(beta, nameof(beta));
        if (pairs == 0)
        {
            throw new ArgumentException("no preference pairs.", nameof(chosenLogps));
        }

        double chosen = 0, rejected = 0, accuracy = 0, logpsChosen = 0, logpsRejected = 0;
        for (var i = 0; i < pairs; i++)
        {
            var c = beta * (chosenLogps[i] - refChosenLogps[i]);
            var r = beta * (rejectedLogps[i] - refRejectedLogps[i]);
            chosen += c;
            rejected += r;
            accuracy += c > r ? 1 : 0;
            logpsChosen += chosenLogps[i];
            logpsRejected += rejectedLogps[i];
        }

        return new DpoMetrics(chosen / pairs, rejected / pairs, accuracy / pairs, (chosen - rejected) / pairs,
            logpsChosen / pairs, logpsRejected / pairs);
    }

    private static double[] SequenceLogps(TokenBatch logprobs, bool perTokenMean, string name)
    {
        var sums = logprobs.SequenceSums();
        if (perTokenMean)
        {
            for (var i = 0; i < sums.Length; i++)
            {
                if (logprobs.Length(i) == 0)
                {
                    throw new ArgumentException($"response {i} is empty: IPO needs a per-token mean.", name);
                }

                sums[i] /= logprobs.Length(i);
            }
        }

        return sums;
    }

    private static void Validate(DpoOptions options)
    {
        Numerics.EnsureFinitePositive(options.Beta, "beta");
        var ls = options.LabelSmoothing;
        switch (options.LossType)
        {
            case DpoLossType.Sigmoid when !(ls >= 0 && ls <= 0.5):
                throw new ArgumentOutOfRangeException(nameof(options), ls,
                    "label_smoothing must lie in [0, 0.5] for loss_type sigmoid.");
            case DpoLossType.Robust when !(ls >= 0 && ls < 0.5):
                throw new ArgumentOutOfRangeException(nameof(options), ls,
                    "label_smoothing must lie in [0, 0.5) for loss_type robust (it divides by 1 − 2·label_smoothing).");
            case DpoLossType.Hinge or DpoLossType.Ipo when ls != 0:
                throw new ArgumentException(
                    $"label_smoothing applies to loss_type sigmoid and robust only; set it to 0 for " +
                    $"{options.LossType.ToString().ToLowerInvariant()}.", nameof(options));
            case DpoLossType.Sigmoid or DpoLossType.Robust or DpoLossType.Hinge or DpoLossType.Ipo:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.LossType, "unknown loss_type.");
        }
    }
}
