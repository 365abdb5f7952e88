using System.Globalization;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// Maps the wire's <see cref="RunConfig"/> onto <see cref="PpoConfig"/> and back. Every set field (and every
/// <c>extra</c> entry) becomes a <c>key=value</c> override over the orchestrator's base YAML, so the wire gets exactly
/// the validation, key names and messages of <c>rlhf ppo --set</c>: unknown keys, wrong types and out-of-range values
/// are reported together as one <see cref="ConfigException"/> that names each key.
/// </summary>
public static class RunConfigMapping
{
    /// <summary>The overrides a RunConfig stands for, in field order, then the <c>extra</c> entries (ordinal key order).</summary>
    /// <exception cref="ConfigException">An <c>extra</c> key duplicates a RunConfig field.</exception>
    public static IReadOnlyList<string> ToOverrides(RunConfig config)
    {
        var fields = new List<(string Key, string? Value)>
        {
            ("algorithm", config.Algorithm switch
            {
                Algorithm.Ppo => "ppo",
                Algorithm.Grpo => "grpo",
                Algorithm.Rloo => "rloo",
                _ => null,
            }),
            ("batch_size", config.HasBatchSize ? Int(config.BatchSize) : null),
            ("mini_batch_size", config.HasMiniBatchSize ? Int(config.MiniBatchSize) : null),
            ("ppo_epochs", config.HasPpoEpochs ? Int(config.PpoEpochs) : null),
            ("learning_rate", config.HasLearningRate ? Float(config.LearningRate) : null),
            ("critic_learning_rate", config.HasCriticLearningRate ? Float(config.CriticLearningRate) : null),
            ("cliprange", config.HasCliprange ? Float(config.Cliprange) : null),
            ("cliprange_value", config.HasCliprangeValue ? Float(config.CliprangeValue) : null),
            ("vf_coef", config.HasVfCoef ? Float(config.VfCoef) : null),
            ("ent_coef", config.HasEntCoef ? Float(config.EntCoef) : null),
            ("gamma", config.HasGamma ? Float(config.Gamma) : null),
            ("lam", config.HasLam ? Float(config.Lam) : null),
            ("kl_coef", config.HasKlCoef ? Float(config.KlCoef) : null),
            ("target_kl", config.HasTargetKl ? Float(config.TargetKl) : null),
            ("kl_horizon", config.HasKlHorizon ? Float(config.KlHorizon) : null),
            ("kl_estimator", config.KlEstimator.Length > 0 ? config.KlEstimator : null),
            ("whiten_rewards", config.HasWhitenRewards ? (config.WhitenRewards ? "true" : "false") : null),
            ("max_new_tokens", config.HasMaxNewTokens ? Int(config.MaxNewTokens) : null),
            ("temperature", config.HasTemperature ? Float(config.Temperature) : null),
            ("top_p", config.HasTopP ? Float(config.TopP) : null),
            ("seed", config.HasSeed ? config.Seed.ToString(CultureInfo.InvariantCulture) : null),
            ("iterations", config.HasIterations ? Int(config.Iterations) : null),
            ("output_dir", config.OutputDir.Length > 0 ? config.OutputDir : null),
            ("num_samples_per_prompt", config.HasNumSamplesPerPrompt ? Int(config.NumSamplesPerPrompt) : null),
            ("max_grad_norm", config.HasMaxGradNorm ? Float(config.MaxGradNorm) : null),
            ("score_clip", config.HasScoreClip ? Float(config.ScoreClip) : null),
            ("missing_eos_penalty", config.HasMissingEosPenalty ? Float(config.MissingEosPenalty) : null),
            ("prompts.path", config.PromptsPath.Length > 0 ? config.PromptsPath : null),
            ("policy_url", config.PolicyUrl.Length > 0 ? config.PolicyUrl : null),
            ("reference_url", config.ReferenceUrl.Length > 0 ? config.ReferenceUrl : null),
            ("critic_url", config.CriticUrl.Length > 0 ? config.CriticUrl : null),
            ("reward_url", config.RewardUrl.Length > 0 ? config.RewardUrl : null),
        };
        var fieldKeys = fields.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var errors = config.Extra.Keys.Where(fieldKeys.Contains).Order(StringComparer.Ordinal)
            .Select(k => $"extra key '{k}' is a RunConfig field; set the field instead").ToList();
        if (errors.Count > 0)
            throw new ConfigException(errors);
        var overrides = fields.Where(f => f.Value is not null).Select(f => $"{f.Key}={f.Value}").ToList();
        overrides.AddRange(config.Extra.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));
        return overrides;
    }

    /// <summary>The effective configuration on the wire (every RunConfig field filled in from <paramref name="config"/>).</summary>
    /// <param name="config">The loaded configuration.</param>
    /// <param name="extra">The request's extra entries, echoed back.</param>
    public static RunConfig FromPpoConfig(PpoConfig config, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var wire = new RunConfig
        {
            Algorithm = config.Algorithm switch
            {
                PpoAlgorithm.Grpo => Algorithm.Grpo,
                PpoAlgorithm.Rloo => Algorithm.Rloo,
                _ => Algorithm.Ppo,
            },
            BatchSize = config.BatchSize,
            MiniBatchSize = config.MiniBatchSize,
            PpoEpochs = config.PpoEpochs,
            LearningRate = (float)config.LearningRate,
            CriticLearningRate = (float)config.EffectiveCriticLearningRate,
            Cliprange = (float)config.Cliprange,
            CliprangeValue = (float)config.CliprangeValue,
            VfCoef = (float)config.VfCoef,
            EntCoef = (float)config.EntCoef,
            Gamma = (float)config.Gamma,
            Lam = (float)config.Lam,
            KlCoef = (float)config.KlCoef,
            KlHorizon = config.KlHorizon,
            KlEstimator = ConfigNames.ToSnakeCase(config.KlEstimator.ToString()),
            WhitenRewards = config.WhitenRewards,
            MaxNewTokens = config.MaxNewTokens,
            Temperature = (float)config.Temperature,
            TopP = (float)config.TopP,
            Seed = (ulong)config.Seed,
            Iterations = config.Iterations,
            OutputDir = config.OutputDir,
            NumSamplesPerPrompt = config.NumSamplesPerPrompt,
            PromptsPath = config.Prompts.Path,
            PolicyUrl = config.PolicyUrl,
            ReferenceUrl = config.ReferenceUrl,
            CriticUrl = config.CriticUrl,
            RewardUrl = config.RewardUrl,
        };
        if (config.TargetKl is { } targetKl)
            wire.TargetKl = (float)targetKl;
        if (config.MaxGradNorm is { } maxGradNorm)
            wire.MaxGradNorm = (float)maxGradNorm;
        if (config.ScoreClip is { } scoreClip)
            wire.ScoreClip = (float)scoreClip;
        if (config.MissingEosPenalty is { } penalty)
            wire.MissingEosPenalty = (float)penalty;
        foreach (var (key, value) in extra ?? [])
            wire.Extra[key] = value;
        return wire;
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
