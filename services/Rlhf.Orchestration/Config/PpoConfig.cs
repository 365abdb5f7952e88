using Rlhf.Configuration;
using System.ComponentModel;
using Rlhf.Alignment;

namespace Rlhf.Orchestration.Config;

/// <summary>
/// Configuration of <c>rlhf ppo</c>, TRL-style snake_case keys (compare TRL's <c>PPOConfig</c>). Each key's meaning and
/// default is in its <see cref="DescriptionAttribute"/>, which <see cref="ConfigYaml"/> also writes as a comment into the
/// run's <c>config.yaml</c>. Defaults suit the tiny stories260K model on CPU; where TRL's default differs it is named.
/// Paths accept <c>${RLHF_DATA_DIR}</c> (see <see cref="PathExpansion"/>) and resolve relative to the YAML file.
/// </summary>
public sealed class PpoConfig : IConfigSection
{
    // --- algorithm and batch shape ---
    [ConfigAlias(verl: "algorithm.adv_estimator")]
    [Description("Policy-gradient algorithm: ppo (critic + GAE) | grpo (group-relative advantages) | rloo (leave-one-out baseline).")]
    public PpoAlgorithm Algorithm { get; set; } = PpoAlgorithm.Ppo;

    [ConfigAlias(verl: "data.train_batch_size")]
    [ConfigRange(1), Description("Prompts per iteration (rollout batch); rollouts = batch_size × num_samples_per_prompt.")]
    public int BatchSize { get; set; } = 16;

    [ConfigAlias(verl: "actor_rollout_ref.actor.ppo_mini_batch_size")]
    [ConfigRange(1), Description("Rollouts per optimisation minibatch; must divide batch_size × num_samples_per_prompt.")]
    public int MiniBatchSize { get; set; } = 8;

    [ConfigAlias(trl: "num_ppo_epochs", verl: "actor_rollout_ref.actor.ppo_epochs")]
    [ConfigRange(1), Description("Passes over each rollout batch (TRL num_ppo_epochs = 4).")]
    public int PpoEpochs { get; set; } = 4;

    [ConfigAlias(trl: "num_generations (GRPO)", verl: "actor_rollout_ref.rollout.n")]
    [ConfigRange(1), Description("Responses sampled per prompt; grpo and rloo need ≥ 2 to form a baseline.")]
    public int NumSamplesPerPrompt { get; set; } = 1;

    [ConfigAlias(verl: "trainer.total_training_steps")]
    [ConfigRange(1), Description("PPO iterations (rollout + optimisation rounds).")]
    public int Iterations { get; set; } = 100;

    // --- optimisation ---
    [ConfigAlias(verl: "actor_rollout_ref.actor.optim.lr")]
    [ConfigRange(0, 1, MinExclusive = true), Description("Policy AdamW learning rate (TRL 3e-6 for 1B models; a 260K-parameter model tolerates far more).")]
    public double LearningRate { get; set; } = 1e-4;

    [ConfigAlias(verl: "critic.optim.lr")]
    [ConfigRange(0, 1, MinExclusive = true), Description("Critic learning rate; null = learning_rate.")]
    public double? CriticLearningRate { get; set; }

    [ConfigAlias(verl: "actor_rollout_ref.actor.grad_clip")]
    [ConfigRange(0, double.PositiveInfinity, MinExclusive = true), Description("Clip the global gradient norm to this; null = no clipping.")]
    public double? MaxGradNorm { get; set; } = 1.0;

    [ConfigAlias(trl: "epsilon (GRPO)", verl: "actor_rollout_ref.actor.clip_ratio")]
    [ConfigRange(0, 1, MinExclusive = true), Description("PPO ratio clip range ε: ratio is clipped to [1−ε, 1+ε] (Schulman et al. 2017, eq. 7; TRL 0.2).")]
    public double Cliprange { get; set; } = 0.2;

    [ConfigAlias(verl: "actor_rollout_ref.actor.clip_ratio_low")]
    [ConfigRange(0, 1, MinExclusive = true, MaxExclusive = true), Description("ε_low of the lower ratio bound 1 − ε_low; null = cliprange.")]
    public double? CliprangeLow { get; set; }

    [ConfigAlias(verl: "actor_rollout_ref.actor.clip_ratio_high")]
    [ConfigRange(0, double.PositiveInfinity, MinExclusive = true), Description("ε_high of the upper ratio bound 1 + ε_high (DAPO clip-higher, Yu et al. 2025 §3.1, e.g. 0.28); null = cliprange.")]
    public double? CliprangeHigh { get; set; }

    [ConfigAlias(verl: "actor_rollout_ref.actor.clip_ratio_c")]
    [Description("Dual-clip PPO's c > 1 (Ye et al. 2020): for a negative advantage the token loss is capped at −c·A; null = off.")]
    public double? DualClipC { get; set; }

    [ConfigAlias(verl: "actor_rollout_ref.actor.loss_agg_mode")]
    [Description("How token losses are reduced: token-mean | seq-mean-token-sum | seq-mean-token-mean | seq-mean-token-sum-norm (Dr. GRPO, L = max_new_tokens); empty = the algorithm's (grpo: seq-mean-token-mean, else token-mean).")]
    public string LossAggMode { get; set; } = "";

    [ConfigAlias(verl: "actor_rollout_ref.actor.use_kl_loss")]
    [Description("KL to the reference in the loss, β = kl_coef (GRPO eq. 3); null = the algorithm's (grpo: true, else false). ppo and rloo keep their KL in the reward, so true is refused for them.")]
    public bool? UseKlLoss { get; set; }

    [ConfigAlias(verl: "actor_rollout_ref.actor.kl_loss_type")]
    [Description("Per-token estimator of the KL loss: k1 | k2 | k3 | abs (verl kl | mse | low_var_kl | abs); null = k3 (GRPO eq. 4).")]
    public KlEstimator? KlLossType { get; set; }

    [ConfigAlias(trl: "scale_rewards", verl: "algorithm.norm_adv_by_std_in_grpo")]
    [Description("grpo: divide each group's centred rewards by the group's std (Shao et al. 2024 §4.1.2); false = only remove the mean (Dr. GRPO, Liu et al. 2025).")]
    public bool ScaleRewards { get; set; } = true;

    [ConfigAlias(trl: "mask_truncated_completions")]
    [Description("Leave responses that hit max_new_tokens without EOS out of the policy loss (DAPO §3.4; TRL GRPOConfig).")]
    public bool MaskTruncatedCompletions { get; set; }

    [ConfigAlias(verl: "critic.cliprange_value")]
    [ConfigRange(0, double.PositiveInfinity, MinExclusive = true), Description("Value clip range around the rollout values (TRL 0.2).")]
    public double CliprangeValue { get; set; } = 0.2;

    [ConfigRange(0), Description("Value-loss coefficient c1 (TRL 0.1).")]
    public double VfCoef { get; set; } = 0.1;

    [ConfigAlias(verl: "actor_rollout_ref.actor.entropy_coeff")]
    [ConfigRange(0), Description("Entropy-bonus coefficient c2 (Schulman et al. 2017, eq. 9); 0 = off.")]
    public double EntCoef { get; set; } = 0.0;

    [ConfigAlias(verl: "algorithm.gamma")]
    [ConfigRange(0, 1), Description("Discount γ for GAE (TRL 1.0: episodic, reward at the end).")]
    public double Gamma { get; set; } = 1.0;

    [ConfigAlias(verl: "algorithm.lam")]
    [ConfigRange(0, 1), Description("GAE λ (Schulman et al. 2016; TRL 0.95).")]
    public double Lam { get; set; } = 0.95;

    [Description("Whiten (normalise to zero mean, unit variance) the per-token rewards of a batch before GAE (TRL false).")]
    public bool WhitenRewards { get; set; }

    // --- KL penalty ---
    [ConfigAlias(trl: "init_kl_coef (old PPOConfig); beta (GRPO)", verl: "algorithm.kl_ctrl.kl_coef")]
    [ConfigRange(0), Description("Initial KL penalty coefficient β in reward = score − β·KL (TRL 0.05).")]
    public double KlCoef { get; set; } = 0.05;

    [ConfigAlias(trl: "target (old PPOConfig, with adap_kl_ctrl)", verl: "algorithm.kl_ctrl.target_kl")]
    [ConfigRange(0, double.PositiveInfinity, MinExclusive = true), Description("Target KL (nats per sequence) of the adaptive controller (Ziegler et al. 2019, §2.2); null = fixed kl_coef.")]
    public double? TargetKl { get; set; }

    [ConfigAlias(trl: "horizon (old PPOConfig)", verl: "algorithm.kl_ctrl.horizon")]
    [ConfigRange(1), Description("Horizon of the adaptive KL controller in rollouts (Ziegler et al. 2019; TRL 10000).")]
    public int KlHorizon { get; set; } = 10000;

    [ConfigAlias(verl: "algorithm.kl_penalty")]
    [Description("Per-token KL estimator: k1 (logprob − ref_logprob) | k2 | k3 | abs (Schulman 2020; Rlhf.Alignment.KlEstimator).")]
    public KlEstimator KlEstimator { get; set; } = KlEstimator.K1;

    // --- reward shaping ---
    [ConfigRange(0, double.PositiveInfinity, MinExclusive = true), Description("Clip reward-model scores to [−score_clip, score_clip]; null = no clipping.")]
    public double? ScoreClip { get; set; }

    [Description("Penalty subtracted from the score of a response that hit max_new_tokens without EOS, ≥ 0 (e.g. 1.0; TRL missing_eos_penalty); null = none.")]
    public double? MissingEosPenalty { get; set; }

    // --- sampling ---
    [ConfigAlias(trl: "response_length; max_completion_length (GRPO)", verl: "data.max_response_length")]
    [ConfigRange(1), Description("Tokens generated per response (TRL response_length 53).")]
    public int MaxNewTokens { get; set; } = 48;

    [ConfigAlias(verl: "actor_rollout_ref.rollout.temperature")]
    [ConfigRange(0, double.PositiveInfinity, MinExclusive = true), Description("Sampling temperature; logprobs are computed at the same temperature (TRL 0.7).")]
    public double Temperature { get; set; } = 0.7;

    [ConfigAlias(verl: "actor_rollout_ref.rollout.top_p")]
    [ConfigRange(0, 1, MinExclusive = true), Description("Nucleus sampling mass; 1 = off.")]
    public double TopP { get; set; } = 1.0;

    [ConfigAlias(verl: "actor_rollout_ref.rollout.top_k")]
    [ConfigRange(0), Description("Top-k sampling; 0 = off.")]
    public int TopK { get; set; }

    [ConfigRange(1), Description("Minibatches whose gradients are accumulated before one optimizer step (gradients scaled by 1/steps).")]
    public int GradientAccumulationSteps { get; set; } = 1;

    [Description("What the reward model scores: prompt_and_response (the whole sequence) or response (BOS + response tokens).")]
    public RewardInput RewardInput { get; set; } = RewardInput.PromptAndResponse;

    [Description("Seed of every random choice (sampling, shuffles, splits).")]
    public int Seed { get; set; } = 42;

    // --- data ---
    [Description("Prompt source (TinyStories openings) and its held-out split.")]
    public PromptsConfig Prompts { get; set; } = new();

    // --- evaluation, samples, checkpoints ---
    [ConfigAlias(trl: "eval_steps", verl: "trainer.test_freq")]
    [ConfigRange(0), Description("Evaluate on held-out prompts every N iterations (and at the end); 0 = only at start and end.")]
    public int EvalEvery { get; set; } = 10;

    [ConfigRange(1), Description("Held-out prompts per evaluation (greedy responses).")]
    public int EvalPrompts { get; set; } = 32;

    [ConfigRange(1, 64), Description("Responses sampled per held-out prompt in each evaluation (more = a less noisy eval score).")]
    public int EvalSamplesPerPrompt { get; set; } = 4;

    [ConfigRange(0), Description("Write sample responses to samples.jsonl every N iterations; 0 = never.")]
    public int SampleEvery { get; set; } = 10;

    [ConfigAlias(trl: "save_steps", verl: "trainer.save_freq")]
    [ConfigRange(0), Description("Checkpoint every N iterations (and at the end); 0 = only at the end.")]
    public int SaveEvery { get; set; } = 50;

    [ConfigAlias(verl: "trainer.default_local_dir")]
    [ConfigPath, Description("Run directory (metrics.jsonl, samples.jsonl, eval_samples.jsonl, summary.json, config.yaml, report.html, checkpoints/); must not hold another run (--resume continues it, --overwrite replaces it). Unset: rlhf ppo makes runs/<config name>/<yyyyMMdd-HHmmss>/ in the current directory and points runs/<config name>/latest at it.")]
    public string OutputDir { get; set; } = "";

    // --- models ---
    [ConfigAlias(trl: "sft_model_path", verl: "actor_rollout_ref.model.path")]
    [ConfigPath, Description("Policy to train: llama2.c .bin or checkpoint directory (required unless policy_url is set).")]
    public string PolicyModel { get; set; } = "";

    [ConfigPath, Description("Frozen reference policy; empty = policy_model.")]
    public string ReferenceModel { get; set; } = "";

    [ConfigAlias(verl: "critic.model.path")]
    [ConfigPath, Description("Critic initialisation; empty = policy_model's trunk with a new value head.")]
    public string CriticModel { get; set; } = "";

    [ConfigAlias(trl: "reward_model_path", verl: "reward_model.model.path")]
    [ConfigPath, Description("Reward model checkpoint (required unless reward_url is set).")]
    public string RewardModel { get; set; } = "";

    [ConfigPath, Description("llama2.c tokenizer.bin shared by all models (required).")]
    public string Tokenizer { get; set; } = "";

    [ConfigPath, Description("Reward training config used to train reward_model when its checkpoint is missing; empty = fail instead.")]
    public string RewardConfig { get; set; } = "";

    // --- remote services (empty = in-process) ---
    [Description("PolicyService address: http://host:port, https://host:port or dns:///name:port (round robin over every address of the name); empty = in-process.")]
    public string PolicyUrl { get; set; } = "";

    [Description("ReferenceService address (as policy_url); empty = in-process.")]
    public string ReferenceUrl { get; set; } = "";

    [Description("CriticService address (as policy_url); empty = in-process.")]
    public string CriticUrl { get; set; } = "";

    [Description("RewardService address (as policy_url); empty = in-process.")]
    public string RewardUrl { get; set; } = "";

    [ConfigRange(0), Description("CPU threads per in-process model; 0 = all cores.")]
    public int Threads { get; set; }

    [Description("Model backend of the in-process model services (Model:Backend): native (the CPU engine) or torch (TorchSharp).")]
    public string ModelBackend { get; set; } = "native";

    [Description("Device of the in-process model services (Model:Device): cpu, cuda or cuda:N (torch only).")]
    public string ModelDevice { get; set; } = "cpu";

    [Description("Parameter type of the in-process model services (Model:Dtype): float32 or bfloat16 (torch only).")]
    public string ModelDtype { get; set; } = "float32";

    [ConfigRange(0, 3600), Description("Seconds of jittered backoff for which idempotent calls to a model service are retried while it is UNAVAILABLE (e.g. a restarting reward or reference service); 0 = no retries. Backward and OptimizerStep are never retried.")]
    public double ServiceRetrySeconds { get; set; } = 30;

    /// <summary>The critic learning rate in effect.</summary>
    public double EffectiveCriticLearningRate => CriticLearningRate ?? LearningRate;

    /// <summary>
    /// Whether the algorithm trains a critic: ppo (critic + GAE) does; grpo and rloo take their baseline from the
    /// group of samples of each prompt instead, so they need num_samples_per_prompt ≥ 2 and no critic service.
    /// </summary>
    public bool UsesCritic => Algorithm == PpoAlgorithm.Ppo;

    /// <summary>
    /// The policy loss's options from this config: the algorithm's defaults (GRPO: <see cref="PpoLossOptions.Grpo"/>
    /// with β = <paramref name="klCoef"/>), then the keys that override them (cliprange, cliprange_low/high,
    /// dual_clip_c, loss_agg_mode, use_kl_loss, kl_loss_type). Call on a validated config.
    /// </summary>
    /// <param name="klCoef">β of the KL loss: the KL controller's current coefficient.</param>
    public PpoLossOptions PolicyLossOptions(double klCoef)
    {
        var defaults = Algorithm == PpoAlgorithm.Grpo ? PpoLossOptions.Grpo(klCoef) : new PpoLossOptions();
        return defaults with
        {
            Cliprange = Cliprange,
            CliprangeLow = CliprangeLow,
            CliprangeHigh = CliprangeHigh,
            DualClipC = DualClipC,
            Aggregation = LossAggMode.Length > 0 ? LossAggregation.Parse(LossAggMode, MaxNewTokens) : defaults.Aggregation,
            UseKlLoss = UseKlLoss ?? defaults.UseKlLoss,
            KlLossType = KlLossType ?? defaults.KlLossType,
        };
    }

    /// <summary>Rollouts per iteration = batch_size × num_samples_per_prompt.</summary>
    public int RolloutsPerIteration => BatchSize * NumSamplesPerPrompt;

    /// <summary>The error when an algorithm without a critic has groups of fewer than two samples, else null.</summary>
    internal string? GroupSizeError() => !UsesCritic && NumSamplesPerPrompt < 2
        ? $"num_samples_per_prompt must be ≥ 2 for algorithm {ConfigNames.ToSnakeCase(Algorithm.ToString())} (got {NumSamplesPerPrompt})"
        : null;

    /// <inheritdoc />
    public void Validate(ICollection<string> errors, string prefix)
    {
        if (MiniBatchSize > 0 && RolloutsPerIteration > 0 && RolloutsPerIteration % MiniBatchSize != 0)
            errors.Add($"mini_batch_size ({MiniBatchSize}) must divide batch_size × num_samples_per_prompt ({RolloutsPerIteration})");
        if (GroupSizeError() is { } groupSize)
            errors.Add(groupSize);
        if (DualClipC is { } dualClip && !(dualClip > 1))
            errors.Add($"dual_clip_c must be > 1: the cap −c·A must lie beyond the clipped term (got {ConfigNames.Format(dualClip)})");
        var aggModes = Enum.GetValues<Rlhf.Alignment.LossAggMode>().Select(LossAggregation.ConfigName).ToArray();
        if (LossAggMode.Length > 0 && !aggModes.Contains(LossAggMode, StringComparer.Ordinal))
            errors.Add($"loss_agg_mode must be one of {string.Join(" | ", aggModes)}, or empty for the algorithm's (got '{LossAggMode}')");
        if (!ScaleRewards && Algorithm != PpoAlgorithm.Grpo)
            errors.Add($"scale_rewards: false needs algorithm grpo: it scales group advantages, which {ConfigNames.Format(Algorithm)} does not use");
        if (UseKlLoss == true && Algorithm != PpoAlgorithm.Grpo)
            errors.Add($"use_kl_loss: true needs algorithm grpo: {ConfigNames.Format(Algorithm)} puts the KL in the reward (kl_coef)");
        if (MissingEosPenalty is { } penalty && !(penalty >= 0))
            errors.Add($"missing_eos_penalty must be ≥ 0: it is subtracted from the score, so 1.0 lowers it by 1 (got {ConfigNames.Format(penalty)})");
        if (PolicyModel.Length == 0 && PolicyUrl.Length == 0)
            errors.Add("policy_model is required (or set policy_url)");
        if (RewardModel.Length == 0 && RewardUrl.Length == 0)
            errors.Add("reward_model is required (or set reward_url)");
        if (Tokenizer.Length == 0)
            errors.Add("tokenizer is required (a llama2.c tokenizer.bin)");
        if (ModelBackend is not ("native" or "torch"))
            errors.Add($"{prefix}model_backend must be native or torch (got '{ModelBackend}')");
        try
        {
            Rlhf.Models.ModelLoadOptions.ParseDevice(ModelDevice);
        }
        catch (ArgumentException)
        {
            errors.Add($"{prefix}model_device must be cpu, cuda or cuda:N (got '{ModelDevice}')");
        }
        if (ModelDtype is not ("float32" or "bfloat16"))
            errors.Add($"{prefix}model_dtype must be float32 or bfloat16 (got '{ModelDtype}')");
        foreach (var (key, url) in new[] { ("policy_url", PolicyUrl), ("reference_url", ReferenceUrl), ("critic_url", CriticUrl), ("reward_url", RewardUrl) })
        {
            if (Rlhf.Client.ServiceAddress.ConfigError(prefix + key, url) is { } error)
                errors.Add(error);
        }
    }
}
