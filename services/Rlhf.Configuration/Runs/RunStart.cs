using Rlhf.Contracts;

namespace Rlhf.Configuration.Runs;

/// <summary>How a run takes its directory (see <see cref="RunDirectory.Open"/>).</summary>
public enum RunStart
{
    /// <summary>A new run: the directory must be missing or empty.</summary>
    New,

    /// <summary>A new run that first deletes another run's files (<c>--overwrite</c>).</summary>
    Overwrite,

    /// <summary>The run in the directory continues from its latest checkpoint (<c>--resume</c>).</summary>
    Resume,
}

/// <summary>
/// A run directory cannot take a new run: it holds another run's files (<see cref="Foreign"/> false), or, for
/// <see cref="RunStart.Overwrite"/>, files that are not a run's, which are never deleted (<see cref="Foreign"/> true).
/// The message is one line naming the directory and up to five of the entries; callers add the remedy their
/// command offers (e.g. <c>--resume</c>, <c>--overwrite</c>).
/// </summary>
public sealed class RunDirectoryInUseException : IOException, IExitCodeException
{
    /// <summary><see cref="ExitCodes.Usage"/>: the command line chooses what to do with the directory.</summary>
    public int ExitCode => ExitCodes.Usage;

    /// <param name="root">The directory.</param>
    /// <param name="entries">The entries in the way (folders end with '/').</param>
    /// <param name="foreign">Whether they are files that are not a run's.</param>
    public RunDirectoryInUseException(string root, IReadOnlyList<string> entries, bool foreign)
        : base(foreign
            ? $"{root} holds files that are not a run's ({Describe(entries)}); they are never deleted: move them or choose another output_dir"
            : $"{root} already holds a run ({Describe(entries)})")
    {
        Root = root;
        Entries = entries;
        Foreign = foreign;
    }

    /// <summary>The directory.</summary>
    public string Root { get; }

    /// <summary>The entries in the way.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>True when the entries are not a run's files.</summary>
    public bool Foreign { get; }

    private static string Describe(IReadOnlyList<string> entries) =>
        string.Join(", ", entries.Take(5)) + (entries.Count > 5 ? $", … {entries.Count - 5} more" : "");
}
