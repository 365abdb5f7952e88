using System.Text.RegularExpressions;
using Rlhf.Alignment;
using Rlhf.Orchestration.Gates;
using Rlhf.Orchestration.Reporting;
using Rlhf.Orchestration.Runs;

namespace Rlhf.Orchestration.Tests;

public sealed partial class HtmlReportTests
{
    private static List<MetricsRecord> Run(int iterations) =>
    [
        .. Enumerable.Range(1, iterations).Select(i => new MetricsRecord(i, new Dictionary<string, double>
        {
            [MetricNames.ObjectiveScores] = Math.Log(i + 1),
            [MetricNames.ObjectiveKl] = 0.1 * i,
            [MetricNames.ObjectiveEntropy] = 2.0 - 0.01 * i,
            [MetricNames.LossPolicyAvg] = -0.02 + 0.001 * i,
            [MetricNames.LossValueAvg] = 1.0 / i,
        })),
    ];

    [Fact]
    public void Render_FullRun_OneSvgPerPlotAndOnePointPerIteration()
    {
        var html = HtmlReport.Render(new ReportData("run", Run(25)));

        Assert.Equal(PlotSpec.Ppo.Count, SvgOpen().Matches(html).Count);
        var polylines = Polyline().Matches(html);
        Assert.Equal(5, polylines.Count);   // eval/score has no data: no line
        Assert.All(polylines, m => Assert.Equal(25, m.Groups["points"].Value.Split(' ').Length));
        Assert.Contains("data-metric=\"objective/kl\"", html);
        Assert.Contains(">iteration</text>", html);
        Assert.Contains("eval/score (missing)", html);
    }

    [Fact]
    public void Render_EvalEveryFifthIteration_EvalLineHasOnlyThosePoints()
    {
        var records = Run(20);
        foreach (var r in records.Where(r => r.Iteration % 5 == 0))
            ((Dictionary<string, double>)r.Values)[MetricNames.EvalScore] = r.Iteration;

        var html = HtmlReport.Render(new ReportData("run", records));

        var eval = Polyline().Matches(html).Single(m => m.Groups["metric"].Value == MetricNames.EvalScore);
        Assert.Equal(4, eval.Groups["points"].Value.Split(' ').Length);
    }

    [Fact]
    public void Render_SingleIteration_OnePointLinesWithDots()
    {
        var html = HtmlReport.Render(new ReportData("one", Run(1)));

        var polylines = Polyline().Matches(html);
        Assert.Equal(5, polylines.Count);   // eval/score has no data: no line
        Assert.All(polylines, m => Assert.Single(m.Groups["points"].Value.Split(' ')));
        Assert.Equal(5, Regex.Matches(html, "<circle ").Count);
        Assert.Contains("1 iteration logged", html);
    }

    [Fact]
    public void Render_NoMetrics_EveryPlotSaysNoData()
    {
        var html = HtmlReport.Render(new ReportData("empty", []));

        Assert.Equal(4, SvgOpen().Matches(html).Count);
        Assert.Equal(4, Regex.Matches(html, "class=\"nodata\"").Count);
        Assert.Empty(Polyline().Matches(html));
    }

    [Fact]
    public void Render_NaNValues_SkippedFromLines()
    {
        var records = Run(10);
        ((Dictionary<string, double>)records[3].Values)[MetricNames.ObjectiveKl] = double.NaN;

        var html = HtmlReport.Render(new ReportData("run", records));

        var kl = Polyline().Matches(html).Single(m => m.Groups["metric"].Value == MetricNames.ObjectiveKl);
        Assert.Equal(9, kl.Groups["points"].Value.Split(' ').Length);
        Assert.DoesNotContain("NaN,", html);
    }

    [Fact]
    public void Render_UntrustedText_IsEscaped()
    {
        var gates = GateEvaluator.EvaluateAll(GateEvaluator.ParseAll(["kl<=8"]), new Dictionary<string, double> { ["kl"] = 9 });
        var samples = new[] { new SampleRecord(1, "<script>alert(1)</script>", "a & b \"quoted\"", 0.5, 0.1) };

        var html = HtmlReport.Render(new ReportData("<b>run</b>", Run(2), new Dictionary<string, double> { ["x<y"] = 1 }, gates, samples));

        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>run</b>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("a &amp; b &quot;quoted&quot;", html);
        Assert.Contains("&lt;b&gt;run&lt;/b&gt;", html);
        Assert.Contains("x&lt;y", html);
        Assert.Contains("gate failed: kl&lt;=8 (kl = 9)", html);
    }

    [Fact]
    public void Render_AnyRun_HasNoExternalResources()
    {
        var html = HtmlReport.Render(new ReportData("run", Run(5)));

        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("href", html);
        Assert.DoesNotContain("url(", html);
        Assert.StartsWith("<!DOCTYPE html>", html);
    }

    [Fact]
    public void Render_SummaryAndGates_Tabulated()
    {
        var summary = new RunSummary(0.1, 0.7, 3.2, 1.0, 1.2, 5, 42).ToDictionary();
        var gates = GateEvaluator.EvaluateAll(GateEvaluator.ParseAll(["score_gain>=0.5", "kl<=3"]), summary);

        var html = HtmlReport.Render(new ReportData("run", Run(5), summary, gates));

        Assert.Contains("<td>score_gain</td><td class=\"num\">0.6</td>", html);
        Assert.Contains("class=\"pass\">passed", html);
        Assert.Contains("class=\"fail\">failed", html);
    }

    [Fact]
    public void FromRun_RunDirectory_ReadsMetricsSummaryAndSamples()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        using (var w = run.OpenMetricsWriter())
        {
            foreach (var r in Run(3))
                w.Append(r.Iteration, r.Values);
        }
        run.WriteSummary(new RunSummary(0, 1, 2, 3, 4, 3, 5));

        var data = ReportData.FromRun(run, "r");
        run.WriteReport(HtmlReport.Render(data));

        Assert.Equal(3, data.Metrics.Count);
        Assert.Equal(1, data.Summary!["score_gain"]);
        Assert.Contains("<svg", File.ReadAllText(run.ReportPath));
    }

    [Theory]
    [InlineData(0, 1, 5, 0.2)]
    [InlineData(0, 97, 5, 20)]
    [InlineData(-0.013, 0.004, 5, 0.005)]
    public void Step_Range_IsNice(double min, double max, int count, double expected)
    {
        Assert.Equal(expected, AxisTicks.Step(min, max, count), 9);
    }

    [GeneratedRegex("<svg [^>]*class=\"plot\"")]
    private static partial Regex SvgOpen();

    [GeneratedRegex("<polyline data-metric=\"(?<metric>[^\"]*)\" points=\"(?<points>[^\"]*)\"")]
    private static partial Regex Polyline();
}
