using System.Diagnostics;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// The orchestrator's trace spans (activity source <see cref="SourceName"/>, exported with the suite's other
/// <c>Rlhf.*</c> sources): each PPO iteration is the root of its own trace (<see cref="IterationActivity"/>), with a
/// child span per stage (<see cref="GenerateActivity"/>, <see cref="ScoreActivity"/>, <see cref="OptimizeActivity"/>,
/// <see cref="EvaluateActivity"/>) and, below those, the gRPC client span of every call to the model services and,
/// through the W3C <c>traceparent</c> header, the services' server spans.
/// </summary>
public static class PpoTelemetry
{
    /// <summary>Name of the activity source.</summary>
    public const string SourceName = "Rlhf.Orchestration";

    /// <summary>One iteration: rollouts, scoring, optimization, and the evaluation and checkpoint due after it.</summary>
    public const string IterationActivity = "ppo.iteration";

    /// <summary>Sampling the responses (PolicyService.Generate).</summary>
    public const string GenerateActivity = "ppo.generate";

    /// <summary>Logprobs, reference logprobs, values and scores of the rollouts, concurrently.</summary>
    public const string ScoreActivity = "ppo.score";

    /// <summary>The PPO epochs: forward, backward and optimizer steps on the policy and the critic.</summary>
    public const string OptimizeActivity = "ppo.optimize";

    /// <summary>A held-out evaluation.</summary>
    public const string EvaluateActivity = "ppo.evaluate";

    /// <summary>Tag with the run id (the training lease).</summary>
    public const string RunIdTag = "rlhf.run_id";

    /// <summary>Tag with the iteration number (from 1).</summary>
    public const string IterationTag = "rlhf.iteration";

    /// <summary>The activity source.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts iteration <paramref name="iteration"/>'s span as the root of a new trace, linked to the activity current
    /// until now (e.g. the orchestrator's StartRun call) rather than under it; null when nothing listens. It becomes
    /// <see cref="Activity.Current"/>: call it in the async method that runs the iteration, and dispose it at the end.
    /// </summary>
    public static Activity? StartIteration(string runId, int iteration)
    {
        if (!Source.HasListeners())
            return null;
        var ambient = Activity.Current;
        Activity.Current = null;
        var tags = new ActivityTagsCollection { [RunIdTag] = runId, [IterationTag] = iteration };
        return Source.StartActivity(IterationActivity, ActivityKind.Internal, parentContext: default, tags,
            ambient is null ? null : [new ActivityLink(ambient.Context)]);
    }
}
