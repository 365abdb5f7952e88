using Rlhf.Contracts;

namespace Rlhf.Orchestration.Hosting.Topology;

/// <summary>
/// A service process did not start: it exited before it was SERVING, or did not become SERVING in time. The first line
/// of the message says which; the lines after it are the process's last output (its own one-line error, when it
/// reported one). <see cref="ExitCode"/> is the child's exit code when it is a documented one (e.g. 4 for a missing
/// tokenizer, 2 for a port in use), else <see cref="ExitCodes.Internal"/>, or <see cref="ExitCodes.ServiceLost"/> for a
/// service that never answered.
/// </summary>
/// <param name="message">What happened, then the last output lines.</param>
/// <param name="exitCode">The exit code for the command that started it.</param>
public sealed class ServiceStartException(string message, int exitCode) : InvalidOperationException(message), IExitCodeException
{
    /// <inheritdoc />
    public int ExitCode { get; } = exitCode;
}
