using Rlhf.Models;
using Rlhf.Engine.IO;
namespace Rlhf.RewardModels.Tests;

public sealed class RewardCalibrationTests
{
    [Fact]
    public void FromScores_KnownScores_PopulationMeanAndStd()
    {
        var calibration = RewardCalibration.FromScores([1, 2, 3, 4], "test");

        Assert.Equal(2.5, calibration.Mean, 12);
        Assert.Equal(Math.Sqrt(1.25), calibration.Std, 12);
        Assert.Equal(4, calibration.Count);
        Assert.Equal(0, calibration.Normalize(2.5), 12);
    }

    [Fact]
    public void FromScores_ConstantScores_StdFlooredAboveZero()
    {
        var calibration = RewardCalibration.FromScores([0.5, 0.5], "constant");

        Assert.Equal(RewardCalibration.MinStd, calibration.Std);
    }

    [Fact]
    public void ToJson_ThenParse_RoundTripsTheExactFormat()
    {
        var calibration = new RewardCalibration(-0.25, 1.75, 512, "sst2_dev.tsv");

        var json = calibration.ToJson();

        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(["mean", "std", "count", "reference_set"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(calibration, RewardCalibration.Parse(json));
    }

    [Fact]
    public void Parse_ZeroStd_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => RewardCalibration.Parse("""{"mean": 0, "std": 0, "count": 3, "reference_set": "x"}"""));
    }
}
