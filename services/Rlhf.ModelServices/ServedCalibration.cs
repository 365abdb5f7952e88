using Rlhf.Models;
using Grpc.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rlhf.Contracts;

namespace Rlhf.ModelServices;

/// <summary>
/// The calibration the reward service serves with its weights: the <c>calibration.json</c> of the checkpoint
/// (<see cref="RewardCalibration"/>), the identity for a checkpoint without one, or a problem that makes scoring
/// impossible — the file is invalid, or it is missing while <see cref="RewardServiceOptions.RequireCalibration"/> is
/// set. While there is a problem, <see cref="RewardCalibrationHealthCheck"/> reports NOT_SERVING and ScoreResponses
/// answers FAILED_PRECONDITION with it; a LoadCheckpoint with a usable calibration ends it. Read and swapped by
/// <see cref="RewardServiceImpl"/> only with exclusive access to the model, so it always belongs to the served weights.
/// </summary>
public sealed class ServedCalibration
{
    private readonly bool _required;
    private volatile Outcome _current;

    /// <summary>Reads the calibration of the configured checkpoint (<see cref="ModelOptions.Checkpoint"/>).</summary>
    public ServedCalibration(ModelHost host, RewardServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        _required = options.RequireCalibration;
        _current = Read(Path.GetFullPath(host.Options.Checkpoint));
    }

    /// <summary>Why scores cannot be calibrated now, or null when they can.</summary>
    public string? Problem => _current.Problem;

    /// <summary>The calibration to apply.</summary>
    /// <exception cref="RpcException">FAILED_PRECONDITION with <see cref="Problem"/> while there is one.</exception>
    public RewardCalibration Require()
    {
        var current = _current;
        return current.Calibration ?? throw Rpc.Error(StatusCode.FailedPrecondition,
            $"{current.Problem}; scores are not served until a LoadCheckpoint brings a valid calibration (or a restart)");
    }

    /// <summary>
    /// Reads the calibration of the checkpoint at <paramref name="checkpoint"/> (a full path) without serving it.
    /// </summary>
    /// <returns>What <see cref="Serve"/> takes; its problem, if any, says what is wrong and which file.</returns>
    public Outcome Read(string checkpoint)
    {
        try
        {
            var calibration = Directory.Exists(checkpoint) ? RewardCalibration.TryLoad(checkpoint) : null;
            if (calibration is not null)
                return new Outcome(calibration, null);
            return _required
                ? new Outcome(null, $"reward calibration missing: no {RewardCalibration.FileName} in '{checkpoint}' (Reward:RequireCalibration is set)")
                : new Outcome(RewardCalibration.Identity, null);
        }
        catch (InvalidDataException e)
        {
            return new Outcome(null, $"reward calibration invalid: {e.Message}");
        }
        catch (IOException e)
        {
            return new Outcome(null, $"reward calibration unreadable in '{checkpoint}': {e.Message}");
        }
    }

    /// <summary>Serves <paramref name="outcome"/> from now on (call with exclusive access to the model).</summary>
    public void Serve(Outcome outcome) => _current = outcome;

    /// <summary>A calibration, or the problem that stands in for one.</summary>
    /// <param name="Calibration">The calibration to apply; null exactly when <paramref name="Problem"/> is set.</param>
    /// <param name="Problem">What is wrong, naming the file.</param>
    public sealed record Outcome(RewardCalibration? Calibration, string? Problem);
}

/// <summary>Healthy while the reward service has a usable calibration (<see cref="ServedCalibration"/>).</summary>
public sealed class RewardCalibrationHealthCheck(ServedCalibration calibration) : IHealthCheck
{
    /// <summary>The check's name.</summary>
    public const string Name = "reward-calibration";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(calibration.Problem is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy());
}
