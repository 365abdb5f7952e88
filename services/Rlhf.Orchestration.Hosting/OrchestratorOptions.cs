namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// The <c>Orchestrator</c> configuration section of the OrchestratorService host (appsettings, env
/// <c>Orchestrator__Key</c>, <c>--Orchestrator:Key=</c>). A run's RunConfig sits on top of <see cref="BaseConfig"/>;
/// its empty <c>*_url</c> fields fall back to the URLs here, and then to in-process services.
/// </summary>
public sealed class OrchestratorOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Orchestrator";

    /// <summary>YAML run configuration every run starts from (models, tokenizer, prompts); "" = the built-in defaults.</summary>
    public string BaseConfig { get; set; } = "";

    /// <summary>Parent of the run directories of runs whose output_dir is empty (<c>RunsDirectory/run_id</c>).</summary>
    public string RunsDirectory { get; set; } = "runs";

    /// <summary>PolicyService URL used when a run leaves policy_url empty; "" = in-process.</summary>
    public string PolicyUrl { get; set; } = "";

    /// <summary>ReferenceService URL used when a run leaves reference_url empty; "" = in-process.</summary>
    public string ReferenceUrl { get; set; } = "";

    /// <summary>CriticService URL used when a run leaves critic_url empty; "" = in-process.</summary>
    public string CriticUrl { get; set; } = "";

    /// <summary>RewardService URL used when a run leaves reward_url empty; "" = in-process.</summary>
    public string RewardUrl { get; set; } = "";

    /// <summary>Runs that may iterate at the same time (others wait in PENDING). Default 1.</summary>
    public int MaxConcurrentRuns { get; set; } = 1;

    /// <summary>Throws with a message naming the key when the options are unusable.</summary>
    public void Validate()
    {
        if (BaseConfig.Length > 0 && !File.Exists(BaseConfig))
            throw Invalid($"Orchestrator:BaseConfig '{BaseConfig}' does not exist; pass --Orchestrator:BaseConfig=FILE (a PPO config, e.g. examples/tinystories-positive.yaml)");
        if (string.IsNullOrWhiteSpace(RunsDirectory))
            throw Invalid("Orchestrator:RunsDirectory must not be empty");
        if (MaxConcurrentRuns < 1)
            throw Invalid("Orchestrator:MaxConcurrentRuns must be at least 1");
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string failure) =>
        new(Section, typeof(OrchestratorOptions), [failure]);
}
