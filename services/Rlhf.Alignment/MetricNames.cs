namespace Rlhf.Alignment;

/// <summary>
/// Metric names (TRL style, <c>group/name</c>) emitted by the orchestrator, each with a one-line debugging hint.
/// The same hints are available at run time through <see cref="Hints"/>.
/// </summary>
public static class MetricNames
{
    /// <summary><c>objective/kl</c> — Mean over responses of Σ_t kl_t (nats); should rise slowly and level off near the
    /// adaptive target — a jump means the policy is running away from the reference.</summary>
    public const string ObjectiveKl = "objective/kl";

    /// <summary><c>objective/entropy</c> — Mean per-token entropy (nats); should decline slowly — a collapse towards 0
    /// means mode collapse, a rise means degenerate text.</summary>
    public const string ObjectiveEntropy = "objective/entropy";

    /// <summary><c>objective/non_score_reward</c> — Mean over responses of Σ_t −kl_coef·kl_t; ≤ 0 with k3/k2/abs;
    /// should stay a small fraction of the score.</summary>
    public const string ObjectiveNonScoreReward = "objective/non_score_reward";

    /// <summary><c>objective/scores</c> — Mean raw reward-model score; should go up — if it rises while samples get
    /// worse, suspect reward hacking.</summary>
    public const string ObjectiveScores = "objective/scores";

    /// <summary><c>objective/rlhf_reward</c> — Mean over responses of Σ_t rewards_t (score + non-score reward); the
    /// quantity PPO maximizes — should go up.</summary>
    public const string ObjectiveRlhfReward = "objective/rlhf_reward";

    /// <summary><c>objective/kl_coef</c> — Current kl_coef β; with the adaptive controller it moves at most
    /// 20%·n_steps/horizon per iteration.</summary>
    public const string ObjectiveKlCoef = "objective/kl_coef";

    /// <summary><c>policy/approxkl</c> — k1 estimate mean(old_logprobs − logprobs) of KL(old ‖ new) per token; should
    /// stay small (≲ 0.02) — large means too big a step.</summary>
    public const string PolicyApproxKl = "policy/approxkl";

    /// <summary><c>policy/approxkl_k3</c> — k3 estimate mean((ratio − 1) − log ratio), always ≥ 0; should stay small
    /// and track policy/approxkl.</summary>
    public const string PolicyApproxKlK3 = "policy/approxkl_k3";

    /// <summary><c>policy/clipfrac</c> — Fraction of tokens whose clipped branch binds (no gradient); 0 on the first
    /// minibatch, should stay below ~0.2.</summary>
    public const string PolicyClipFrac = "policy/clipfrac";

    /// <summary><c>policy/dual_clipfrac</c> — Fraction of tokens capped by dual clip; should be near 0.</summary>
    public const string PolicyDualClipFrac = "policy/dual_clipfrac";

    /// <summary><c>policy/entropy_avg</c> — Mean per-token entropy during the update (nats); compare with
    /// objective/entropy.</summary>
    public const string PolicyEntropyAvg = "policy/entropy_avg";

    /// <summary><c>loss/policy_avg</c> — Aggregated clipped surrogate (pg_loss); near 0 with whitened advantages, its
    /// sign alone means little.</summary>
    public const string LossPolicyAvg = "loss/policy_avg";

    /// <summary><c>loss/value_avg</c> — Clipped value loss before vf_coef; should fall over training — a rise means the
    /// critic cannot follow the returns.</summary>
    public const string LossValueAvg = "loss/value_avg";

    /// <summary><c>loss/kl_avg</c> — GRPO: aggregated k3 KL to the reference inside the loss (before β); should stay
    /// small.</summary>
    public const string LossKlAvg = "loss/kl_avg";

    /// <summary><c>loss/entropy_avg</c> — Entropy bonus loss −ent_coef·entropy; ≤ 0.</summary>
    public const string LossEntropyAvg = "loss/entropy_avg";

    /// <summary><c>loss/dpo</c> — Mean DPO loss; starts at log 2 ≈ 0.693 and should fall.</summary>
    public const string LossDpo = "loss/dpo";

    /// <summary><c>val/ratio</c> — Mean of exp(logprobs − old_logprobs); should stay near 1.0 — exactly 1.0 on the
    /// first minibatch of an iteration.</summary>
    public const string ValRatio = "val/ratio";

    /// <summary><c>val/ratio_var</c> — Variance of the ratio over tokens; should stay near 0 — growth means the policy
    /// moves too far per iteration.</summary>
    public const string ValRatioVar = "val/ratio_var";

    /// <summary><c>val/clipfrac</c> — Fraction of tokens where value clipping binds; should stay low — high means
    /// cliprange_value is too tight for the return scale.</summary>
    public const string ValClipFrac = "val/clipfrac";

    /// <summary><c>val/explained_variance</c> — 1 − Var(returns − values)/Var(returns); should climb towards 1 — ≤ 0
    /// means the critic is no better than a constant.</summary>
    public const string ValExplainedVariance = "val/explained_variance";

    /// <summary><c>val/mean</c> — Mean critic value; should track mean returns.</summary>
    public const string ValMean = "val/mean";

    /// <summary><c>val/advantages_mean</c> — Token mean of the advantages before whitening (PPO: raw GAE; GRPO/RLOO:
    /// the group advantages, never whitened and zero-sum per group, so only length differences within a group move it);
    /// far from 0 under PPO hints at a biased critic.</summary>
    public const string ValAdvantagesMean = "val/advantages_mean";

    /// <summary><c>eval/score</c> — Mean reward-model score on the held-out prompts (eval iterations only); should rise
    /// like objective/scores.</summary>
    public const string EvalScore = "eval/score";

    /// <summary><c>eval/kl</c> — Mean over held-out responses of Σ_t (logprobs − ref_logprobs) at the sampling
    /// temperature (k1, nats); should track objective/kl.</summary>
    public const string EvalKl = "eval/kl";

    /// <summary><c>eval/ref_nll</c> — The reference model's per-token NLL of the held-out responses at temperature 1
    /// (nats); a steep rise means the text drifts away from fluent language.</summary>
    public const string EvalRefNll = "eval/ref_nll";

    /// <summary><c>eval/response_length</c> — Mean held-out response length (tokens); a collapse, or a jump to
    /// max_new_tokens, often means the policy found a length exploit.</summary>
    public const string EvalResponseLength = "eval/response_length";

    /// <summary><c>diversity/distinct_1</c> — Distinct words / all words over the iteration's responses (Li et al.
    /// 2016); a steady fall means the policy repeats itself (mode collapse), even while the score rises.</summary>
    public const string DiversityDistinct1 = "diversity/distinct_1";

    /// <summary><c>diversity/distinct_2</c> — Distinct word bigrams / all bigrams over the iteration's responses; falls
    /// faster than distinct_1 when responses share openings or phrases.</summary>
    public const string DiversityDistinct2 = "diversity/distinct_2";

    /// <summary><c>diversity/self_bleu</c> — Mean BLEU-4 of each response against the others (Zhu et al. 2018); rises
    /// as responses become alike, 1 = all the same.</summary>
    public const string DiversitySelfBleu = "diversity/self_bleu";

    /// <summary><c>rewards/chosen</c> — DPO implicit reward of chosen responses β(π_c − ref_c); should rise or fall
    /// less than rewards/rejected.</summary>
    public const string RewardsChosen = "rewards/chosen";

    /// <summary><c>rewards/rejected</c> — DPO implicit reward of rejected responses; should fall.</summary>
    public const string RewardsRejected = "rewards/rejected";

    /// <summary><c>rewards/accuracies</c> — Fraction of pairs whose chosen implicit reward beats the rejected; should
    /// climb above 0.5 quickly.</summary>
    public const string RewardsAccuracies = "rewards/accuracies";

    /// <summary><c>rewards/margins</c> — Mean chosen − rejected implicit reward; should grow.</summary>
    public const string RewardsMargins = "rewards/margins";

    /// <summary><c>reward_model/loss</c> — Bradley–Terry / K-wise ranking loss; starts at log 2 ≈ 0.693 and should
    /// fall.</summary>
    public const string RewardModelLoss = "reward_model/loss";

    /// <summary><c>reward_model/accuracy</c> — Fraction of pairs scored in preference order; held-out accuracy of
    /// 0.6–0.75 is typical for human data.</summary>
    public const string RewardModelAccuracy = "reward_model/accuracy";

    /// <summary><c>reward_model/margin</c> — Mean score difference chosen − rejected; should grow, but unbounded growth
    /// means overconfidence.</summary>
    public const string RewardModelMargin = "reward_model/margin";

    /// <summary>Every metric name with its hint.</summary>
    public static IReadOnlyDictionary<string, string> Hints { get; } = new Dictionary<string, string>
    {
        [ObjectiveKl] =
            "Mean over responses of Σ_t kl_t (nats); should rise slowly and level off near the adaptive target — a "
            + "jump means the policy is running away from the reference.",
        [ObjectiveEntropy] =
            "Mean per-token entropy (nats); should decline slowly — a collapse towards 0 means mode collapse, a "
            + "rise means degenerate text.",
        [ObjectiveNonScoreReward] =
            "Mean over responses of Σ_t −kl_coef·kl_t; ≤ 0 with k3/k2/abs; should stay a small fraction of the score.",
        [ObjectiveScores] =
            "Mean raw reward-model score; should go up — if it rises while samples get worse, suspect reward hacking.",
        [ObjectiveRlhfReward] =
            "Mean over responses of Σ_t rewards_t (score + non-score reward); the quantity PPO maximizes — should "
            + "go up.",
        [ObjectiveKlCoef] =
            "Current kl_coef β; with the adaptive controller it moves at most 20%·n_steps/horizon per iteration.",
        [PolicyApproxKl] =
            "k1 estimate mean(old_logprobs − logprobs) of KL(old ‖ new) per token; should stay small (≲ 0.02) — "
            + "large means too big a step.",
        [PolicyApproxKlK3] =
            "k3 estimate mean((ratio − 1) − log ratio), always ≥ 0; should stay small and track policy/approxkl.",
        [PolicyClipFrac] =
            "Fraction of tokens whose clipped branch binds (no gradient); 0 on the first minibatch, should stay "
            + "below ~0.2.",
        [PolicyDualClipFrac] = "Fraction of tokens capped by dual clip; should be near 0.",
        [PolicyEntropyAvg] = "Mean per-token entropy during the update (nats); compare with objective/entropy.",
        [LossPolicyAvg] =
            "Aggregated clipped surrogate (pg_loss); near 0 with whitened advantages, its sign alone means little.",
        [LossValueAvg] =
            "Clipped value loss before vf_coef; should fall over training — a rise means the critic cannot follow "
            + "the returns.",
        [LossKlAvg] = "GRPO: aggregated k3 KL to the reference inside the loss (before β); should stay small.",
        [LossEntropyAvg] = "Entropy bonus loss −ent_coef·entropy; ≤ 0.",
        [LossDpo] = "Mean DPO loss; starts at log 2 ≈ 0.693 and should fall.",
        [ValRatio] =
            "Mean of exp(logprobs − old_logprobs); should stay near 1.0 — exactly 1.0 on the first minibatch of an "
            + "iteration.",
        [ValRatioVar] =
            "Variance of the ratio over tokens; should stay near 0 — growth means the policy moves too far per "
            + "iteration.",
        [ValClipFrac] =
            "Fraction of tokens where value clipping binds; should stay low — high means cliprange_value is too "
            + "tight for the return scale.",
        [ValExplainedVariance] =
            "1 − Var(returns − values)/Var(returns); should climb towards 1 — ≤ 0 means the critic is no better "
            + "than a constant.",
        [ValMean] = "Mean critic value; should track mean returns.",
        [ValAdvantagesMean] =
            "Token mean of the advantages before whitening (PPO: raw GAE; GRPO/RLOO: the group advantages, never "
            + "whitened and zero-sum per group, so only length differences within a group move it); far from 0 under "
            + "PPO hints at a biased critic.",
        [EvalScore] = "Mean reward-model score on the held-out prompts (eval iterations only); should rise like objective/scores.",
        [EvalKl] =
            "Mean over held-out responses of Σ_t (logprobs − ref_logprobs) at the sampling temperature (k1, nats); "
            + "should track objective/kl.",
        [EvalRefNll] =
            "The reference model's per-token NLL of the held-out responses at temperature 1 (nats); a steep rise "
            + "means the text drifts away from fluent language.",
        [EvalResponseLength] =
            "Mean held-out response length (tokens); a collapse, or a jump to max_new_tokens, often means the policy "
            + "found a length exploit.",
        [DiversityDistinct1] =
            "Distinct words / all words over the iteration's responses (Li et al. 2016); a steady fall means the policy "
            + "repeats itself (mode collapse), even while the score rises.",
        [DiversityDistinct2] =
            "Distinct word bigrams / all bigrams over the iteration's responses; falls faster than distinct_1 when "
            + "responses share openings or phrases.",
        [DiversitySelfBleu] =
            "Mean BLEU-4 of each response against the others (Zhu et al. 2018); rises as responses become alike, 1 = all the same.",
        [RewardsChosen] =
            "DPO implicit reward of chosen responses β(π_c − ref_c); should rise or fall less than rewards/rejected.",
        [RewardsRejected] = "DPO implicit reward of rejected responses; should fall.",
        [RewardsAccuracies] =
            "Fraction of pairs whose chosen implicit reward beats the rejected; should climb above 0.5 quickly.",
        [RewardsMargins] = "Mean chosen − rejected implicit reward; should grow.",
        [RewardModelLoss] = "Bradley–Terry / K-wise ranking loss; starts at log 2 ≈ 0.693 and should fall.",
        [RewardModelAccuracy] =
            "Fraction of pairs scored in preference order; held-out accuracy of 0.6–0.75 is typical for human data.",
        [RewardModelMargin] =
            "Mean score difference chosen − rejected; should grow, but unbounded growth means overconfidence.",
    };
}
