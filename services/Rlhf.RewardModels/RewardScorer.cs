using Rlhf.Models;
using Rlhf.Engine;
using Rlhf.Configuration.Runs;

namespace Rlhf.RewardModels;

/// <summary>Raw reward-model scores: the scalar head <c>score.weight · h + score.bias</c> at the last token of each sequence.</summary>
public static class RewardScorer
{
    private static readonly ForwardOptions ScoreOnly = new() { ComputeLogprobs = false };

    /// <summary>
    /// Scores <paramref name="sequences"/> in forward batches of <paramref name="batchSize"/> sequences (no activations
    /// kept). Returns one raw score per sequence (reward units), in order. <paramref name="progress"/>, when given, is
    /// told the number of sequences scored after each batch (its total should be <c>sequences.Count</c>).
    /// </summary>
    public static double[] Score(LlamaModel model, IReadOnlyList<TokenSequence> sequences, int batchSize = 64, ProgressPass? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var scores = new double[sequences.Count];
        for (var start = 0; start < sequences.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, sequences.Count - start);
            var batch = new TokenSequence[count];
            for (var i = 0; i < count; i++)
                batch[i] = sequences[start + i];
            var result = model.Forward(batch, ScoreOnly);
            for (var i = 0; i < count; i++)
                scores[start + i] = result.LastScalar[i];
            progress?.Report(start + count);
        }
        return scores;
    }
}
