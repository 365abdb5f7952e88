using Grpc.Core;
using Rlhf.Contracts;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// A trainable model service (policy or critic) lost the run's state: it restarted (the training lease is gone, or
/// its <c>model_version.instance_id</c> changed), or the connection broke during a call that cannot be retried
/// (ComputeLogProbs/ComputeValues with keep_for_backward, Backward, OptimizerStep). The run cannot continue: its
/// gradients, kept activations and AdamW state lived in the lost process. Status FAILED_PRECONDITION; the message is
/// one line that names the service and the resume command, e.g.
/// <c>policy service restarted (lease lost); resume with: rlhf ppo --resume runs/ppo</c>.
/// </summary>
public sealed class ModelServiceRestartedException : RpcException, IExitCodeException
{
    /// <summary><see cref="ExitCodes.ServiceLost"/>: the run can be resumed.</summary>
    public int ExitCode => ExitCodes.ServiceLost;

    /// <param name="service">"policy" or "critic".</param>
    /// <param name="reason">Why the restart was concluded, e.g. "lease lost".</param>
    /// <param name="runDirectory">The run directory to resume from.</param>
    /// <param name="inner">The failure that revealed it, or null.</param>
    public ModelServiceRestartedException(string service, string reason, string runDirectory, Exception? inner = null)
        : base(new Status(StatusCode.FailedPrecondition, Format(service, reason, runDirectory), inner), new Metadata(), Format(service, reason, runDirectory))
    {
        Service = service;
        Reason = reason;
        RunDirectory = runDirectory;
    }

    /// <summary>The service that restarted: "policy" or "critic".</summary>
    public string Service { get; }

    /// <summary>Why the restart was concluded ("lease lost", "new instance …", "connection lost during Backward").</summary>
    public string Reason { get; }

    /// <summary>The run directory to resume from.</summary>
    public string RunDirectory { get; }

    /// <summary>The one-line message: <c>{service} service restarted ({reason}); resume with: rlhf ppo --resume {dir}</c>.</summary>
    public static string Format(string service, string reason, string runDirectory) =>
        $"{service} service restarted ({reason}); resume with: rlhf ppo --resume {runDirectory}";
}
