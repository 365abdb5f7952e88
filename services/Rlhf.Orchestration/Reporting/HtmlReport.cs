using System.Globalization;
using System.Net;
using System.Text;
using Rlhf.Alignment;
using Rlhf.Configuration.Runs;

namespace Rlhf.Orchestration.Reporting;

/// <summary>
/// A self-contained HTML page (<c>report.html</c>), top to bottom: the headline numbers and the run's key config
/// values, the gate results, inline SVG plots (<see cref="SvgLinePlot"/>; the eval curve includes the initial and the
/// final evaluation from summary.json, <see cref="ReportData.EvalEndpoints"/>), the before/after panel (the same
/// held-out prompts answered by the initial and the final policy, with scores, and the diversity of all held-out
/// responses before and after, <see cref="TextDiversity"/>), the summary table and the last training samples.
/// No scripts, fonts, images or other external resources; every text from the run is HTML-escaped.
/// </summary>
public static class HtmlReport
{
    /// <summary>How many of the most recent samples are shown.</summary>
    public const int MaxSamples = 12;

    /// <summary>How many held-out prompts the before/after panel shows (the first sample of each).</summary>
    public const int MaxBeforeAfterPrompts = 10;

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fff;max-width:1720px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px}
        .meta{color:#666;font-size:13px;margin:2px 0}.headline{font-size:15px;margin:8px 0}
        .plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:12px}
        svg.plot{background:#fff;border:1px solid #ddd;border-radius:4px;font-size:11px}
        svg .title{font-size:14px;font-weight:600}svg .label{font-size:12px;fill:#444}
        svg .grid{stroke:#eee}svg .tick{stroke:#888}svg .frame{fill:none;stroke:#888}
        svg .legend{font-size:11px}svg .nodata{fill:#999;font-size:13px}svg .value{font-size:10px;font-weight:600}
        table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
        table.config td.key{color:#555;background:#fafafa}table.config td.value{font-family:ui-monospace,monospace}
        .pass{color:#137333;font-weight:600}.fail{color:#c5221f;font-weight:600}
        td.text{max-width:520px;white-space:pre-wrap}td.score{white-space:nowrap}
        table.before-after td.text{max-width:640px}.up{color:#137333}.down{color:#c5221f}
        """;

    /// <summary>The HTML page.</summary>
    public static string Render(ReportData data)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<title>").Append(E(data.Title)).Append("</title><style>").Append(Css).Append("</style></head><body>\n");
        sb.Append("<h1>").Append(E(data.Title)).Append("</h1>");
        var iterations = data.Metrics.Select(m => m.Iteration).Distinct().Count();
        sb.Append(CultureInfo.InvariantCulture, $"<p class=\"meta\">{iterations} iteration{(iterations == 1 ? "" : "s")} logged</p>\n");
        Headline(sb, data.Summary);
        KeyConfig(sb, data.Config);
        Gates(sb, data);

        sb.Append("\n<h2>Plots</h2><div class=\"plots\">\n");
        var records = data.Metrics.Concat(data.EvalEndpoints).ToList();
        foreach (var plot in data.Plots)
            sb.Append(SvgLinePlot.Render(plot, records)).Append('\n');
        sb.Append("</div>\n");

        BeforeAfter(sb, data.EvalSamples);

        sb.Append("\n<h2>Summary</h2>");
        if (data.Summary is not { Count: > 0 })
        {
            sb.Append("<p class=\"meta\">no summary</p>");
        }
        else
        {
            sb.Append("<table class=\"summary\"><tr><th>metric</th><th>value</th></tr>");
            foreach (var (k, v) in data.Summary)
                sb.Append("<tr><td>").Append(E(k)).Append("</td><td class=\"num\">").Append(FormatValue(v)).Append("</td></tr>");
            sb.Append("</table>");
        }

        if (data.Samples is { Count: > 0 })
        {
            sb.Append("\n<h2>Training samples</h2><p class=\"meta\">the last ").Append(Math.Min(MaxSamples, data.Samples.Count))
              .Append(" logged rollouts (samples.jsonl)</p><table class=\"samples\"><tr><th>iteration</th><th>prompt</th><th>response</th><th>score</th><th>kl</th></tr>");
            foreach (var s in data.Samples.Skip(Math.Max(0, data.Samples.Count - MaxSamples)))
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"num\">{s.Iteration}</td><td class=\"text\">{E(s.Prompt)}</td><td class=\"text\">{E(s.Response)}</td><td class=\"num\">{FormatValue(s.Score)}</td><td class=\"num\">{FormatValue(s.Kl)}</td></tr>");
            sb.Append("</table>");
        }
        sb.Append("\n</body></html>\n");
        return sb.ToString();
    }

    private static void Headline(StringBuilder sb, IReadOnlyDictionary<string, double>? summary)
    {
        if (summary is null || !summary.TryGetValue(SummaryKeys.InitialScore, out var initial) || !summary.TryGetValue(SummaryKeys.FinalScore, out var final))
            return;
        sb.Append(CultureInfo.InvariantCulture, $"<p class=\"headline\">held-out score <b>{F3(initial)} → {F3(final)}</b> ({Signed(final - initial)})");
        if (summary.TryGetValue(SummaryKeys.Kl, out var kl))
            sb.Append(CultureInfo.InvariantCulture, $" · KL to reference <b>{F3(kl)}</b> nats per response");
        if (summary.TryGetValue(SummaryKeys.RefNllInitial, out var a) && summary.TryGetValue(SummaryKeys.RefNllFinal, out var b))
            sb.Append(CultureInfo.InvariantCulture, $" · reference NLL {F3(a)} → {F3(b)} nats per token");
        if (summary.TryGetValue(SummaryKeys.WallSeconds, out var wall))
            sb.Append(" · ").Append(ProgressReporter.FormatDuration(TimeSpan.FromSeconds(double.IsFinite(wall) ? wall : 0))).Append(" of iterations");
        sb.Append("</p>\n");
    }

    private static void KeyConfig(StringBuilder sb, IReadOnlyList<KeyValuePair<string, string>> config)
    {
        if (config.Count == 0)
            return;
        const int perRow = 3;
        sb.Append("<h2>Configuration</h2><table class=\"config\">");
        for (var i = 0; i < config.Count; i += perRow)
        {
            sb.Append("<tr>");
            for (var j = i; j < i + perRow; j++)
            {
                if (j >= config.Count)
                {
                    sb.Append("<td class=\"key\"></td><td class=\"value\"></td>");
                    continue;
                }
                var (key, value) = config[j];
                var shown = value.Length == 0 ? "(unset)" : Path.IsPathRooted(value) ? ShortPath(value) : value;
                sb.Append("<td class=\"key\">").Append(E(key)).Append("</td><td class=\"value\"")
                  .Append(shown == value ? "" : $" title=\"{E(value)}\"").Append('>').Append(E(shown)).Append("</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</table>\n");
    }

    private static void Gates(StringBuilder sb, ReportData data)
    {
        sb.Append("<h2>Gates</h2>");
        if (data.Gates is not { Count: > 0 })
        {
            sb.Append("<p class=\"meta\">no gates</p>");
            return;
        }
        sb.Append("<table class=\"gates\"><tr><th>gate</th><th>result</th><th>detail</th></tr>");
        foreach (var g in data.Gates)
            sb.Append("<tr><td>").Append(E(g.Gate.ToString())).Append("</td><td class=\"").Append(g.Passed ? "pass\">passed" : "fail\">failed")
              .Append("</td><td>").Append(E(g.Reason)).Append("</td></tr>");
        sb.Append("</table>");
    }

    /// <summary>
    /// The same held-out prompts before and after training: the diversity and mean score of all held-out responses of
    /// each evaluation, then the first sample of the first <see cref="MaxBeforeAfterPrompts"/> prompts side by side.
    /// </summary>
    private static void BeforeAfter(StringBuilder sb, IReadOnlyList<EvalSampleRecord> samples)
    {
        sb.Append("\n<h2>Before and after training</h2>");
        var before = samples.Where(s => s.Phase == EvalSampleRecord.Initial).OrderBy(s => s.Index).ToList();
        var after = samples.Where(s => s.Phase == EvalSampleRecord.Final).OrderBy(s => s.Index).ToList();
        if (before.Count == 0 || after.Count == 0)
        {
            sb.Append("<p class=\"meta\">no ").Append(before.Count == 0 ? "initial" : "final").Append(" evaluation samples (eval_samples.jsonl)</p>");
            return;
        }
        var finalIteration = after[0].Iteration;
        sb.Append(CultureInfo.InvariantCulture,
            $"<p class=\"meta\">the held-out prompts answered by the initial policy (iteration 0) and the final one (iteration {finalIteration}), same prompts and sampling seed; diversity over all {before.Count} and {after.Count} responses: distinct-n = distinct n-grams / all n-grams of words (Li et al. 2016), self-BLEU = mean BLEU-4 of each response against the others (Zhu et al. 2018)</p>");
        var b = TextDiversity.Metrics([.. before.Select(s => s.Response)]);
        var a = TextDiversity.Metrics([.. after.Select(s => s.Response)]);
        sb.Append("<table class=\"diversity\"><tr><th>held-out responses</th><th>before</th><th>after</th><th>change</th></tr>");
        Row("mean score (normalized units)", before.Average(s => s.Score), after.Average(s => s.Score), higherIsBetter: true);
        Row("mean KL to reference (nats)", before.Average(s => s.Kl), after.Average(s => s.Kl), higherIsBetter: null);
        Row("distinct-1", b[MetricNames.DiversityDistinct1], a[MetricNames.DiversityDistinct1], higherIsBetter: true);
        Row("distinct-2", b[MetricNames.DiversityDistinct2], a[MetricNames.DiversityDistinct2], higherIsBetter: true);
        Row("self-BLEU", b[MetricNames.DiversitySelfBleu], a[MetricNames.DiversitySelfBleu], higherIsBetter: false);
        sb.Append("</table>\n");

        var finalByIndex = after.ToDictionary(s => s.Index);
        var rows = before.GroupBy(s => s.Prompt).Select(g => g.First()).Take(MaxBeforeAfterPrompts).ToList();
        sb.Append("<table class=\"before-after\" style=\"margin-top:10px\"><tr><th>held-out prompt</th><th>before: initial policy</th><th>score</th><th>after: final policy</th><th>score</th></tr>");
        foreach (var s in rows)
        {
            sb.Append("<tr><td class=\"text\">").Append(E(s.Prompt)).Append("</td><td class=\"text\">").Append(E(s.Response))
              .Append("</td><td class=\"num score\">").Append(F3(s.Score)).Append("</td>");
            if (finalByIndex.TryGetValue(s.Index, out var f) && f.Prompt == s.Prompt)
                sb.Append("<td class=\"text\">").Append(E(f.Response)).Append("</td><td class=\"num score\">").Append(F3(f.Score)).Append("</td>");
            else
                sb.Append("<td class=\"text\">(no final sample for this prompt)</td><td></td>");
            sb.Append("</tr>");
        }
        sb.Append("</table>\n");

        void Row(string name, double x, double y, bool? higherIsBetter)
        {
            var change = y - x;
            var css = higherIsBetter is null || !double.IsFinite(change) || change == 0 ? "" : (change > 0) == higherIsBetter ? " up" : " down";
            sb.Append("<tr><td>").Append(E(name)).Append("</td><td class=\"num\">").Append(F3(x)).Append("</td><td class=\"num\">").Append(F3(y))
              .Append("</td><td class=\"num").Append(css).Append("\">").Append(Signed(change)).Append("</td></tr>");
        }
    }

    /// <summary>The last two segments of a path (<c>…/reward-sst2/model</c>).</summary>
    private static string ShortPath(string path)
    {
        var parts = path.TrimEnd('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length <= 2 ? path : "…/" + string.Join('/', parts[^2..]);
    }

    private static string F3(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "NaN";

    private static string Signed(double v) => double.IsFinite(v) ? v.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture) : "NaN";

    private static string FormatValue(double v) =>
        double.IsNaN(v) ? "NaN" : v.ToString("G6", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
