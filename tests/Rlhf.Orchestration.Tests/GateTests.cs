using Rlhf.Orchestration.Gates;
using Rlhf.Configuration.Runs;

namespace Rlhf.Orchestration.Tests;

public sealed class GateTests
{
    private static readonly Dictionary<string, double> Summary = new()
    {
        ["score_gain"] = 0.8,
        ["kl"] = 9.13,
        ["ref_nll_final"] = 1.2,
        ["iterations"] = 50,
        ["objective/kl"] = 3,
    };

    [Theory]
    [InlineData("score_gain>=0.5", "score_gain", GateOperator.GreaterOrEqual, 0.5)]
    [InlineData("  kl <= 8 ", "kl", GateOperator.LessOrEqual, 8)]
    [InlineData("ref_nll_final<1.5", "ref_nll_final", GateOperator.Less, 1.5)]
    [InlineData("iterations == 50", "iterations", GateOperator.Equal, 50)]
    [InlineData("kl!=0", "kl", GateOperator.NotEqual, 0)]
    [InlineData("score_gain>-1e-3", "score_gain", GateOperator.Greater, -1e-3)]
    [InlineData("objective/kl<=4", "objective/kl", GateOperator.LessOrEqual, 4)]
    public void Parse_ValidExpression_SplitsMetricOperatorThreshold(string text, string metric, GateOperator op, double threshold)
    {
        var gate = Gate.Parse(text);

        Assert.Equal(new Gate(metric, op, threshold), gate);
    }

    [Theory]
    [InlineData("", 0, "expected a metric name")]
    [InlineData(">=0.5", 0, "must start with a letter")]
    [InlineData("kl", 2, "expected an operator")]
    [InlineData("kl=8", 2, "expected an operator (>=, <=, >, <, ==, !=), found '='")]
    [InlineData("kl<=", 4, "expected a number")]
    [InlineData("kl<=abc", 4, "'abc' is not a finite number")]
    [InlineData("kl<=8 9", 4, "'8 9' is not a finite number")]
    [InlineData("kl=>8", 2, "found '='")]
    [InlineData("kl<<8", 3, "unexpected '<'")]
    [InlineData("kl<=nan", 4, "not a finite number")]
    [InlineData("kl <= 1,5", 6, "'1,5' is not a finite number")]
    public void Parse_MalformedExpression_ThrowsPointingAtProblem(string text, int position, string problem)
    {
        var e = Assert.Throws<GateParseException>(() => Gate.Parse(text));

        Assert.Equal(position, e.Position);
        Assert.Contains(problem, e.Message);
        Assert.Contains("\n  " + new string(' ', position) + "^", e.Message);
    }

    [Fact]
    public void Evaluate_ThresholdExceeded_FailsWithOneLineReason()
    {
        var result = Gate.Parse("kl<=8").Evaluate(Summary);

        Assert.False(result.Passed);
        Assert.Equal(9.13, result.Actual);
        Assert.Equal("gate failed: kl<=8 (kl = 9.13)", result.Reason);
    }

    [Fact]
    public void Evaluate_ThresholdMet_Passes()
    {
        var result = Gate.Parse("score_gain >= 0.5").Evaluate(Summary);

        Assert.True(result.Passed);
        Assert.Equal("gate passed: score_gain>=0.5 (score_gain = 0.8)", result.Reason);
    }

    [Fact]
    public void Evaluate_UnknownMetric_FailsListingAvailableKeys()
    {
        var result = Gate.Parse("reward>1").Evaluate(Summary);

        Assert.False(result.Passed);
        Assert.Null(result.Actual);
        Assert.Contains("unknown metric 'reward'", result.Reason);
        Assert.Contains("available: iterations, kl, objective/kl, ref_nll_final, score_gain", result.Reason);
    }

    [Theory]
    [InlineData("kl<=8")]
    [InlineData("kl>=8")]
    [InlineData("kl!=8")]
    public void Evaluate_NaNMetric_AlwaysFails(string expression)
    {
        var result = Gate.Parse(expression).Evaluate(new Dictionary<string, double> { ["kl"] = double.NaN });

        Assert.False(result.Passed);
        Assert.Contains("kl = NaN", result.Reason);
    }

    [Fact]
    public void EvaluateAll_MixedGates_ReportsEachInOrder()
    {
        var gates = GateEvaluator.ParseAll(["score_gain>=0.5", "kl<=8", "ref_nll_final<1.5"]);

        var results = GateEvaluator.EvaluateAll(gates, Summary);

        Assert.Equal([true, false, true], results.Select(r => r.Passed));
        Assert.False(GateEvaluator.AllPassed(results));
        Assert.True(GateEvaluator.AllPassed([]));
    }

    [Fact]
    public void ParseAll_OneMalformed_Throws()
    {
        Assert.Throws<GateParseException>(() => GateEvaluator.ParseAll(["kl<=8", "kl=<8"]));
    }

    [Fact]
    public void ToString_ParsedGate_IsCanonical()
    {
        Assert.Equal("kl<=8.5", Gate.Parse("  kl  <=  8.50 ").ToString());
    }

    [Fact]
    public void ParseAll_MisspelledSummaryKey_RefusedWithNearestKeys()
    {
        var e = Assert.Throws<GateParseException>(() => GateEvaluator.ParseAll(["kl<=8", "score_gian>=1"], SummaryKeys.All));

        Assert.StartsWith("invalid gate 'score_gian>=1': unknown metric 'score_gian'; nearest valid metrics: score_gain", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, e.Position);
    }

    [Fact]
    public void ParseAll_EverySummaryKey_Accepted()
    {
        var gates = GateEvaluator.ParseAll(SummaryKeys.All.Select(k => k + ">=0"), SummaryKeys.All);

        Assert.Equal(SummaryKeys.All, gates.Select(g => g.Metric));
        Assert.Contains(SummaryKeys.RefNllRatio, SummaryKeys.All);
    }
}
