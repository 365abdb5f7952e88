using Rlhf.Models;
using Rlhf.Data;
using Rlhf.Engine;
using Rlhf.Configuration;

namespace Rlhf.RewardModels.Internal;

/// <summary>
/// The training and held-out data of one reward-training run, tokenized once. Training groups are drawn per epoch:
/// HH pairs and rankings in a seeded shuffled order; SST-2 pairs re-drawn each epoch (positive ≻ negative, seed + epoch),
/// so every epoch sees new (positive, negative) combinations.
/// </summary>
internal sealed class RewardDataset
{
    private readonly Func<int, IReadOnlyList<PreferenceGroup>> _epoch;

    private RewardDataset(Func<int, IReadOnlyList<PreferenceGroup>> epoch, int groupsPerEpoch, IReadOnlyList<SequencePair> eval,
        IReadOnlyList<PreferencePair> evalText, string description, string evalDescription)
    {
        _epoch = epoch;
        GroupsPerEpoch = groupsPerEpoch;
        Eval = eval;
        EvalText = evalText;
        Description = description;
        EvalDescription = evalDescription;
    }

    /// <summary>Training groups per epoch.</summary>
    public int GroupsPerEpoch { get; }

    /// <summary>Held-out pairs (may be empty when eval_fraction is 0 and there is no eval file).</summary>
    public IReadOnlyList<SequencePair> Eval { get; }

    /// <summary>The held-out pairs as text (HH only; empty otherwise).</summary>
    public IReadOnlyList<PreferencePair> EvalText { get; }

    /// <summary>What the training data is, for logs.</summary>
    public string Description { get; }

    /// <summary>What the held-out data is, for logs and calibration.json.</summary>
    public string EvalDescription { get; }

    /// <summary>The training groups of epoch <paramref name="epoch"/> (0-based), in the order to train on.</summary>
    public IReadOnlyList<PreferenceGroup> Epoch(int epoch) => _epoch(epoch);

    public static RewardDataset Load(RewardTrainingConfig config, RewardSequenceBuilder builder)
    {
        var d = config.Dataset;
        return d.Kind switch
        {
            RewardDatasetKind.Hh => LoadPairs(config, builder),
            RewardDatasetKind.Sst2 => LoadSentences(config, builder),
            RewardDatasetKind.Kwise => LoadRankings(config, builder),
            _ => throw new ArgumentOutOfRangeException(nameof(config), d.Kind, "unknown dataset kind"),
        };
    }

    private static RewardDataset LoadPairs(RewardTrainingConfig config, RewardSequenceBuilder builder)
    {
        var d = config.Dataset;
        var all = HhRlhfDataset.Load(d.Train, d.MaxPairs).Pairs;
        IReadOnlyList<PreferencePair> train = all, evalText;
        string evalDescription;
        if (d.Eval.Length > 0)
        {
            evalText = HhRlhfDataset.Load(d.Eval).Pairs;
            evalDescription = $"{Path.GetFileName(d.Eval)} ({evalText.Count} pairs)";
        }
        else
        {
            var split = DataSplits.ByFraction(all, d.EvalFraction, config.Seed);
            (train, evalText) = (split.Train, split.Eval);
            evalDescription = $"{evalText.Count} pairs held out of {Path.GetFileName(d.Train)} (eval_fraction {d.EvalFraction}, seed {config.Seed})";
        }
        var margin = config.Margin;
        var trainPairs = train.Select(p => PreferenceGroup.FromPair(builder.Pair(p, margin))).ToArray();
        var eval = evalText.Select(p => builder.Pair(p, margin)).ToArray();
        return new RewardDataset(
            epoch => DataSplits.Shuffle(trainPairs, Mix(config.Seed, epoch)),
            trainPairs.Length, eval, evalText,
            $"{Path.GetFileName(d.Train)}: {trainPairs.Length} pairs", evalDescription);
    }

    private static RewardDataset LoadSentences(RewardTrainingConfig config, RewardSequenceBuilder builder)
    {
        var d = config.Dataset;
        var all = LabelledSentences.LoadTsv(d.Train);
        IReadOnlyList<LabelledSentence> train = all, held;
        string evalDescription;
        if (d.Eval.Length > 0)
        {
            held = LabelledSentences.LoadTsv(d.Eval);
            evalDescription = Path.GetFileName(d.Eval);
        }
        else
        {
            var split = DataSplits.ByFraction(all, d.EvalFraction, config.Seed);
            (train, held) = (split.Train, split.Eval);
            evalDescription = $"sentences held out of {Path.GetFileName(d.Train)} (eval_fraction {d.EvalFraction}, seed {config.Seed})";
        }
        var cache = new Dictionary<string, TokenSequence>(StringComparer.Ordinal);
        TokenSequence Tokens(string prompt, string text)
        {
            if (!cache.TryGetValue(text, out var seq))
                cache[text] = seq = builder.Build(prompt, text);
            return seq;
        }
        var positives = train.Count(s => s.Label == 1);
        var count = d.MaxPairs ?? Math.Min(positives, train.Count - positives);
        var margin = config.Margin;
        IReadOnlyList<PreferenceGroup> Draw(int epoch) =>
            [.. LabelledSentences.ToPreferencePairs(train, count, Mix(config.Seed, epoch), d.Prompt)
                .Select(p => new PreferenceGroup([Tokens(p.Prompt, p.Chosen), Tokens(p.Prompt, p.Rejected)], margin))];

        var eval = Array.Empty<SequencePair>();
        if (held.Count > 0)
        {
            var heldPositives = held.Count(s => s.Label == 1);
            var evalCount = Math.Min(heldPositives, held.Count - heldPositives);
            if (evalCount > 0)
            {
                eval = [.. LabelledSentences.ToPreferencePairs(held, evalCount, config.Seed, d.Prompt)
                    .Select(p => new SequencePair(builder.Build(p.Prompt, p.Chosen), builder.Build(p.Prompt, p.Rejected), margin))];
                evalDescription = $"{evalDescription}: {eval.Length} (positive, negative) pairs, seed {config.Seed}";
            }
        }
        return new RewardDataset(Draw, count, eval, [],
            $"{Path.GetFileName(d.Train)}: {train.Count} sentences, {count} positive ≻ negative pairs per epoch", evalDescription);
    }

    private static RewardDataset LoadRankings(RewardTrainingConfig config, RewardSequenceBuilder builder)
    {
        var d = config.Dataset;
        var all = KwiseRankings.Load(d.Train);
        if (d.MaxPairs is { } max)
            all = [.. all.Take(max)];
        IReadOnlyList<Ranking> train = all, held;
        string evalDescription;
        if (d.Eval.Length > 0)
        {
            held = KwiseRankings.Load(d.Eval);
            evalDescription = $"{Path.GetFileName(d.Eval)} ({held.Count} rankings)";
        }
        else
        {
            var split = DataSplits.ByFraction(all, d.EvalFraction, config.Seed);
            (train, held) = (split.Train, split.Eval);
            evalDescription = $"{held.Count} rankings held out of {Path.GetFileName(d.Train)} (eval_fraction {d.EvalFraction}, seed {config.Seed})";
        }
        PreferenceGroup[] groups = config.Loss == RewardLoss.Kwise
            ? [.. train.Select(r => new PreferenceGroup(builder.Ranking(r), 0))]
            : [.. train.SelectMany(r => r.ToPairs()).Select(p => PreferenceGroup.FromPair(builder.Pair(p, config.Margin)))];
        var eval = held.SelectMany(r => r.ToPairs()).Select(p => builder.Pair(p, config.Margin)).ToArray();
        return new RewardDataset(
            epoch => DataSplits.Shuffle(groups, Mix(config.Seed, epoch)),
            groups.Length, eval, [],
            $"{Path.GetFileName(d.Train)}: {train.Count} rankings, {groups.Length} training groups", evalDescription + $": {eval.Length} pairs");
    }

    /// <summary>A per-epoch seed derived from the run seed.</summary>
    private static long Mix(long seed, int epoch) => unchecked(seed * 1_000_003L + epoch + 1);
}
