using Rlhf.Models;
using Rlhf.Alignment;
using Rlhf.Engine;
using Rlhf.Configuration.Runs;

namespace Rlhf.RewardModels;

/// <summary>Held-out metrics of a reward model on preference pairs.</summary>
/// <param name="Pairs">Number of pairs B.</param>
/// <param name="Loss">Mean Bradley–Terry loss −log σ(r_c − r_r − m) (nats).</param>
/// <param name="Accuracy">Fraction of pairs with r_c &gt; r_r (ties count as wrong).</param>
/// <param name="MeanMargin">Mean r_c − r_r (reward units, raw scores).</param>
public sealed record PairwiseEvaluation(int Pairs, double Loss, double Accuracy, double MeanMargin)
{
    /// <summary>
    /// Scores both sides of every pair (chosen and rejected of a chunk in one forward) and compares them; on a terminal
    /// <paramref name="progress"/> shows the pass as a bar labelled <c>eval</c> (no plain lines: it is short and frequent).
    /// </summary>
    /// <exception cref="ArgumentException">No pairs.</exception>
    public static PairwiseEvaluation Run(LlamaModel model, IReadOnlyList<SequencePair> pairs, int pairsPerBatch = 32, ProgressReporter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
            throw new ArgumentException("no pairs to evaluate", nameof(pairs));
        var sequences = new List<TokenSequence>(2 * pairs.Count);
        foreach (var p in pairs)
        {
            sequences.Add(p.Chosen);
            sequences.Add(p.Rejected);
        }
        double[] scores;
        using (var pass = progress?.Start("eval", sequences.Count, plainLines: false))
            scores = RewardScorer.Score(model, sequences, 2 * pairsPerBatch, pass);
        var chosen = new double[pairs.Count];
        var rejected = new double[pairs.Count];
        var margins = new double[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            chosen[i] = scores[2 * i];
            rejected[i] = scores[2 * i + 1];
            margins[i] = pairs[i].Margin;
        }
        var result = RewardModelObjective.Pairwise(chosen, rejected, margins);
        return new PairwiseEvaluation(pairs.Count, result.Loss, result.Accuracy, result.MeanMargin);
    }
}
