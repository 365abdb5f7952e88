using System.Globalization;
using System.Net;
using System.Text;
using Rlhf.Configuration.Runs;

namespace Rlhf.Orchestration.Reporting;

/// <summary>
/// Renders one <see cref="PlotSpec"/> as an inline SVG: x = iteration, y = metric value, nice ticks on both axes
/// (<see cref="AxisTicks"/>, the axes widened to the ticks just outside the data), axis labels with units, a legend,
/// and one <c>&lt;polyline&gt;</c> per metric with one point per iteration where the metric is finite. A sparse line
/// (fewer points than half the iterations on the axis, e.g. held-out evaluations) gets a dot at every point and its
/// first and last values written beside them. A plot without any data shows "no data".
/// </summary>
public static class SvgLinePlot
{
    private const int Width = 560, Height = 300, Left = 64, Right = 40, Top = 46, Bottom = 46;
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    /// <summary>The SVG element for <paramref name="spec"/> over <paramref name="records"/>.</summary>
    public static string Render(PlotSpec spec, IReadOnlyList<MetricsRecord> records)
    {
        var series = spec.Metrics
            .Select(m => (Metric: m, Points: records
                .Where(r => r.Values.TryGetValue(m, out var v) && double.IsFinite(v))
                .Select(r => (X: (double)r.Iteration, Y: r.Values[m]))
                .OrderBy(p => p.X)
                .ToList()))
            .ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{E(spec.Title)}\">");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"18\" text-anchor=\"middle\" class=\"title\">{E(spec.Title)}</text>");
        var all = series.SelectMany(s => s.Points).ToList();
        if (all.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" class=\"frame\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" class=\"nodata\">no data ({E(string.Join(", ", spec.Metrics))})</text>");
            return sb.Append("</svg>").ToString();
        }

        // 1. domains: nice scales widened to the outer ticks (x: whole iterations)
        var (xMin, xMax, xStep) = AxisTicks.NiceScale(all.Min(p => p.X), all.Max(p => p.X), 6, integer: true);
        var (yMin, yMax, yStep) = AxisTicks.NiceScale(all.Min(p => p.Y), all.Max(p => p.Y), 5);
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Sx(double x) => Left + (x - xMin) / (xMax - xMin) * plotW;
        double Sy(double y) => Top + (yMax - y) / (yMax - yMin) * plotH;

        // 2. grid, ticks and tick labels
        sb.Append("<g class=\"axis\">");
        foreach (var t in AxisTicks.Ticks(yMin, yMax, yStep))
        {
            var y = Sy(t);
            sb.Append(Inv($"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Width - Right}\" y2=\"{y:F1}\" class=\"grid\"/>"));
            sb.Append(Inv($"<line x1=\"{Left - 5}\" y1=\"{y:F1}\" x2=\"{Left}\" y2=\"{y:F1}\" class=\"tick\"/>"));
            sb.Append(Inv($"<text x=\"{Left - 8}\" y=\"{y + 4:F1}\" text-anchor=\"end\" class=\"ytick\">{AxisTicks.Format(t, yStep)}</text>"));
        }
        foreach (var t in AxisTicks.Ticks(xMin, xMax, xStep))
        {
            var x = Sx(t);
            sb.Append(Inv($"<line x1=\"{x:F1}\" y1=\"{Height - Bottom}\" x2=\"{x:F1}\" y2=\"{Height - Bottom + 5}\" class=\"tick\"/>"));
            sb.Append(Inv($"<text x=\"{x:F1}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\" class=\"xtick\">{AxisTicks.Format(t, xStep)}</text>"));
        }
        sb.Append(Inv($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" class=\"frame\"/>"));
        sb.Append(Inv($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 6}\" text-anchor=\"middle\" class=\"label\">iteration</text>"));
        sb.Append(Inv($"<text transform=\"translate(14 {Top + plotH / 2:F1}) rotate(-90)\" text-anchor=\"middle\" class=\"label\">{E(spec.YLabel)}</text>"));
        sb.Append("</g>");

        // 3. one polyline per metric; sparse lines get dots and their end values; the legend is a row under the title
        var lx = (double)Left;
        var iterationsOnAxis = xMax - xMin + 1;
        for (var i = 0; i < series.Count; i++)
        {
            var (metric, points) = series[i];
            var color = Palette[i % Palette.Length];
            if (points.Count > 0)
            {
                var coordinates = string.Join(' ', points.Select(p => Inv($"{Sx(p.X):F1},{Sy(p.Y):F1}")));
                sb.Append(Inv($"<polyline data-metric=\"{E(metric)}\" points=\"{coordinates}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"/>"));
                if (points.Count < iterationsOnAxis / 2)
                {
                    foreach (var p in points)
                        sb.Append(Inv($"<circle cx=\"{Sx(p.X):F1}\" cy=\"{Sy(p.Y):F1}\" r=\"3.5\" fill=\"{color}\"/>"));
                    foreach (var p in points.Count == 1 ? [points[0]] : new[] { points[0], points[^1] })
                        sb.Append(Inv($"<text x=\"{Sx(p.X):F1}\" y=\"{Sy(p.Y) - 8:F1}\" text-anchor=\"middle\" class=\"value\" fill=\"{color}\">{p.Y.ToString("G3", CultureInfo.InvariantCulture)}</text>"));
                }
            }
            const int ly = Top - 8;
            var label = metric + (points.Count == 0 ? " (missing)" : "");
            sb.Append(Inv($"<line x1=\"{lx:F1}\" y1=\"{ly - 4}\" x2=\"{lx + 18:F1}\" y2=\"{ly - 4}\" stroke=\"{color}\" stroke-width=\"2.5\"/>"));
            sb.Append(Inv($"<text x=\"{lx + 24:F1}\" y=\"{ly}\" class=\"legend\">{E(label)}</text>"));
            lx += 24 + 6.0 * label.Length + 12;   // approximate width of 11 px text
        }
        return sb.Append("</svg>").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
