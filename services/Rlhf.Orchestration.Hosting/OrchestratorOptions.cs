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

    /// <summary>PolicyService address used when a run leaves policy_url empty (<c>http://host:port</c>, <c>https://host:port</c> or <c>dns:///name:port</c>); "" = in-process.</summary>
    public string PolicyUrl { get; set; } = "";

    /// <summary>ReferenceService address used when a run leaves reference_url empty (<c>http://host:port</c>, <c>https://host:port</c> or <c>dns:///name:port</c>); "" = in-process.</summary>
    public string ReferenceUrl { get; set; } = "";

    /// <summary>CriticService address used when a run leaves critic_url empty (<c>http://host:port</c>, <c>https://host:port</c> or <c>dns:///name:port</c>); "" = in-process.</summary>
    public string CriticUrl { get; set; } = "";

    /// <summary>RewardService address used when a run leaves reward_url empty (<c>http://host:port</c>, <c>https://host:port</c> or <c>dns:///name:port</c>); "" = in-process.</summary>
    public string RewardUrl { get; set; } = "";

    /// <summary>Runs that may iterate at the same time (others wait in PENDING). Default 1.</summary>
    public int MaxConcurrentRuns { get; set; } = 1;

    /// <summary>
    /// Deadline of each health probe of a configured model service, seconds (default 2; see
    /// <see cref="ModelServicesHealthCheck"/>). Must be &gt; 0.
    /// </summary>
    public double HealthProbeSeconds { get; set; } = 2;

    /// <summary>Throws with a message naming the key when the options are unusable.</summary>
    public void Validate()
    {
        if (BaseConfig.Length > 0 && !File.Exists(BaseConfig))
            throw Invalid($"Orchestrator:BaseConfig '{BaseConfig}' does not exist; pass --Orchestrator:BaseConfig=FILE (a PPO config, e.g. examples/tinystories-positive.yaml)");
        if (string.IsNullOrWhiteSpace(RunsDirectory))
            throw Invalid("Orchestrator:RunsDirectory must not be empty");
        if (!(HealthProbeSeconds > 0) || !double.IsFinite(HealthProbeSeconds))
            throw Invalid($"Orchestrator:HealthProbeSeconds must be > 0 (found {HealthProbeSeconds})");
        if (MaxConcurrentRuns < 1)
            throw Invalid("Orchestrator:MaxConcurrentRuns must be at least 1");
        foreach (var (key, url) in new[] { ("PolicyUrl", PolicyUrl), ("ReferenceUrl", ReferenceUrl), ("CriticUrl", CriticUrl), ("RewardUrl", RewardUrl) })
        {
            if (Rlhf.Client.ServiceAddress.ConfigError($"{Section}:{key}", url) is { } error)
                throw Invalid(error);
        }
    }

    private static Microsoft.Extensions.Options.OptionsValidationException Invalid(string failure) =>
        new(Section, typeof(OrchestratorOptions), [failure]);
}
