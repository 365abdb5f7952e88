using System.Globalization;
using System.Text;

namespace Rlhf.Configuration.Runs;

/// <summary>
/// Progress of long passes (PPO iterations, reward-model training steps, scoring passes) on one text output, the one
/// place every command reports progress through:
/// <list type="bullet">
/// <item>every line of a pass ends with its elapsed time and an ETA (<see cref="ProgressPass.Timing"/>);</item>
/// <item>on a terminal (<see cref="IsInteractive"/>) the innermost running pass also shows a bar on the last line,
/// redrawn in place (carriage return and ANSI erase-line), and lines are printed above it;</item>
/// <item>elsewhere (a file, a pipe, CI) there are plain lines only: a pass's own lines, and for a pass started with
/// <c>plainLines</c> a progress line whenever a tenth of it has passed without one.</item>
/// </list>
/// The ETA is the remaining work at the pass's average rate so far: (total − done) · elapsed / (done − done at start).
/// Thread-safe; time comes from a <see cref="TimeProvider"/> (a fake one in tests).
/// </summary>
public sealed class ProgressReporter
{
    private const string EraseLine = "\r\u001b[K";
    private readonly Action<string> _writeLine;
    private readonly TextWriter? _terminal;
    private readonly int _width;
    private readonly List<ProgressPass> _passes = [];
    private readonly Lock _lock = new();
    private bool _barShown;

    /// <summary>Plain lines to <paramref name="writeLine"/> (a log, a test's list).</summary>
    public ProgressReporter(Action<string> writeLine, TimeProvider? time = null)
    {
        _writeLine = writeLine;
        Time = time ?? TimeProvider.System;
    }

    /// <summary>Lines to <paramref name="output"/>, with a bar when <paramref name="interactive"/>.</summary>
    /// <param name="output">The output.</param>
    /// <param name="interactive">Draw a bar (the output is a terminal).</param>
    /// <param name="time">Clock.</param>
    /// <param name="width">Columns of the terminal; the bar line is cut to one less.</param>
    public ProgressReporter(TextWriter output, bool interactive, TimeProvider? time = null, int width = 100)
        : this(output.WriteLine, time)
    {
        if (interactive)
            _terminal = output;
        _width = Math.Max(20, width);
    }

    /// <summary>A reporter that prints nothing.</summary>
    public static ProgressReporter None { get; } = new(_ => { });

    /// <summary>
    /// Standard output: a bar when it is a terminal (not redirected, and <c>TERM</c> is not <c>dumb</c>), plain lines
    /// otherwise.
    /// </summary>
    public static ProgressReporter ForConsole()
    {
        var interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
        var width = 100;
        if (interactive)
        {
            try
            {
                width = Console.WindowWidth > 0 ? Console.WindowWidth : width;
            }
            catch (IOException)
            {
            }
        }
        return new ProgressReporter(Console.Out, interactive, width: width);
    }

    /// <summary>Whether a bar is drawn.</summary>
    public bool IsInteractive => _terminal is not null;

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>Prints a line (above the bar on a terminal).</summary>
    public void WriteLine(string text)
    {
        lock (_lock)
        {
            ClearBar();
            _writeLine(text);
            DrawBar();
        }
    }

    /// <summary>
    /// Starts a pass of <paramref name="total"/> items of which <paramref name="completed"/> are already done (a resumed
    /// run); dispose it when the pass ends. A pass started inside another shows its bar until it ends.
    /// </summary>
    /// <param name="label">Short name shown on the bar and plain progress lines, e.g. <c>train-reward</c>.</param>
    /// <param name="total">Items in the pass (≥ 0).</param>
    /// <param name="completed">Items done before it started.</param>
    /// <param name="plainLines">Without a terminal, print a progress line whenever a tenth of the pass has passed
    /// without a line of its own (off for passes whose own lines are frequent, or that are too short to matter).</param>
    public ProgressPass Start(string label, int total, int completed = 0, bool plainLines = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        var pass = new ProgressPass(this, label, total, completed, plainLines);
        lock (_lock)
        {
            ClearBar();
            _passes.Add(pass);
            DrawBar();
        }
        return pass;
    }

    internal void Update(ProgressPass pass, string? line)
    {
        lock (_lock)
        {
            if (line is not null)
            {
                ClearBar();
                _writeLine(line);
                DrawBar();
            }
            else if (_terminal is not null)
            {
                if (_passes.Count > 0 && _passes[^1] == pass)
                {
                    ClearBar();
                    DrawBar();
                }
            }
        }
    }

    internal void End(ProgressPass pass)
    {
        lock (_lock)
        {
            ClearBar();
            _passes.Remove(pass);
            DrawBar();
        }
    }

    private void ClearBar()
    {
        if (_terminal is not null && _barShown)
        {
            _terminal.Write(EraseLine);
            _barShown = false;
        }
    }

    private void DrawBar()
    {
        if (_terminal is null || _passes.Count == 0)
            return;
        var bar = _passes[^1].Bar();
        _terminal.Write(bar.Length < _width ? bar : bar[..(_width - 1)]);
        _terminal.Flush();
        _barShown = true;
    }

    /// <summary>A duration as <c>12s</c>, <c>3m05s</c> or <c>1h02m</c>.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        var seconds = (long)Math.Round(Math.Max(0, duration.TotalSeconds));
        return seconds < 60 ? $"{seconds}s"
            : seconds < 3600 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m{seconds % 60:D2}s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}h{seconds % 3600 / 60:D2}m");
    }
}

/// <summary>One running pass of a <see cref="ProgressReporter"/> (see <see cref="ProgressReporter.Start"/>).</summary>
public sealed class ProgressPass : IDisposable
{
    private const int BarCells = 24;
    private readonly ProgressReporter _reporter;
    private readonly long _started;
    private readonly int _initial;
    private readonly bool _plainLines;
    private int _lastLine;
    private bool _ended;

    internal ProgressPass(ProgressReporter reporter, string label, int total, int completed, bool plainLines)
    {
        _reporter = reporter;
        Label = label;
        Total = total;
        Completed = _initial = _lastLine = Math.Clamp(completed, 0, total);
        _plainLines = plainLines;
        _started = reporter.Time.GetTimestamp();
    }

    /// <summary>The pass's name.</summary>
    public string Label { get; }

    /// <summary>Items in the pass.</summary>
    public int Total { get; }

    /// <summary>Items done.</summary>
    public int Completed { get; private set; }

    /// <summary>Time since the pass started.</summary>
    public TimeSpan Elapsed => _reporter.Time.GetElapsedTime(_started);

    /// <summary>Estimated time left at the average rate of this pass so far; null before its first item.</summary>
    public TimeSpan? Remaining =>
        Completed > _initial ? Elapsed * ((double)(Total - Completed) / (Completed - _initial)) : null;

    /// <summary><c>elapsed 1m02s  ETA 3m10s</c> (<c>ETA --</c> before the first item).</summary>
    public string Timing =>
        $"elapsed {ProgressReporter.FormatDuration(Elapsed)}  ETA {(Remaining is { } r ? ProgressReporter.FormatDuration(r) : "--")}";

    /// <summary>
    /// Records that <paramref name="completed"/> items are done. With a <paramref name="line"/>, prints it followed by
    /// two spaces and <see cref="Timing"/>; without, redraws the bar (terminal) or prints a plain progress line when a
    /// tenth of the pass has passed since the last line (see <see cref="ProgressReporter.Start"/>).
    /// </summary>
    public void Report(int completed, string? line = null)
    {
        Completed = Math.Clamp(completed, 0, Total);
        if (line is not null)
        {
            _lastLine = Completed;
            _reporter.Update(this, line + "  " + Timing);
        }
        else if (!_reporter.IsInteractive && _plainLines && Total > 0 && (long)(Completed - _lastLine) * 10 >= Total)
        {
            _lastLine = Completed;
            _reporter.Update(this, $"{Label} {Completed}/{Total} ({Percent}%)  {Timing}");
        }
        else
        {
            _reporter.Update(this, null);
        }
    }

    /// <summary>Ends the pass (its bar disappears).</summary>
    public void Dispose()
    {
        if (_ended)
            return;
        _ended = true;
        _reporter.End(this);
    }

    private int Percent => Total == 0 ? 100 : (int)(100L * Completed / Total);

    internal string Bar()
    {
        var filled = Total == 0 ? BarCells : (int)((long)BarCells * Completed / Total);
        return new StringBuilder()
            .Append(Label).Append(" [").Append('█', filled).Append('░', BarCells - filled).Append("] ")
            .Append(CultureInfo.InvariantCulture, $"{Completed}/{Total} {Percent,3}%  {Timing}")
            .ToString();
    }
}
