using System.Text.RegularExpressions;
using Rlhf.Alignment;
using Rlhf.Orchestration.Gates;
using Rlhf.Orchestration.Reporting;
using Rlhf.Configuration.Runs;

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

        Assert.Equal(PlotSpec.Ppo.Count, SvgOpen().Matches(html).Count);
        Assert.Equal(PlotSpec.Ppo.Count, Regex.Matches(html, "class=\"nodata\"").Count);
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
    [InlineData(0.1, 9.9, 0, 10, 2)]        // the KL axis that had only the ticks 0 and 5
    [InlineData(0, 1, 0, 1, 0.2)]
    [InlineData(0, 97, 0, 100, 20)]
    [InlineData(-0.013, 0.004, -0.015, 0.005, 0.005)]
    [InlineData(0.43, 0.61, 0.4, 0.65, 0.05)]
    public void NiceScale_Range_WidenedToNiceOuterTicks(double min, double max, double lo, double hi, double step)
    {
        var scale = AxisTicks.NiceScale(min, max);

        Assert.Equal(lo, scale.Min, 9);
        Assert.Equal(hi, scale.Max, 9);
        Assert.Equal(step, scale.Step, 9);
        Assert.InRange((int)Math.Round((scale.Max - scale.Min) / scale.Step), 3, 10);
    }

    [Theory]
    [InlineData(1, 50, 0, 50, 10)]
    [InlineData(1, 3, 1, 3, 1)]
    [InlineData(0, 7, 0, 7, 1)]
    [InlineData(0, 20, 0, 20, 5)]
    public void NiceScale_Iterations_WholeSteps(double min, double max, double lo, double hi, double step)
    {
        Assert.Equal((lo, hi, step), AxisTicks.NiceScale(min, max, 6, integer: true));
    }

    [Theory]
    [InlineData(7.5, 2.5, "7.5")]
    [InlineData(0.15, 0.05, "0.15")]
    [InlineData(10, 2, "10")]
    [InlineData(-0.0, 0.2, "0.0")]
    public void Format_Tick_AsManyDecimalsAsTheStepNeeds(double value, double step, string expected)
    {
        Assert.Equal(expected, AxisTicks.Format(value, step));
    }

    [Fact]
    public void Render_KlUpToTen_YAxisLabelledEveryTwoNatsWithUnits()
    {
        var records = Run(50).Select(r => new MetricsRecord(r.Iteration, new Dictionary<string, double>(r.Values) { [MetricNames.ObjectiveKl] = 0.2 * r.Iteration - 0.1 })).ToList();

        var html = HtmlReport.Render(new ReportData("run", records));

        var kl = Plot(html, "KL to reference");
        Assert.Equal(["0", "2", "4", "6", "8", "10"], YTicks().Matches(kl).Select(m => m.Groups["v"].Value));
        Assert.Equal(["0", "10", "20", "30", "40", "50"], XTicks().Matches(kl).Select(m => m.Groups["v"].Value));
        Assert.Contains("KL (nats per response)", kl);
    }

    [Fact]
    public void Render_SummaryWithInitialAndFinalEval_EvalCurveStartsAtZeroAndEndsAtTheLastIteration()
    {
        var records = Run(20);
        ((Dictionary<string, double>)records[9].Values)[MetricNames.EvalScore] = 0.8;
        var summary = new RunSummary(0.05, 1.3, 6.8, 1.36, 1.37, 20, 116).ToDictionary();

        var html = HtmlReport.Render(new ReportData("run", records, summary));

        var eval = Polyline().Matches(html).Single(m => m.Groups["metric"].Value == MetricNames.EvalScore);
        var points = eval.Groups["points"].Value.Split(' ').Select(p => double.Parse(p.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, points.Count);
        var score = Plot(html, "Score");
        Assert.Equal(3, Regex.Matches(score, "<circle ").Count);   // the sparse eval line is drawn with dots
        Assert.Contains(">0.05</text>", score);                     // its first and last values (3 significant digits) beside them
        Assert.Contains(">1.3</text>", score);
        Assert.Equal("0", XTicks().Matches(score).First().Groups["v"].Value);
        Assert.Equal([64.0, 292.0, 520.0], points);   // x = 0, 10, 20 on an axis from 0 to 20 (frame from 64 to 520 px)
        Assert.Contains("held-out score <b>0.050 → 1.300</b> (+1.250)", html);
    }

    [Fact]
    public void Render_EvalSamples_BeforeAfterPanelPairsTheSamePromptsAndShowsDiversity()
    {
        EvalSampleRecord[] samples =
        [
            new(EvalSampleRecord.Initial, 0, 0, "Tom had a ball.", "He was sad and cried.", -0.8, 0),
            new(EvalSampleRecord.Initial, 0, 1, "Tom had a ball.", "It rolled away.", -0.1, 0),
            new(EvalSampleRecord.Initial, 0, 2, "The sky was grey.", "Rain fell on the town.", -0.2, 0),
            new(EvalSampleRecord.Final, 30, 0, "Tom had a ball.", "One day he was happy.", 1.2, 5.5),
            new(EvalSampleRecord.Final, 30, 1, "Tom had a ball.", "One day he was happy.", 1.2, 5.1),
            new(EvalSampleRecord.Final, 30, 2, "The sky was grey.", "One day the sun was happy.", 1.1, 6.0),
        ];

        var html = HtmlReport.Render(new ReportData("run", Run(30)) { EvalSamples = samples });

        var panel = html[html.IndexOf("<h2>Before and after training</h2>", StringComparison.Ordinal)..];
        var rows = Regex.Matches(panel[panel.IndexOf("class=\"before-after\"", StringComparison.Ordinal)..], "<tr><td class=\"text\">(?<prompt>[^<]*)</td><td class=\"text\">(?<before>[^<]*)</td><td class=\"num score\">(?<bs>[^<]*)</td><td class=\"text\">(?<after>[^<]*)</td><td class=\"num score\">(?<as>[^<]*)</td>");
        Assert.Equal(2, rows.Count);   // one row per prompt: its first sample
        Assert.Equal(("Tom had a ball.", "He was sad and cried.", "-0.800", "One day he was happy.", "1.200"),
            (rows[0].Groups["prompt"].Value, rows[0].Groups["before"].Value, rows[0].Groups["bs"].Value, rows[0].Groups["after"].Value, rows[0].Groups["as"].Value));
        Assert.Equal("Rain fell on the town.", rows[1].Groups["before"].Value);
        Assert.Contains("iteration 30", panel);
        Assert.Matches("<td>self-BLEU</td><td class=\"num\">[0-9.]+</td><td class=\"num\">[0-9.]+</td><td class=\"num down\">\\+", panel);
        Assert.Matches("<td>distinct-2</td><td class=\"num\">1.000</td><td class=\"num\">0\\.[0-9]+</td><td class=\"num down\">", panel);
    }

    [Fact]
    public void Render_NoEvalSamples_PanelSaysWhatIsMissing()
    {
        var html = HtmlReport.Render(new ReportData("run", Run(3)));

        Assert.Contains("no initial evaluation samples (eval_samples.jsonl)", html);
    }

    [Fact]
    public void FromRun_RunDirectoryWithConfig_KeyValuesAtTheTopInCatalogueOrder()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        run.WriteConfig("""
            # Policy-gradient algorithm
            algorithm: ppo
            batch_size: 32
            iterations: 50
            target_kl: null
            policy_model: "/data/shared/stories260K.bin"
            prompts:
              path: "/data/shared/tinystories_train_head.txt"
            """);

        var data = ReportData.FromRun(run, "r");
        var html = HtmlReport.Render(data);

        Assert.Equal(["algorithm", "iterations", "batch_size", "target_kl", "policy_model", "prompts.path"], data.Config.Select(kv => kv.Key));
        Assert.Equal("null", data.Config.Single(kv => kv.Key == "target_kl").Value);
        Assert.True(html.IndexOf("<table class=\"config\">", StringComparison.Ordinal) < html.IndexOf("<h2>Plots</h2>", StringComparison.Ordinal));
        Assert.Contains("<td class=\"key\">policy_model</td><td class=\"value\" title=\"/data/shared/stories260K.bin\">…/shared/stories260K.bin</td>", html);
    }

    [GeneratedRegex("<svg [^>]*class=\"plot\"")]
    private static partial Regex SvgOpen();

    [GeneratedRegex("<polyline data-metric=\"(?<metric>[^\"]*)\" points=\"(?<points>[^\"]*)\"")]
    private static partial Regex Polyline();

    [GeneratedRegex("class=\"ytick\">(?<v>[^<]*)</text>")]
    private static partial Regex YTicks();

    [GeneratedRegex("class=\"xtick\">(?<v>[^<]*)</text>")]
    private static partial Regex XTicks();

    /// <summary>The SVG of the plot titled <paramref name="title"/>.</summary>
    private static string Plot(string html, string title) =>
        Regex.Matches(html, "<svg .*?</svg>", RegexOptions.Singleline).Select(m => m.Value).Single(svg => svg.Contains($"aria-label=\"{title}\"", StringComparison.Ordinal));
}
