using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rlhf.Models;

/// <summary>
/// The score scale of a trained reward model (written by <c>Rlhf.RewardModels</c>' trainer, applied by the reward
/// service's <c>ServedCalibration</c>), stored as <c>calibration.json</c> in its checkpoint directory beside
/// <see cref="CheckpointFiles"/>:
/// <c>{"mean": m, "std": s, "count": n, "reference_set": "…"}</c>. m and s are the mean and the population standard
/// deviation of the model's raw scores r (reward units, the scalar head at the last token) over the n sequences of a
/// reference set (held-out responses), so that the served score <c>(r − m) / s</c> has mean 0 and standard deviation 1
/// on that set — the reward normalisation of Ziegler et al. 2019 §3 ("normalize the reward model … to have mean 0 and
/// variance 1" on reference samples) and Ouyang et al. 2022 §C.
/// </summary>
/// <param name="Mean">m, the mean raw score.</param>
/// <param name="Std">s &gt; 0, the population standard deviation √(Σ (r − m)² / n), floored at <see cref="MinStd"/>.</param>
/// <param name="Count">n, the number of scored sequences.</param>
/// <param name="ReferenceSet">What was scored, in words (file and selection).</param>
public sealed record RewardCalibration(double Mean, double Std, int Count, string ReferenceSet)
{
    /// <summary>The file name inside a checkpoint directory.</summary>
    public const string FileName = "calibration.json";

    /// <summary>Smallest stored std, so normalisation never divides by zero (e.g. a constant model).</summary>
    public const double MinStd = 1e-6;

    /// <summary>Mean and population std of <paramref name="scores"/> (summed in double, in order).</summary>
    /// <exception cref="ArgumentException">No scores, or a score is not finite.</exception>
    public static RewardCalibration FromScores(IReadOnlyList<double> scores, string referenceSet)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0)
            throw new ArgumentException("calibration needs at least one score", nameof(scores));
        double sum = 0;
        foreach (var s in scores)
        {
            if (!double.IsFinite(s))
                throw new ArgumentException($"calibration score {s} is not finite", nameof(scores));
            sum += s;
        }
        var mean = sum / scores.Count;
        double squares = 0;
        foreach (var s in scores)
            squares += (s - mean) * (s - mean);
        var std = Math.Max(Math.Sqrt(squares / scores.Count), MinStd);
        return new RewardCalibration(mean, std, scores.Count, referenceSet);
    }

    /// <summary>The normalized score (r − m) / s.</summary>
    public double Normalize(double rawScore) => (rawScore - Mean) / Std;

    /// <summary>The JSON text (indented).</summary>
    public string ToJson() => new JsonObject
    {
        ["mean"] = Mean,
        ["std"] = Std,
        ["count"] = Count,
        ["reference_set"] = ReferenceSet,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Reads <c>calibration.json</c> from a checkpoint directory, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The file is not an object with numbers mean, std &gt; 0, count and a string reference_set.</exception>
    public static RewardCalibration? TryLoad(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : null;
    }

    /// <summary>Parses the JSON text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">See <see cref="TryLoad"/>.</exception>
    public static RewardCalibration Parse(string json, string source = FileName)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var mean = root.GetProperty("mean").GetDouble();
            var std = root.GetProperty("std").GetDouble();
            var count = root.GetProperty("count").GetInt32();
            var reference = root.TryGetProperty("reference_set", out var r) ? r.GetString() ?? "" : "";
            if (!double.IsFinite(mean) || !(std > 0) || !double.IsFinite(std))
                throw new InvalidDataException($"{source}: mean must be finite and std positive, got mean {mean.ToString(CultureInfo.InvariantCulture)}, std {std.ToString(CultureInfo.InvariantCulture)}");
            return new RewardCalibration(mean, std, count, reference);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: expected {{\"mean\", \"std\", \"count\", \"reference_set\"}}: {e.Message}", e);
        }
    }

    /// <summary>No normalization (mean 0, std 1): what a checkpoint without <c>calibration.json</c> serves.</summary>
    public static RewardCalibration Identity { get; } = new(0, 1, 0, "");

    /// <summary>
    /// The calibration of a model path: <c>calibration.json</c> in a checkpoint directory, else <see cref="Identity"/>
    /// (a llama2.c file or a directory without one).
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but is malformed.</exception>
    public static RewardCalibration LoadOrIdentity(string modelPath) =>
        Directory.Exists(modelPath) ? TryLoad(modelPath) ?? Identity : Identity;
}
