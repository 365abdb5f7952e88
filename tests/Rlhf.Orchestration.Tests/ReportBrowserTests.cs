using System.Text.Json;
using System.Text.RegularExpressions;
using Rlhf.Alignment;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Tests.Infrastructure;
using Rlhf.Orchestration.Training;
using StbImageSharp;

namespace Rlhf.Orchestration.Tests;

/// <summary>
/// report.html in a real browser (issue 16, item 6): a whole run against scripted services writes the report, and
/// headless Chromium lays it out. The DOM check measures what the browser drew (plot lines with a size, ticks, table
/// rows with text); the screenshot check reads the pixels (not blank, the plot colours present). The screenshot is
/// kept as <c>report-screenshot.png</c> beside the test binary for a look by eye.
/// </summary>
public sealed partial class ReportBrowserTests : IAsyncLifetime
{
    private const int Iterations = 12;
    private readonly TempDir _temp = new();
    private RunDirectory _run = null!;

    public async Task InitializeAsync()
    {
        var config = FakeServices.Config();
        (config.Iterations, config.EvalEvery, config.SampleEvery, config.SaveEvery, config.BatchSize, config.MiniBatchSize) = (Iterations, 4, 4, 6, 8, 4);
        config.OutputDir = _temp.Sub("run");
        var prompts = Enumerable.Range(0, 16).Select(i => $"Prompt number {i} of the story.").ToList();
        var heldOut = Enumerable.Range(0, 6).Select(i => $"Held-out prompt {i}: once there was a little girl.").ToList();
        var result = await PpoRun.RunAsync(config, new FakeServices(varied: true).Clients, prompts, heldOut, new PpoRunOptions(RunId: "browser"), CancellationToken.None);
        _run = result.RunDirectory;
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    [ChromiumFact]
    public void Report_InChromium_EveryPlotDrawnAndEveryTableFilled()
    {
        // the report plus a script that measures the laid-out page and writes the numbers into the DOM
        var html = File.ReadAllText(_run.ReportPath).Replace("</body>", MeasureScript + "</body>", StringComparison.Ordinal);
        var page = _temp.File("measured.html", html);

        var dom = Chromium.DumpDom(page);

        var json = CheckOutput().Match(dom);
        Assert.True(json.Success, "the measuring script did not run: " + dom[..Math.Min(400, dom.Length)]);
        using var check = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(json.Groups["json"].Value));
        var plots = check.RootElement.GetProperty("plots").EnumerateArray().ToList();
        Assert.Equal(["Score", "KL to reference", "Entropy", "Losses", "Diversity of the responses"], plots.Select(p => p.GetProperty("title").GetString()));
        foreach (var plot in plots)
        {
            var title = plot.GetProperty("title").GetString();
            Assert.True(plot.GetProperty("width").GetDouble() >= 500, $"{title}: drawn {plot.GetProperty("width")} px wide");
            Assert.False(plot.GetProperty("nodata").GetBoolean(), $"{title}: no data");
            Assert.True(plot.GetProperty("yticks").GetInt32() >= 4, $"{title}: {plot.GetProperty("yticks")} y ticks");
            Assert.True(plot.GetProperty("xticks").GetInt32() >= 3, $"{title}: {plot.GetProperty("xticks")} x ticks");
            var lines = plot.GetProperty("lines").EnumerateArray().ToList();
            Assert.NotEmpty(lines);
            foreach (var line in lines)
            {
                var metric = line.GetProperty("metric").GetString();
                Assert.True(line.GetProperty("points").GetInt32() >= 2, $"{title}: {metric} has fewer than 2 points");
                Assert.True(line.GetProperty("w").GetDouble() > 100, $"{title}: {metric} drawn {line.GetProperty("w")} px wide");
            }
        }
        var eval = plots[0].GetProperty("lines").EnumerateArray().Single(l => l.GetProperty("metric").GetString() == MetricNames.EvalScore);
        Assert.Equal(4, eval.GetProperty("points").GetInt32());   // the initial evaluation, iterations 4 and 8, the final one
        Assert.Equal(3, plots[4].GetProperty("lines").GetArrayLength());

        var tables = check.RootElement.GetProperty("tables");
        Assert.True(tables.GetProperty("config").GetProperty("rows").GetInt32() >= 5);
        Assert.Equal(5, tables.GetProperty("diversity").GetProperty("rows").GetInt32());
        Assert.Equal(6, tables.GetProperty("before-after").GetProperty("rows").GetInt32());   // one per held-out prompt
        Assert.True(tables.GetProperty("summary").GetProperty("rows").GetInt32() >= 8);
        Assert.True(tables.GetProperty("samples").GetProperty("rows").GetInt32() > 0);
        Assert.True(tables.GetProperty("before-after").GetProperty("width").GetDouble() > 600);
    }

    [ChromiumFact]
    public void Report_Screenshot_NotBlankAndShowsThePlotColours()
    {
        var png = _temp.Sub("report.png");

        Chromium.Screenshot(_run.ReportPath, png, 1400, 3000);

        var image = ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlue);
        File.Copy(png, Path.Combine(AppContext.BaseDirectory, "report-screenshot.png"), overwrite: true);
        Assert.Equal((1400, 3000), (image.Width, image.Height));
        long ink = 0, blue = 0, red = 0, green = 0;
        for (var i = 0; i < image.Data.Length; i += 3)
        {
            int r = image.Data[i], g = image.Data[i + 1], b = image.Data[i + 2];
            if (r + g + b < 3 * 235)
                ink++;
            if (Near(r, g, b, 0x1f, 0x77, 0xb4))
                blue++;
            if (Near(r, g, b, 0xd6, 0x27, 0x28))
                red++;
            if (Near(r, g, b, 0x2c, 0xa0, 0x2c))
                green++;
        }
        var pixels = (double)image.Width * image.Height;
        Assert.True(ink / pixels > 0.01, $"only {ink / pixels:P2} of the page is not white");
        Assert.True(blue > 2000, $"{blue} pixels of the first line colour");
        Assert.True(red > 1000, $"{red} pixels of the second line colour");
        Assert.True(green > 300, $"{green} pixels of the third line colour (diversity plot)");
    }

    private static bool Near(int r, int g, int b, int r0, int g0, int b0) => Math.Abs(r - r0) + Math.Abs(g - g0) + Math.Abs(b - b0) < 40;

    private const string MeasureScript = """
        <pre id="check"></pre><script>
        const out = { plots: [], tables: {} };
        for (const svg of document.querySelectorAll('svg.plot')) {
          const box = svg.getBoundingClientRect();
          const lines = [...svg.querySelectorAll('polyline')].map(p => {
            const b = p.getBBox();
            return { metric: p.dataset.metric, points: p.points.numberOfItems, w: b.width, h: b.height };
          });
          out.plots.push({ title: svg.getAttribute('aria-label'), width: box.width, height: box.height, lines,
            yticks: svg.querySelectorAll('.ytick').length, xticks: svg.querySelectorAll('.xtick').length,
            nodata: svg.querySelector('.nodata') !== null });
        }
        for (const t of document.querySelectorAll('table')) {
          const rows = [...t.rows].slice(1).filter(r => r.getBoundingClientRect().height > 0
            && [...r.cells].some(c => c.textContent.trim().length > 0));
          out.tables[t.className] = { rows: rows.length, width: t.getBoundingClientRect().width };
        }
        document.getElementById('check').textContent = JSON.stringify(out);
        </script>
        """;

    [GeneratedRegex("<pre id=\"check\">(?<json>.*?)</pre>", RegexOptions.Singleline)]
    private static partial Regex CheckOutput();
}
