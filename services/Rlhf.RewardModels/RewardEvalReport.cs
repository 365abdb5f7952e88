using Rlhf.Engine.IO;
using Rlhf.Models;
namespace Rlhf.RewardModels;

/// <summary>What <see cref="RewardModelEvaluator.Evaluate"/> measured.</summary>
/// <param name="DataKind">"pairs" (HH JSONL), "rankings" (K-wise JSONL, every ordered pair) or "labelled" (TSV).</param>
/// <param name="Pairs">Pairs compared.</param>
/// <param name="Accuracy">Fraction of pairs whose preferred side scores strictly higher.</param>
/// <param name="MeanMargin">Mean raw score difference preferred − other.</param>
/// <param name="Selection">How the pairs were chosen, in words.</param>
/// <param name="ScoreMean">Mean raw score of every scored sequence.</param>
/// <param name="ScoreStd">Population std of those scores.</param>
/// <param name="Calibration">The model's calibration.json, or null.</param>
public sealed record RewardEvalReport(
    string DataKind, long Pairs, double Accuracy, double MeanMargin, string Selection, double ScoreMean, double ScoreStd,
    RewardCalibration? Calibration)
{
    /// <summary>The report as lines; the LAST line is exactly <c>accuracy=0.xxx</c> (3 decimals, invariant culture).</summary>
    public IReadOnlyList<string> ToLines(string modelPath, string dataPath) =>
    [
        $"model: {modelPath}",
        $"data: {dataPath} ({DataKind}; {Selection})",
        FormattableString.Invariant($"pairs: {Pairs}  mean_margin: {MeanMargin:F4}"),
        FormattableString.Invariant($"raw scores: mean {ScoreMean:F4} std {ScoreStd:F4}"),
        Calibration is null
            ? "calibration: none"
            : FormattableString.Invariant($"calibration: mean {Calibration.Mean:F4} std {Calibration.Std:F4} (n={Calibration.Count}; {Calibration.ReferenceSet})"),
        FormatAccuracy(Accuracy),
    ];

    /// <summary><c>accuracy=0.xxx</c>.</summary>
    public static string FormatAccuracy(double accuracy) => FormattableString.Invariant($"accuracy={accuracy:F3}");
}
