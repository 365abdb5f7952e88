using System.Reflection;

namespace Rlhf.Alignment;

/// <summary>
/// Every metric name the product emits, in one place. Where TRL has the quantity its name is used verbatim, with its
/// estimator (PPOTrainer: <c>objective/*</c>, <c>policy/approxkl_avg</c>, <c>policy/clipfrac_avg</c>,
/// <c>loss/policy_avg</c>, <c>loss/value_avg</c>, <c>val/clipfrac_avg</c>, <c>policy/entropy_avg</c>,
/// <c>val/ratio</c>, <c>val/ratio_var</c>, <c>val/num_eos_tokens</c>; DPOTrainer: <c>rewards/*</c>,
/// <c>logps/*</c>); other estimators and our own quantities have names of their own. Each constant carries a
/// one-line debugging hint (<see cref="MetricHintAttribute"/>), available at run time through <see cref="Hints"/>.
/// The <c>_avg</c> names are per-minibatch values averaged over an iteration's minibatches
/// (<see cref="MinibatchMetrics"/>).
/// </summary>
public static class MetricNames
{
    // objective/: the rollout (TRL PPOTrainer)
    [MetricHint("Mean over responses of Σ_t kl_t (nats, the configured kl_estimator); should rise slowly and level off "
        + "near the adaptive target — a jump means the policy is running away from the reference.")]
    public const string ObjectiveKl = "objective/kl";

    [MetricHint("Mean over responses of Σ_t −logprobs_t (nats per response, TRL's sampled estimate of the sequence "
        + "entropy); should decline slowly — a collapse towards 0 means mode collapse.")]
    public const string ObjectiveEntropy = "objective/entropy";

    [MetricHint("Mean over responses of Σ_t −kl_coef·kl_t; ≤ 0 with k2/k3/abs; should stay a small fraction of "
        + "objective/scores — if it dominates, kl_coef is too large.")]
    public const string ObjectiveNonScoreReward = "objective/non_score_reward";

    [MetricHint("objective/non_score_reward + objective/scores (TRL): the KL-regularised reward the policy "
        + "maximises; should go up.")]
    public const string ObjectiveRlhfReward = "objective/rlhf_reward";

    [MetricHint("Mean reward-model score after the missing-EOS and overlong penalties (TRL); should go up — if it "
        + "rises while samples get worse, suspect reward hacking.")]
    public const string ObjectiveScores = "objective/scores";

    [MetricHint("Current kl_coef β; with the adaptive controller it moves at most 20%·n_steps/horizon per "
        + "iteration — pinned at a bound means the KL target is unreachable.")]
    public const string ObjectiveKlCoef = "objective/kl_coef";

    [MetricHint("Mean full-distribution entropy per response token at rollout (nats/token); should decline slowly "
        + "— a collapse towards 0 means mode collapse, a rise means degenerate text.")]
    public const string ObjectiveTokenEntropy = "objective/token_entropy";

    // policy/: the policy update
    [MetricHint("TRL's ½·mean((logprobs − old_logprobs)²) per token, averaged over minibatches: KL(old ‖ new) of "
        + "the update; should stay small (≲ 0.02) — large means too big a step (lower learning_rate or ppo_epochs).")]
    public const string PolicyApproxKlAvg = "policy/approxkl_avg";

    [MetricHint("k1 estimate mean(old_logprobs − logprobs) of KL(old ‖ new), averaged over minibatches; unbiased but "
        + "noisy and can be negative — trust policy/approxkl_avg for its size.")]
    public const string PolicyApproxKlK1Avg = "policy/approxkl_k1_avg";

    [MetricHint("k3 estimate mean((ratio − 1) − log ratio) of KL(old ‖ new), always ≥ 0, averaged over minibatches; "
        + "should stay small and track policy/approxkl_avg.")]
    public const string PolicyApproxKlK3Avg = "policy/approxkl_k3_avg";

    [MetricHint("Fraction of tokens whose clipped branch binds (no gradient), averaged over minibatches; 0 on the "
        + "first minibatch, should stay below ~0.2 — higher means the step is too large for cliprange.")]
    public const string PolicyClipFracAvg = "policy/clipfrac_avg";

    [MetricHint("Fraction of tokens capped by dual clip (A < 0, loss > −c·A), averaged over minibatches; should be "
        + "near 0 — large means the policy raised many tokens it should have lowered.")]
    public const string PolicyDualClipFracAvg = "policy/dual_clipfrac_avg";

    [MetricHint("Mean full-distribution entropy per token during the update (nats/token, TRL); compare with "
        + "objective/token_entropy — a fast fall means entropy collapse (raise cliprange_high or ent_coef).")]
    public const string PolicyEntropyAvg = "policy/entropy_avg";

    [MetricHint("Global gradient norm of the policy before clipping, at the iteration's last optimizer step; spikes "
        + "precede divergence — compare with max_grad_norm.")]
    public const string PolicyGradNorm = "policy/grad_norm";

    // loss/
    [MetricHint("Aggregated clipped surrogate (pg_loss), averaged over minibatches; near 0 with whitened "
        + "advantages, its sign alone means little.")]
    public const string LossPolicyAvg = "loss/policy_avg";

    [MetricHint("Clipped value loss before vf_coef, averaged over minibatches; should fall over training — a rise "
        + "means the critic cannot follow the returns.")]
    public const string LossValueAvg = "loss/value_avg";

    [MetricHint("use_kl_loss: aggregated kl_loss_type KL to the reference inside the loss (before kl_loss_coef), "
        + "averaged over minibatches; should stay small.")]
    public const string LossKlAvg = "loss/kl_avg";

    [MetricHint("Entropy bonus loss −ent_coef·entropy, averaged over minibatches; ≤ 0.")]
    public const string LossEntropyAvg = "loss/entropy_avg";

    [MetricHint("Mean DPO loss; sigmoid starts at log 2 ≈ 0.693 and should fall — a fall to ~0 with flat "
        + "rewards/accuracies on held-out pairs means overfitting.")]
    public const string LossDpo = "loss/dpo";

    [MetricHint("SFT negative log-likelihood per completion token (nats); should fall — below the held-out value "
        + "by far means memorisation.")]
    public const string LossNll = "loss/nll";

    // val/: ratios and the critic
    [MetricHint("Mean of exp(logprobs − old_logprobs) over tokens and minibatches (TRL); should stay near 1.0 — "
        + "exactly 1.0 on the first minibatch of an iteration.")]
    public const string ValRatio = "val/ratio";

    [MetricHint("Unbiased variance of the per-minibatch val/ratio across an iteration's minibatches (TRL); should "
        + "stay near 0 — growth means the policy moves too far per iteration; NaN with one minibatch.")]
    public const string ValRatioVar = "val/ratio_var";

    [MetricHint("Population variance of the ratio over one minibatch's tokens, averaged over minibatches; should "
        + "stay near 0 — a few tokens with huge ratios show up here first.")]
    public const string ValRatioTokenVar = "val/ratio_token_var";

    [MetricHint("Fraction of tokens where value clipping binds, averaged over minibatches (TRL); should stay low — "
        + "high means cliprange_value is too tight for the return scale.")]
    public const string ValClipFracAvg = "val/clipfrac_avg";

    [MetricHint("Number of rollout responses that ended with EOS (TRL); a fall towards 0 means the policy stops "
        + "finishing its responses (see missing_eos_penalty, overlong_buffer_len).")]
    public const string ValNumEosTokens = "val/num_eos_tokens";

    [MetricHint("1 − Var(returns − values)/Var(returns); should climb towards 1 — ≤ 0 means the critic is no "
        + "better than a constant.")]
    public const string ValExplainedVariance = "val/explained_variance";

    [MetricHint("Mean critic value; should track the mean returns.")]
    public const string ValMean = "val/mean";

    [MetricHint("Token mean of the advantages before whitening (PPO: raw GAE; group methods: the group advantages, "
        + "zero-sum per group so only length differences move it); far from 0 under PPO hints at a biased critic.")]
    public const string ValAdvantagesMean = "val/advantages_mean";

    [MetricHint("Global gradient norm of the critic before clipping, at the iteration's last optimizer step; spikes "
        + "mean the returns changed scale.")]
    public const string ValGradNorm = "val/grad_norm";

    // eval/: held-out prompts
    [MetricHint("Mean reward-model score on the held-out prompts (eval iterations only); should rise like "
        + "objective/scores — if only the training score rises, the policy overfits the training prompts.")]
    public const string EvalScore = "eval/score";

    [MetricHint("Mean over held-out responses of Σ_t (logprobs − ref_logprobs) at the sampling temperature (k1, "
        + "nats); should track objective/kl.")]
    public const string EvalKl = "eval/kl";

    [MetricHint("The reference model's per-token NLL of the held-out responses at temperature 1 (nats); a steep rise "
        + "means the text drifts away from fluent language.")]
    public const string EvalRefNll = "eval/ref_nll";

    [MetricHint("Mean held-out response length (tokens); a collapse, or a jump to max_new_tokens, often means the "
        + "policy found a length exploit.")]
    public const string EvalResponseLength = "eval/response_length";

    // diversity/: the responses' variety (Reporting/TextDiversity)
    [MetricHint("Distinct words / all words over the iteration's responses (Li et al. 2016); a steady fall means the "
        + "policy repeats itself (mode collapse), even while the score rises.")]
    public const string DiversityDistinct1 = "diversity/distinct_1";

    [MetricHint("Distinct word bigrams / all bigrams over the iteration's responses; falls faster than distinct_1 when "
        + "responses share openings or phrases.")]
    public const string DiversityDistinct2 = "diversity/distinct_2";

    [MetricHint("Mean BLEU-4 of each response against the others (Zhu et al. 2018); rises as responses become alike, "
        + "1 = all the same.")]
    public const string DiversitySelfBleu = "diversity/self_bleu";

    // rewards/, logps/: DPO (TRL DPOTrainer)
    [MetricHint("Mean implicit reward β(log π − log π_ref) of the chosen responses (TRL); may rise or fall, but "
        + "should stay above rewards/rejected.")]
    public const string RewardsChosen = "rewards/chosen";

    [MetricHint("Mean implicit reward of the rejected responses (TRL); should fall.")]
    public const string RewardsRejected = "rewards/rejected";

    [MetricHint("Fraction of pairs whose chosen implicit reward beats the rejected (TRL); should climb above 0.5 "
        + "quickly — stuck at 0.5 means the gradient does not reach the policy.")]
    public const string RewardsAccuracies = "rewards/accuracies";

    [MetricHint("Mean chosen − rejected implicit reward (TRL); should grow — unbounded growth with β small means "
        + "the policy drifts far from the reference.")]
    public const string RewardsMargins = "rewards/margins";

    [MetricHint("Mean policy log-prob of the chosen responses (nats, TRL); a steady fall alongside logps/rejected "
        + "means both are pushed down (DPO's likelihood displacement).")]
    public const string LogpsChosen = "logps/chosen";

    [MetricHint("Mean policy log-prob of the rejected responses (nats, TRL); should fall faster than "
        + "logps/chosen.")]
    public const string LogpsRejected = "logps/rejected";

    // reward_model/: reward-model training
    [MetricHint("Bradley–Terry / K-wise ranking loss; starts at log 2 ≈ 0.693 and should fall.")]
    public const string RewardModelLoss = "reward_model/loss";

    [MetricHint("Fraction of pairs scored in preference order; held-out accuracy of 0.6–0.75 is typical for human "
        + "data.")]
    public const string RewardModelAccuracy = "reward_model/accuracy";

    [MetricHint("Mean score difference chosen − rejected; should grow, but unbounded growth means "
        + "overconfidence.")]
    public const string RewardModelMargin = "reward_model/margin";

    // p3o/, sft/
    [MetricHint("P3O: mean |q| over pairs, q = (r1 − r2) − β(KL1 − KL2); near 0 means the pairs carry no signal "
        + "(responses too similar, or β·KL cancels the reward gap).")]
    public const string P3oQAbsMean = "p3o/q_abs_mean";

    [MetricHint("P3O: mean joint trajectory ratio ρ1·ρ2 before clamping; should stay near 1 — far from 1 means the "
        + "policy moved far from π_old (p3o_cliprange_ratio clamps the weight).")]
    public const string P3oRatioMean = "p3o/ratio_mean";

    [MetricHint("Completion tokens in the SFT loss of the step; 0 means the prompt mask removed everything.")]
    public const string SftNumTokens = "sft/num_tokens";

    // env/, timing/, throughput/: the run
    [MetricHint("Mean rollout response length (tokens); a collapse, or a jump to max_new_tokens, often means a "
        + "length exploit.")]
    public const string EnvResponseLength = "env/response_length";

    [MetricHint("Fraction of rollout responses that ended with EOS; compare with val/num_eos_tokens.")]
    public const string EnvEosFraction = "env/eos_fraction";

    [MetricHint("Seconds spent sampling the rollouts of the iteration.")]
    public const string TimingGenerateS = "timing/generate_s";

    [MetricHint("Seconds spent on logprobs, ref_logprobs, values and scores of the rollouts.")]
    public const string TimingScoreS = "timing/score_s";

    [MetricHint("Seconds spent on KL, rewards and advantages in the orchestrator; should be negligible.")]
    public const string TimingMathS = "timing/math_s";

    [MetricHint("Seconds spent in the epochs of forward, backward and optimizer steps.")]
    public const string TimingOptimizeS = "timing/optimize_s";

    [MetricHint("Wall seconds of the whole iteration.")]
    public const string TimingIterationS = "timing/iteration_s";

    [MetricHint("Response tokens processed per second (rollout plus every epoch); a fall means a service slowed "
        + "down.")]
    public const string ThroughputTokensPerS = "throughput/tokens_per_s";

    /// <summary>Every metric name (the constants of this class) with its hint.</summary>
    public static IReadOnlyDictionary<string, string> Hints { get; } = typeof(MetricNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .ToDictionary(
            f => (string)f.GetRawConstantValue()!,
            f => f.GetCustomAttribute<MetricHintAttribute>()?.Hint
                 ?? throw new InvalidOperationException($"MetricNames.{f.Name} has no [MetricHint]."));
}

/// <summary>The one-line debugging hint of a <see cref="MetricNames"/> constant: what the value means and what a bad
/// value suggests.</summary>
/// <param name="hint">One line.</param>
[AttributeUsage(AttributeTargets.Field)]
public sealed class MetricHintAttribute(string hint) : Attribute
{
    /// <summary>The hint.</summary>
    public string Hint { get; } = hint;
}
