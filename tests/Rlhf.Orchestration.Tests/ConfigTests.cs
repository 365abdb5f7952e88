using Rlhf.Alignment;
using Rlhf.Data;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;

namespace Rlhf.Orchestration.Tests;

public sealed class ConfigTests
{
    private const string MinimalPpo = """
        policy_model: ${RLHF_DATA_DIR}/stories260K.bin
        reward_model: models/reward
        tokenizer: ${RLHF_DATA_DIR}/tok512.bin
        prompts:
          path: ${RLHF_DATA_DIR}/tinystories_train_head.txt
        """;

    [Fact]
    public void Load_MinimalPpoYaml_DefaultsAndDataDirPathsResolve()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo);

        var config = ConfigLoader.Load<PpoConfig>(path);

        Assert.Equal(Path.GetFullPath(TestData.Data("stories260K.bin")), config.PolicyModel);
        Assert.True(File.Exists(config.PolicyModel), config.PolicyModel);
        Assert.True(File.Exists(config.Tokenizer), config.Tokenizer);
        Assert.True(File.Exists(config.Prompts.Path), config.Prompts.Path);
        Assert.Equal(Path.Combine(dir.Path, "models", "reward"), config.RewardModel);
        Assert.Equal("", config.OutputDir);   // unset: rlhf ppo makes a fresh timestamped run directory
        Assert.Equal(PpoAlgorithm.Ppo, config.Algorithm);
        Assert.Equal(0.2, config.Cliprange);
        Assert.Equal(KlEstimator.K1, config.KlEstimator);
        Assert.Null(config.TargetKl);
        Assert.Equal("", config.ReferenceModel);
        Assert.Equal(config.LearningRate, config.EffectiveCriticLearningRate);
        Assert.Equal(new PromptRule(PromptRuleKind.FirstSentence, 8, 16, 200), config.Prompts.ToPromptRule());
    }

    [Fact]
    public void FindRepositoryRoot_InsideAndOutsideTheRepository_RootOrNull()
    {
        using var inside = new TempDir(insideRepository: true);
        using var outside = new TempDir();

        Assert.Equal(TestData.RepoRoot, PathExpansion.FindRepositoryRoot(inside.Path));
        Assert.Null(PathExpansion.FindRepositoryRoot(outside.Path));
    }

    [Fact]
    public void Load_Overrides_AppliedOnTopWithTypes()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo + "\nbatch_size: 8\ntarget_kl: 6\n");

        var config = ConfigLoader.Load<PpoConfig>(path,
        [
            "batch_size=32", "prompts.eval_fraction=0.1", "algorithm=grpo", "num_samples_per_prompt=4",
            "target_kl=null", "whiten_rewards=true", "learning_rate=3e-6", "prompts.rule=first_words", "prompts.max_prompts=100",
        ]);

        Assert.Equal(32, config.BatchSize);
        Assert.Equal(0.1, config.Prompts.EvalFraction);
        Assert.Equal(PpoAlgorithm.Grpo, config.Algorithm);
        Assert.Equal(4, config.NumSamplesPerPrompt);
        Assert.Null(config.TargetKl);
        Assert.True(config.WhitenRewards);
        Assert.Equal(3e-6, config.LearningRate);
        Assert.Equal(PromptRuleKind.FirstWords, config.Prompts.Rule);
        Assert.Equal(100, config.Prompts.MaxPrompts);
    }

    [Fact]
    public void Load_OverridePath_ResolvedAgainstOverrideBaseDirectory()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("conf/ppo.yaml", MinimalPpo);
        var cwd = dir.Dir("cwd");

        var config = ConfigLoader.Load<PpoConfig>(path, ["output_dir=out/run1"], overrideBaseDirectory: cwd);

        Assert.Equal(Path.Combine(cwd, "out", "run1"), config.OutputDir);
        Assert.Equal(Path.Combine(dir.Path, "conf", "models", "reward"), config.RewardModel);
    }

    [Fact]
    public void Load_UnknownKey_NamesKeyAndNearestValidKeys()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo + "\nlearning_rte: 0.1\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path));

        Assert.Contains("unknown key 'learning_rte'", e.Message);
        Assert.Contains("ppo.yaml:6", e.Message);
        Assert.Contains("nearest valid keys: learning_rate", e.Message);
    }

    [Fact]
    public void Load_UnknownNestedOverrideKey_NamesDottedKeyAndSuggestion()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path, ["prompts.evl_fraction=0.2"]));

        Assert.Contains("unknown key 'prompts.evl_fraction' (--set prompts.evl_fraction=0.2)", e.Message);
        Assert.Contains("prompts.eval_fraction", e.Message);
    }

    [Theory]
    [InlineData("batch_size=many", "batch_size: expected an integer, got 'many'")]
    [InlineData("cliprange=0.2.1", "cliprange: expected a finite number, got '0.2.1'")]
    [InlineData("whiten_rewards=yes", "whiten_rewards: expected true or false, got 'yes'")]
    [InlineData("kl_estimator=k4", "kl_estimator: expected one of k1|k2|k3|abs, got 'k4'")]
    [InlineData("batch_size=null", "batch_size: a value is required")]
    [InlineData("prompts=x", "prompts: is a section")]
    [InlineData("batch_size.x=1", "batch_size: is a value, not a section")]
    [InlineData("novalue", "expected key=value")]
    public void Load_BadOverride_RefusedWithKeyNamed(string assignment, string expected)
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path, [assignment]));

        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("cliprange=1.5", "cliprange must be in (0, 1] (got 1.5)")]
    [InlineData("batch_size=0", "batch_size must be ≥ 1 (got 0)")]
    [InlineData("gamma=-0.1", "gamma must be in [0, 1] (got -0.1)")]
    [InlineData("temperature=0", "temperature must be > 0 (got 0)")]
    [InlineData("prompts.eval_fraction=1", "prompts.eval_fraction must be in [0, 1) (got 1)")]
    [InlineData("mini_batch_size=5", "mini_batch_size (5) must divide batch_size × num_samples_per_prompt (16)")]
    [InlineData("algorithm=rloo", "num_samples_per_prompt must be ≥ 2 for algorithm rloo (got 1)")]
    [InlineData("reward_url=localhost:50054", "reward_url: 'localhost:50054' is not a service address (scheme 'localhost'): use http://host:port, https://host:port or dns:///name:port")]
    [InlineData("prompts.max_chars=4", "prompts.max_chars must be ≥ prompts.min_chars (16) (got 4)")]
    [InlineData("missing_eos_penalty=-1", "missing_eos_penalty must be ≥ 0: it is subtracted from the score, so 1.0 lowers it by 1 (got -1)")]
    [InlineData("dual_clip_c=1", "dual_clip_c must be > 1: the cap −c·A must lie beyond the clipped term (got 1)")]
    [InlineData("loss_agg_mode=token_mean", "loss_agg_mode must be one of token-mean | seq-mean-token-sum | seq-mean-token-mean | seq-mean-token-sum-norm, or empty for the algorithm's (got 'token_mean')")]
    [InlineData("scale_rewards=false", "scale_rewards: false needs algorithm grpo: it scales group advantages, which ppo does not use")]
    [InlineData("use_kl_loss=true", "use_kl_loss: true needs algorithm grpo: ppo puts the KL in the reward (kl_coef)")]
    [InlineData("cliprange_low=1", "cliprange_low must be in (0, 1) (got 1)")]
    [InlineData("cliprange_high=0", "cliprange_high must be > 0 (got 0)")]
    [InlineData("kl_loss_type=low_var", "kl_loss_type: expected one of k1|k2|k3|abs, got 'low_var'")]
    public void Load_OutOfRange_MessageNamesKeyAndAllowedRange(string assignment, string expected)
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path, [assignment]));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Load_SeveralProblems_AllReportedTogether()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", "batch_size: 0\ncliprange: 2\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path));

        Assert.Contains(e.Errors, m => m.StartsWith("batch_size must be", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("cliprange must be", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("policy_model is required", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("prompts.path is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_InvalidYaml_ThrowsWithFileAndLine()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", "batch_size: 8\nprompts:\n  path: [unclosed\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path));

        Assert.Contains("ppo.yaml:", e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }

    [Fact]
    public void Load_DuplicateKey_Refused()
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo + "\nseed: 1\nseed: 2\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path));

        Assert.Contains("seed", e.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsConfigExceptionNamingIt()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>("/nonexistent/ppo.yaml"));
        Assert.Contains("/nonexistent/ppo.yaml does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_PpoConfigWithNonDefaults_RoundTripsToEqualValues()
    {
        using var dir = new TempDir(insideRepository: true);
        var original = ConfigLoader.Load<PpoConfig>(dir.File("ppo.yaml", MinimalPpo),
            ["target_kl=6.5", "learning_rate=1.41e-5", "algorithm=rloo", "num_samples_per_prompt=2", "policy_url=http://127.0.0.1:50051",
             "missing_eos_penalty=1", "prompts.max_prompts=7", "kl_estimator=abs"]);

        var yaml = ConfigYaml.Serialize(original);
        var copy = ConfigLoader.Load<PpoConfig>(dir.File("copy/config.yaml", yaml));

        Assert.Equal(ConfigYaml.Serialize(original), ConfigYaml.Serialize(copy));
        Assert.Equal(6.5, copy.TargetKl);
        Assert.Equal(1.41e-5, copy.LearningRate);
        Assert.Equal(1, copy.MissingEosPenalty);
        Assert.Equal(KlEstimator.Abs, copy.KlEstimator);
        Assert.Contains("\nkl_estimator: abs\n", yaml);
        Assert.Equal(original.PolicyModel, copy.PolicyModel);
        Assert.Contains("# PPO ratio clip range", yaml);
        Assert.Contains("\nprompts:\n", yaml);
        Assert.Contains("\n  eval_fraction: 0.05\n", yaml);
        Assert.Contains("\ncritic_learning_rate: null\n", yaml);
    }

    [Fact]
    public void Keys_PpoConfig_CoversEveryKeyOfTheCommandContract()
    {
        string[] required =
        [
            "algorithm", "batch_size", "mini_batch_size", "ppo_epochs", "learning_rate", "critic_learning_rate", "cliprange",
            "cliprange_value", "vf_coef", "ent_coef", "gamma", "lam", "kl_coef", "target_kl", "kl_horizon", "kl_estimator",
            "whiten_rewards", "max_new_tokens", "temperature", "top_p", "top_k", "seed", "iterations", "output_dir",
            "num_samples_per_prompt", "max_grad_norm", "score_clip", "missing_eos_penalty", "prompts.path", "prompts.rule",
            "prompts.eval_fraction", "prompts.max_prompts", "eval_every", "eval_prompts", "sample_every", "save_every",
            "policy_model", "reference_model", "critic_model", "reward_model", "tokenizer", "reward_config", "policy_url",
            "reference_url", "critic_url", "reward_url", "threads",
        ];

        Assert.Subset(ConfigLoader.Keys<PpoConfig>().ToHashSet(), required.ToHashSet());
    }

    [Theory]
    [InlineData("KlCoef", "kl_coef")]
    [InlineData("MaxNewTokens", "max_new_tokens")]
    [InlineData("K1", "k1")]
    [InlineData("Sst2", "sst2")]
    [InlineData("LinearWarmup", "linear_warmup")]
    public void ToSnakeCase_PascalCase_Converted(string input, string expected)
    {
        Assert.Equal(expected, ConfigNames.ToSnakeCase(input));
    }

    [Fact]
    public void Resolve_DefaultSyntaxAndSetVariable_Expanded()
    {
        var env = new Dictionary<string, string?> { ["MODELS"] = "/opt/models" };

        Assert.Equal("/opt/models/a.bin", PathExpansion.Resolve("${MODELS}/a.bin", "/tmp", "k", env.GetValueOrDefault));
        Assert.Equal("/srv/b.bin", PathExpansion.Resolve("${NOPE:-/srv}/b.bin", "/tmp", "k", env.GetValueOrDefault));
        Assert.Equal("/tmp/rel/c.bin", PathExpansion.Resolve("rel/c.bin", "/tmp", "k", env.GetValueOrDefault));
        Assert.Equal("", PathExpansion.Resolve("", "/tmp", "k", env.GetValueOrDefault));
    }

    [Fact]
    public void Resolve_UnsetVariableWithoutDefault_ThrowsNamingKeyAndVariable()
    {
        var e = Assert.Throws<ConfigException>(() => PathExpansion.Resolve("${NOPE}/x", "/tmp", "reward_model", _ => null));

        Assert.Contains("reward_model: environment variable NOPE is not set", e.Message);
    }

    [Theory]
    [InlineData("policy_url", "http://policy:50051")]
    [InlineData("reference_url", "https://reference.example.com:443")]
    [InlineData("reward_url", "dns:///reward-headless:50054")]
    [InlineData("critic_url", "http://[::1]:50053")]
    public void Load_ServiceAddress_AcceptsHttpHttpsAndDns(string key, string address)
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo);

        var config = ConfigLoader.Load<PpoConfig>(path, [$"{key}={address}"]);

        Assert.Equal(address, new[] { config.PolicyUrl, config.ReferenceUrl, config.CriticUrl, config.RewardUrl }.Single(u => u.Length > 0));
    }

    [Theory]
    [InlineData("reward_url", "reward:50054", "scheme 'reward'")]
    [InlineData("reward_url", "grpc://reward:50054", "scheme 'grpc'")]
    [InlineData("reference_url", "dns://reference:50052", "a dns address has three slashes and no DNS server")]
    [InlineData("reference_url", "dns:///reference", "a dns address needs name:port")]
    [InlineData("critic_url", "dns:///critic:0", "the port must be 1–65535")]
    [InlineData("policy_url", "http://policy:50051/rlhf", "a path")]
    public void Load_OtherServiceAddress_OneLineNamingTheKeyAndTheAcceptedForms(string key, string address, string why)
    {
        using var dir = new TempDir(insideRepository: true);
        var path = dir.File("ppo.yaml", MinimalPpo);

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load<PpoConfig>(path, [$"{key}={address}"]));

        var error = Assert.Single(e.Errors);
        Assert.Equal($"{key}: '{address}' is not a service address ({why}): use http://host:port, https://host:port or dns:///name:port", error);
    }
}
