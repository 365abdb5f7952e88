using System.Text.RegularExpressions;

namespace Rlhf.Deploy.Tests.Infrastructure;

/// <summary>One host of docs/CONVENTIONS.md: its deployment name, project (= assembly), port and gRPC service.</summary>
internal sealed record HostConvention(string Name, string Project, int Port, string GrpcService, string Component)
{
    /// <summary>The project file, relative to the repository root.</summary>
    public string ProjectPath => $"services/hosts/{Project}/{Project}.csproj";

    /// <summary>The host's appsettings.json, relative to the repository root.</summary>
    public string AppSettingsPath => $"services/hosts/{Project}/appsettings.json";

    /// <summary>The published assembly.</summary>
    public string Assembly => Project + ".dll";

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// The fixed facts the deployment is built against (docs/CONVENTIONS.md), kept in this one place: hosts and ports,
/// the configuration keys a ConfigMap may set, the orchestrator label, the container user, the PPO config keys.
/// </summary>
internal static partial class Conventions
{
    /// <summary>The five hosts, in port order.</summary>
    public static IReadOnlyList<HostConvention> Hosts { get; } =
    [
        new("policy", "Rlhf.PolicyService", 50051, "rlhf.v1.PolicyService", "policy"),
        new("reference", "Rlhf.ReferenceService", 50052, "rlhf.v1.ReferenceService", "reference"),
        new("critic", "Rlhf.CriticService", 50053, "rlhf.v1.CriticService", "critic"),
        new("reward", "Rlhf.RewardService", 50054, "rlhf.v1.RewardService", "reward"),
        new("orchestrator", "Rlhf.OrchestratorService", 50055, "rlhf.v1.OrchestratorService", "orchestrator"),
    ];

    /// <summary>
    /// The frozen model services that run several replicas (reference, reward): each has a headless Service
    /// <c>&lt;name&gt;-headless</c> beside its ClusterIP Service, and the orchestrator and the PPO Job reach it at
    /// <c>dns:///&lt;name&gt;-headless:&lt;port&gt;</c> (round robin over the replicas). The trained ones (policy, critic)
    /// run exactly one replica and are reached at <c>http://&lt;name&gt;:&lt;port&gt;</c>.
    /// </summary>
    public static IReadOnlyList<string> Replicated { get; } = ["reference", "reward"];

    /// <summary>The services whose training RPCs only the orchestrator may reach.</summary>
    public static IReadOnlyList<string> OrchestratorOnly { get; } = ["policy", "reference", "critic"];

    /// <summary>
    /// The documented configuration keys, in appsettings form (<c>Section:Key</c>; <c>*</c> = an array index): every
    /// backticked <c>Section:Key</c> in the first column of docs/CONVENTIONS.md's tables (<c>&lt;i&gt;</c> read as <c>*</c>).
    /// </summary>
    public static IReadOnlyList<string> ConfigurationKeys { get; } = File.ReadLines(Path.Combine(RepoPaths.Root, "docs", "CONVENTIONS.md"))
        .Where(line => line.StartsWith('|'))
        .SelectMany(line => DocumentedKey().Matches(line.Split('|')[1]).Select(m => m.Groups[1].Value.Replace("<i>", "*", StringComparison.Ordinal)))
        .Distinct()
        .ToList();

    /// <summary>The PPO config keys that <c>rlhf ppo --config</c> reads (TRL-style).</summary>
    public static IReadOnlyList<string> PpoConfigKeys { get; } =
    [
        "batch_size", "mini_batch_size", "ppo_epochs", "learning_rate", "cliprange", "cliprange_value", "vf_coef",
        "ent_coef", "gamma", "lam", "kl_coef", "target_kl", "kl_estimator", "whiten_rewards", "max_new_tokens",
        "temperature", "top_p", "seed", "iterations", "output_dir",
        "policy_url", "reference_url", "critic_url", "reward_url",
    ];

    /// <summary>
    /// Further keys that <c>rlhf ppo --config</c> accepts beyond the documented ones (Rlhf.Orchestration's PpoConfig);
    /// a key in neither list is a typo the CLI would reject.
    /// </summary>
    public static IReadOnlyList<string> PpoConfigOptionalKeys { get; } =
    [
        "algorithm", "num_samples_per_prompt", "critic_learning_rate", "max_grad_norm", "kl_horizon", "score_clip",
        "missing_eos_penalty", "top_k", "prompts", "eval_every", "eval_prompts", "sample_every", "save_every",
        "policy_model", "reference_model", "critic_model", "reward_model", "tokenizer", "reward_config", "threads",
    ];

    /// <summary>The summary.json keys the CLI writes.</summary>
    public static IReadOnlyList<string> SummaryKeys { get; } =
        ["initial_score", "final_score", "score_gain", "kl", "ref_nll_initial", "ref_nll_final", "iterations", "wall_seconds"];

    /// <summary>The component label value that NetworkPolicies admit to the training services.</summary>
    public const string OrchestratorComponent = "orchestrator";

    /// <summary>The unprivileged user of the aspnet image (<c>APP_UID</c>).</summary>
    public const int AppUid = 1654;

    /// <summary>The common labels every per-service object carries.</summary>
    public const string NameLabel = "app.kubernetes.io/name";

    /// <summary>The component label.</summary>
    public const string ComponentLabel = "app.kubernetes.io/component";

    /// <summary>The part-of label and its value.</summary>
    public const string PartOfLabel = "app.kubernetes.io/part-of";

    /// <summary>The value of <see cref="PartOfLabel"/>.</summary>
    public const string PartOf = "rlhf-services";

    /// <summary>The host with deployment name <paramref name="name"/>.</summary>
    public static HostConvention Host(string name) => Hosts.Single(h => h.Name == name);

    /// <summary>
    /// True when <paramref name="key"/> (appsettings form <c>A:B</c> or environment form <c>A__B</c>, any case) is a
    /// documented configuration key.
    /// </summary>
    public static bool IsDocumentedKey(string key)
    {
        var normalized = key.Replace("__", ":", StringComparison.Ordinal);
        var indexed = ArrayIndex().Replace(normalized, ":*:");
        return ConfigurationKeys.Any(k => string.Equals(k, indexed, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@":\d+:")]
    private static partial Regex ArrayIndex();

    [GeneratedRegex(@"`([A-Z][A-Za-z]*(?::(?:[A-Z][A-Za-z]*|<i>))+)`")]
    private static partial Regex DocumentedKey();
}
