using Rlhf.Contracts;

namespace Rlhf.Configuration;

/// <summary>
/// A configuration could not be loaded: YAML syntax, an unknown key, a value of the wrong type, or a value outside
/// its allowed range, or a config file that is missing or unreadable. <see cref="Exception.Message"/> lists every
/// problem, one per line, each naming its key. Exit code <see cref="ExitCodes.Usage"/>.
/// </summary>
public class ConfigException : Exception, IExitCodeException
{
    /// <summary>Creates the exception from one or more problems.</summary>
    public ConfigException(IReadOnlyList<string> errors)
        : base(errors.Count == 1 ? errors[0] : $"{errors.Count} configuration errors:\n  " + string.Join("\n  ", errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception from a single problem.</summary>
    public ConfigException(string error) : this([error])
    {
    }

    /// <summary>The individual problems.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <inheritdoc />
    public int ExitCode => ExitCodes.Usage;
}
