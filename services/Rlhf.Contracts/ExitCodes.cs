namespace Rlhf.Contracts;

/// <summary>
/// The exit codes of every process of the suite: the <c>rlhf</c> command line and each service host. They are listed
/// by <c>rlhf --help</c> (<see cref="HelpText"/>) and the README; <see cref="ExitCodePolicy"/> maps an exception to
/// its code.
/// </summary>
public static class ExitCodes
{
    /// <summary>Success (a host: stopped by SIGTERM or Ctrl-C after draining).</summary>
    public const int Success = 0;

    /// <summary>A <c>--gate</c> failed; the failed gate's line is on stderr.</summary>
    public const int GateFailed = 1;

    /// <summary>Usage or configuration error: an unknown option, a config file that is missing, unreadable or invalid,
    /// an unknown gate metric, a port in use, a call refused for its arguments or credentials.</summary>
    public const int Usage = 2;

    /// <summary>A model service was lost or cannot be reached; <c>rlhf ppo</c> prints the <c>--resume</c> command of
    /// the run.</summary>
    public const int ServiceLost = 3;

    /// <summary>A data or model file is missing, unreadable or corrupt.</summary>
    public const int DataError = 4;

    /// <summary>Internal error (a bug; sysexits.h EX_SOFTWARE): the message names the exception, <c>--verbose</c>
    /// (a host: Debug logging) prints its stack trace.</summary>
    public const int Internal = 70;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT, the shells' convention).</summary>
    public const int Interrupted = 130;

    /// <summary>Every code with its meaning, in order.</summary>
    public static IReadOnlyList<(int Code, string Meaning)> All { get; } =
    [
        (Success, "success"),
        (GateFailed, "a --gate failed (the gate's line is on stderr)"),
        (Usage, "usage or config error: bad option, missing/invalid config file, unknown gate metric, port in use"),
        (ServiceLost, "a model service was lost or is unreachable; rlhf ppo prints its --resume command"),
        (DataError, "a data or model file is missing, unreadable or corrupt"),
        (Internal, "internal error (a bug); --verbose prints the stack trace"),
        (Interrupted, "interrupted (Ctrl-C)"),
    ];

    /// <summary>The help section: "Exit codes:" and one indented line per code.</summary>
    public static string HelpText =>
        "Exit codes:\n" + string.Join("\n", All.Select(c => $"  {c.Code,-4}{c.Meaning}")) + "\n";

    /// <summary>Whether <paramref name="code"/> is one of the documented codes.</summary>
    public static bool IsDocumented(int code) => All.Any(c => c.Code == code);
}
