using Rlhf.Alignment;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// The orchestrator's own state, saved beside the policy and critic checkpoints so a resumed run continues exactly as
/// an uninterrupted one would (every random choice is a function of the seed and the iteration number). Files written
/// before <c>ScoreMoments</c> was dropped (it was always null: scores are normalized by the reward service) still load;
/// the unknown property is ignored.
/// </summary>
/// <param name="Iteration">Iterations finished.</param>
/// <param name="KlController">KL controller state (kl_coef, and target/horizon when adaptive).</param>
/// <param name="WallSeconds">Wall time spent in iterations so far, seconds.</param>
/// <param name="InitialEval">The evaluation before the first iteration (for summary.json), or null before it ran.</param>
public sealed record OrchestratorState(
    int Iteration,
    KlControllerState KlController,
    double WallSeconds,
    EvaluationResult? InitialEval);

/// <summary>Held-out evaluation of the policy.</summary>
/// <param name="Score">Mean reward-model score of the responses (normalized units).</param>
/// <param name="Kl">Mean KL to the reference per response, Σ_t (logprobs − ref_logprobs) at the sampling temperature. Unit: nats.</param>
/// <param name="RefNll">Mean per-token negative log-likelihood of the responses under the reference model at temperature 1. Unit: nats/token.</param>
/// <param name="ResponseLength">Mean response length, tokens.</param>
/// <param name="EosFraction">Fraction of responses that ended with EOS.</param>
public sealed record EvaluationResult(double Score, double Kl, double RefNll, double ResponseLength, double EosFraction);
