using Microsoft.Extensions.Time.Testing;
using Rlhf.Configuration.Runs;

namespace Rlhf.Orchestration.Tests;

/// <summary>Progress (issue 16, item 5): elapsed time and ETA on every line, a bar on a terminal, plain lines otherwise.</summary>
public sealed class ProgressReporterTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Report_LineAfterEachItem_EndsWithElapsedAndEtaAtTheAverageRate()
    {
        var lines = new List<string>();
        var reporter = new ProgressReporter(lines.Add, _clock);

        using (var pass = reporter.Start("ppo", 50))
        {
            _clock.Advance(TimeSpan.FromSeconds(4));
            pass.Report(1, "iter 1/50");
            _clock.Advance(TimeSpan.FromSeconds(6));
            pass.Report(2, "iter 2/50");
        }

        Assert.Equal(["iter 1/50  elapsed 4s  ETA 3m16s", "iter 2/50  elapsed 10s  ETA 4m00s"], lines);
    }

    [Fact]
    public void Start_ResumedPass_EtaCountsOnlyTheItemsDoneSinceTheStart()
    {
        var lines = new List<string>();
        var pass = new ProgressReporter(lines.Add, _clock).Start("ppo", 50, completed: 40);

        Assert.Null(pass.Remaining);
        Assert.EndsWith("ETA --", pass.Timing);
        _clock.Advance(TimeSpan.FromSeconds(3));
        pass.Report(41, "iter 41/50");

        Assert.Equal(TimeSpan.FromSeconds(27), pass.Remaining);
        Assert.Equal("iter 41/50  elapsed 3s  ETA 27s", Assert.Single(lines));
    }

    [Fact]
    public void Report_NoTerminalAndNoLines_OnePlainLinePerTenthOfThePass()
    {
        var lines = new List<string>();
        using var pass = new ProgressReporter(lines.Add, _clock).Start("scoring", 100);

        for (var i = 1; i <= 100; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            pass.Report(i);
        }

        Assert.Equal(10, lines.Count);
        Assert.Equal("scoring 10/100 (10%)  elapsed 10s  ETA 1m30s", lines[0]);
        Assert.Equal("scoring 100/100 (100%)  elapsed 1m40s  ETA 0s", lines[^1]);
        Assert.All(lines, l => Assert.DoesNotContain('\r', l));
    }

    [Fact]
    public void Report_OwnLinesMoreOftenThanATenth_NoExtraPlainLines()
    {
        var lines = new List<string>();
        using var pass = new ProgressReporter(lines.Add, _clock).Start("train-reward", 100);

        for (var i = 1; i <= 100; i++)
            pass.Report(i, i % 5 == 0 ? $"step {i}" : null);

        Assert.Equal(20, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("step ", l));
    }

    [Fact]
    public void Report_PlainLinesOff_OnlyOwnLines()
    {
        var lines = new List<string>();
        using var pass = new ProgressReporter(lines.Add, _clock).Start("eval", 10, plainLines: false);

        for (var i = 1; i <= 10; i++)
            pass.Report(i);

        Assert.Empty(lines);
    }

    [Fact]
    public void Report_Terminal_BarRedrawnInPlaceAndLinesPrintedAboveIt()
    {
        var output = new StringWriter();
        var reporter = new ProgressReporter(output, interactive: true, _clock, width: 200);

        using (var pass = reporter.Start("ppo", 4))
        {
            _clock.Advance(TimeSpan.FromSeconds(2));
            pass.Report(1, "iter 1/4");
            pass.Report(2);
        }
        reporter.WriteLine("done");

        var text = output.ToString();
        Assert.Contains("ppo [░░░░░░░░░░░░░░░░░░░░░░░░] 0/4   0%  elapsed 0s  ETA --", text);
        Assert.Contains("\r\u001b[Kiter 1/4  elapsed 2s  ETA 6s" + Environment.NewLine, text);
        Assert.Contains("ppo [██████░░░░░░░░░░░░░░░░░░] 1/4  25%", text);
        Assert.Contains("ppo [████████████░░░░░░░░░░░░] 2/4  50%  elapsed 2s  ETA 2s", text);
        Assert.EndsWith("\r\u001b[Kdone" + Environment.NewLine, text);   // the bar is erased when the pass ends
        Assert.Equal(1, text.Split('\n').Count(l => l.Contains("iter 1/4")));
    }

    [Fact]
    public void Start_NestedPassOnATerminal_ShowsItsBarThenTheOuterOneAgain()
    {
        var output = new StringWriter();
        var reporter = new ProgressReporter(output, interactive: true, _clock, width: 200);
        using var outer = reporter.Start("train-reward", 10);
        outer.Report(5);

        using (var inner = reporter.Start("eval", 4, plainLines: false))
            inner.Report(2);
        var afterInner = output.ToString().Length;
        outer.Report(6);

        var text = output.ToString();
        Assert.Contains("eval [████████████░░░░░░░░░░░░] 2/4", text);
        Assert.Contains("train-reward [", text[afterInner..]);
        Assert.Contains("6/10", text[afterInner..]);
    }

    [Fact]
    public void Bar_NarrowTerminal_CutToTheWidth()
    {
        var output = new StringWriter();
        using var pass = new ProgressReporter(output, interactive: true, _clock, width: 30).Start("train-reward", 10);

        Assert.Equal(29, output.ToString().Length);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(59.4, "59s")]
    [InlineData(185, "3m05s")]
    [InlineData(3720, "1h02m")]
    public void FormatDuration_Seconds_CompactForm(double seconds, string expected)
    {
        Assert.Equal(expected, ProgressReporter.FormatDuration(TimeSpan.FromSeconds(seconds)));
    }
}
