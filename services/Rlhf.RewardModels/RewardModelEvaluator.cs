using Rlhf.Models;
using Rlhf.Data;
using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Tokenizers;
using Rlhf.Configuration.Runs;

namespace Rlhf.RewardModels;

/// <summary>
/// Offline evaluation of a saved reward model (<c>rlhf eval-reward</c>). The data format is recognised from the file:
/// <list type="bullet">
/// <item><c>.tsv</c>: labelled sentences (SST-2). Each sentence is scored once as <c>BOS ++ sentence</c>. Without a
/// pair cap the accuracy is over ALL (positive, negative) pairs — the fraction with r_pos &gt; r_neg, i.e. the ROC AUC
/// with ties counted as wrong, computed by sorting (SST-2 dev: 444 × 428 = 190,032 pairs). With a cap N, N pairs are
/// drawn uniformly with replacement (seeded) and only their sentences are scored.</item>
/// <item>JSONL with <c>"chosen"</c>/<c>"rejected"</c> (HH-RLHF, plain or .gz): pairwise accuracy over the pairs (all, or
/// N drawn without replacement, seeded).</item>
/// <item>JSONL with <c>"prompt"</c>/<c>"responses"</c>: every ordered pair of every ranking.</item>
/// </list>
/// </summary>
public static class RewardModelEvaluator
{
    /// <summary>Evaluates the model in <paramref name="modelPath"/> (a checkpoint directory) on <paramref name="dataPath"/>.</summary>
    /// <param name="modelPath">Checkpoint directory (its tokenizer.bin is used unless <paramref name="tokenizerPath"/> is given).</param>
    /// <param name="dataPath">Evaluation data.</param>
    /// <param name="maxPairs">Cap on pairs (seeded sample); null = all.</param>
    /// <param name="seed">Seed of the sample.</param>
    /// <param name="threads">Engine threads.</param>
    /// <param name="maxSeqLen">Token budget (null = the training max_seq_len recorded in trainer_state.json, else the model's).</param>
    /// <param name="tokenizerPath">Tokenizer override.</param>
    /// <param name="progress">Scoring passes report to it (a bar on a terminal, a line per tenth elsewhere); null = silent.</param>
    /// <exception cref="ArgumentException">No tokenizer, or the data yields no pairs.</exception>
    public static RewardEvalReport Evaluate(string modelPath, string dataPath, int? maxPairs = null, long seed = 0, int threads = 2,
        int? maxSeqLen = null, string? tokenizerPath = null, ProgressReporter? progress = null)
    {
        if (maxPairs is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxPairs), maxPairs, "max pairs must be ≥ 1");
        var model = ModelFiles.Load(modelPath, new EngineOptions { Threads = Math.Max(1, threads) });
        tokenizerPath ??= CheckpointFiles.TokenizerOf(modelPath)
            ?? throw new ArgumentException("a tokenizer is required (the model directory has no tokenizer.bin)");
        var tokenizer = Llama2Tokenizer.Load(tokenizerPath, model.Config.VocabSize);
        maxSeqLen ??= (Directory.Exists(modelPath) ? RewardTrainer.TrainedMaxSeqLen(modelPath) : null) ?? model.Config.MaxSeqLen;
        var builder = new RewardSequenceBuilder(tokenizer, Math.Min(maxSeqLen.Value, model.Config.MaxSeqLen));
        var calibration = Directory.Exists(modelPath) ? RewardCalibration.TryLoad(modelPath) : null;
        return dataPath.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)
            ? EvaluateLabelled(model, builder, dataPath, maxPairs, seed, calibration, progress ?? ProgressReporter.None)
            : EvaluatePairs(model, builder, dataPath, maxPairs, seed, calibration, progress ?? ProgressReporter.None);
    }

    private static RewardEvalReport EvaluateLabelled(LlamaModel model, RewardSequenceBuilder builder, string path, int? maxPairs, long seed,
        RewardCalibration? calibration, ProgressReporter progress)
    {
        var sentences = LabelledSentences.LoadTsv(path);
        var pos = sentences.Where(s => s.Label == 1).Select(s => s.Text).ToArray();
        var neg = sentences.Where(s => s.Label != 1).Select(s => s.Text).ToArray();
        if (pos.Length == 0 || neg.Length == 0)
            throw new ArgumentException($"{path}: needs positive and negative sentences, got {pos.Length} and {neg.Length}");
        if (maxPairs is { } n)
        {
            var rng = new DeterministicRandom(seed);
            var drawn = Enumerable.Range(0, n).Select(_ => (P: rng.NextInt(pos.Length), N: rng.NextInt(neg.Length))).ToArray();
            var posScores = ScoreSubset(model, builder, pos, drawn.Select(d => d.P), progress, "scoring positives");
            var negScores = ScoreSubset(model, builder, neg, drawn.Select(d => d.N), progress, "scoring negatives");
            double correct = 0, margin = 0;
            foreach (var (p, q) in drawn)
            {
                var diff = posScores[p] - negScores[q];
                correct += diff > 0 ? 1 : 0;
                margin += diff;
            }
            var scored = posScores.Values.Concat(negScores.Values).ToArray();
            var (m, s) = MeanStd(scored);
            return new RewardEvalReport("labelled", n, correct / n, margin / n,
                $"{n} (positive, negative) pairs drawn with replacement, seed {seed}", m, s, calibration);
        }
        var ps = ScoreAll(model, [.. pos.Select(builder.Sentence)], progress, "scoring positives");
        var ns = ScoreAll(model, [.. neg.Select(builder.Sentence)], progress, "scoring negatives");
        var sortedNeg = ns.Order().ToArray();
        long wins = 0;
        foreach (var p in ps)
            wins += LowerBound(sortedNeg, p); // negatives strictly below p
        long pairs = (long)ps.Length * ns.Length;
        var meanMargin = ps.Average() - ns.Average();
        var (mean, std) = MeanStd([.. ps, .. ns]);
        return new RewardEvalReport("labelled", pairs, (double)wins / pairs, meanMargin,
            $"all {ps.Length} × {ns.Length} (positive, negative) pairs", mean, std, calibration);
    }

    private static RewardEvalReport EvaluatePairs(LlamaModel model, RewardSequenceBuilder builder, string path, int? maxPairs, long seed,
        RewardCalibration? calibration, ProgressReporter progress)
    {
        IReadOnlyList<PreferencePair> pairs;
        string kind;
        if (FirstObjectHas(path, "responses"))
        {
            pairs = [.. KwiseRankings.Load(path).SelectMany(r => r.ToPairs())];
            kind = "rankings";
        }
        else
        {
            pairs = HhRlhfDataset.Load(path).Pairs;
            kind = "pairs";
        }
        if (pairs.Count == 0)
            throw new ArgumentException($"{path}: no usable pairs");
        var selection = $"all {pairs.Count} pairs";
        if (maxPairs is { } n && n < pairs.Count)
        {
            pairs = [.. DataSplits.Shuffle(pairs, seed).Take(n)];
            selection = $"{n} of the file's pairs drawn without replacement, seed {seed}";
        }
        var sequencePairs = pairs.Select(p => builder.Pair(p)).ToArray();
        var sequences = sequencePairs.SelectMany(p => new[] { p.Chosen, p.Rejected }).ToArray();
        var scores = ScoreAll(model, sequences, progress, "scoring");
        double correct = 0, margin = 0;
        for (var i = 0; i < sequencePairs.Length; i++)
        {
            var diff = scores[2 * i] - scores[2 * i + 1];
            correct += diff > 0 ? 1 : 0;
            margin += diff;
        }
        var (mean, std) = MeanStd(scores);
        return new RewardEvalReport(kind, sequencePairs.Length, correct / sequencePairs.Length, margin / sequencePairs.Length,
            selection, mean, std, calibration);
    }

    private static Dictionary<int, double> ScoreSubset(LlamaModel model, RewardSequenceBuilder builder, string[] texts, IEnumerable<int> indices,
        ProgressReporter progress, string label)
    {
        var unique = indices.Distinct().Order().ToArray();
        var scores = ScoreAll(model, [.. unique.Select(i => builder.Sentence(texts[i]))], progress, label);
        return unique.Select((index, k) => (index, k)).ToDictionary(t => t.index, t => scores[t.k]);
    }

    /// <summary>Scores <paramref name="sequences"/> as one progress pass named <paramref name="label"/>.</summary>
    private static double[] ScoreAll(LlamaModel model, IReadOnlyList<TokenSequence> sequences, ProgressReporter progress, string label)
    {
        using var pass = progress.Start(label, sequences.Count);
        return RewardScorer.Score(model, sequences, progress: pass);
    }

    /// <summary>Number of entries of ascending <paramref name="sorted"/> strictly below <paramref name="value"/>.</summary>
    private static int LowerBound(double[] sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    private static (double Mean, double Std) MeanStd(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        return (mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count));
    }

    private static bool FirstObjectHas(string path, string property)
    {
        foreach (var (_, line) in DataFile.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty(property, out _);
        }
        return false;
    }
}
