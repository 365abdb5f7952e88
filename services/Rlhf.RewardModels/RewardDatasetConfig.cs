using System.ComponentModel;
using Rlhf.Configuration;

namespace Rlhf.RewardModels;

/// <summary>The preference data of reward training (section <c>dataset</c>).</summary>
public sealed class RewardDatasetConfig : IConfigSection
{
    [Description("Data format: hh (HH-RLHF JSONL/.gz) | sst2 (labelled sentences TSV, positive ≻ negative) | kwise (rankings JSONL).")]
    public RewardDatasetKind Kind { get; set; } = RewardDatasetKind.Hh;

    [ConfigPath, Description("Training file (required).")]
    public string Train { get; set; } = "";

    [ConfigPath, Description("Evaluation file; empty = hold out eval_fraction of the training data (seeded).")]
    public string Eval { get; set; } = "";

    [ConfigRange(0, 1, MaxExclusive = true), Description("Share held out for evaluation when eval is empty.")]
    public double EvalFraction { get; set; } = 0.05;

    [ConfigRange(1), Description("Cap on training pairs (hh: first N; sst2: number of positive/negative pairs drawn, null = min(#pos, #neg)); null = all.")]
    public int? MaxPairs { get; set; }

    [Description("sst2 only: the prompt every pair gets (empty = none).")]
    public string Prompt { get; set; } = "";

    /// <inheritdoc />
    public void Validate(ICollection<string> errors, string prefix)
    {
        if (Train.Length == 0)
            errors.Add($"{prefix}train is required (path of the training data file)");
    }
}
