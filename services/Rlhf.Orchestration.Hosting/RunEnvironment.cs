using Rlhf.Client;
using Rlhf.Data;
using Rlhf.ModelServices;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Training;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// The one way a run is built, for <c>rlhf ppo</c> and the OrchestratorService's StartRun alike: the prompts are
/// loaded, a missing reward model is trained (<see cref="RewardModelBootstrap"/>), every model service without a URL
/// is hosted in this process (<see cref="EmbeddedSuite"/>: real gRPC on a loopback port), the others are reached at
/// their URLs, through <see cref="ModelConnections"/> (one channel per address, retries for
/// <c>service_retry_seconds</c>, restart detection on policy and critic, <c>RLHF_API_KEY</c>); then
/// <see cref="RunAsync"/> runs <see cref="PpoRun"/> on them. Dispose to close the channels and stop the in-process
/// services.
/// </summary>
public sealed class RunEnvironment : IAsyncDisposable
{
    private readonly EmbeddedSuite _suite;
    private readonly ModelConnections _connections;

    private RunEnvironment(PpoConfig config, PromptSet prompts, EmbeddedSuite suite, ModelConnections connections)
    {
        Config = config;
        Prompts = prompts;
        _suite = suite;
        _connections = connections;
    }

    /// <summary>The run's configuration.</summary>
    public PpoConfig Config { get; }

    /// <summary>The run's prompts (training and held-out).</summary>
    public PromptSet Prompts { get; }

    /// <summary>The typed clients the run uses.</summary>
    public ModelClients Clients => _connections.Clients;

    /// <summary>The addresses in use (in-process services on their loopback ports).</summary>
    public ModelEndpoints Endpoints => _connections.Endpoints;

    /// <summary>Services hosted in this process.</summary>
    public IReadOnlyCollection<ModelRole> EmbeddedRoles => _suite.Roles;

    /// <summary>
    /// Loads the prompts, trains a missing reward model, starts the in-process services the config needs and connects
    /// to all four.
    /// </summary>
    /// <param name="config">The run's configuration (<c>*_url</c> empty = in-process, <c>threads</c>, <c>model_backend</c> / <c>model_device</c> / <c>model_dtype</c>, <c>service_retry_seconds</c>).</param>
    /// <param name="hosts">The compositions of the model services (for those hosted in this process).</param>
    /// <param name="apiKey">API key for remote services; null reads <see cref="RlhfEnvironment.ApiKeyVariable"/>.</param>
    /// <param name="progress">Where the prompt count, the reward-model training and the addresses are reported; null = nowhere.</param>
    /// <param name="cancellationToken">Stops the start-up.</param>
    /// <exception cref="FileNotFoundException">prompts.path, a checkpoint or the tokenizer is missing.</exception>
    /// <exception cref="ConfigException">The reward model is missing and cannot be trained, or the critic is missing.</exception>
    public static async Task<RunEnvironment> StartAsync(PpoConfig config, EmbeddedHosts hosts, string? apiKey,
        ProgressReporter? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        progress ??= ProgressReporter.None;
        var prompts = LoadPrompts(config);
        progress.WriteLine($"prompts: {prompts.Train.Count} train, {prompts.Eval.Count} held out (using {Math.Min(config.EvalPrompts, prompts.Eval.Count)}) from {prompts.StoryCount} stories");
        await RewardModelBootstrap.EnsureAsync(config, progress, cancellationToken).ConfigureAwait(false);
        ConfigLoader.RequireInputs(config, "reward_model", "critic_model");
        var suite = await EmbeddedSuite.StartAsync(hosts, EmbeddedModels(config),
            new EmbeddedRuntime(config.Threads, config.ModelBackend, config.ModelDevice, config.ModelDtype), cancellationToken).ConfigureAwait(false);
        try
        {
            string Url(ModelRole role, string configured) => configured.Length > 0 ? configured : suite.Address(role).ToString();
            var endpoints = new ModelEndpoints(
                Url(ModelRole.Policy, config.PolicyUrl),
                Url(ModelRole.Reference, config.ReferenceUrl),
                config.UsesCritic ? Url(ModelRole.Critic, config.CriticUrl) : null,
                Url(ModelRole.Reward, config.RewardUrl));
            var connections = new ModelConnections(endpoints, Path.GetFullPath(config.OutputDir), TimeSpan.FromSeconds(config.ServiceRetrySeconds),
                apiKey ?? Environment.GetEnvironmentVariable(RlhfEnvironment.ApiKeyVariable));
            progress.WriteLine($"services: {endpoints}");
            return new RunEnvironment(config, prompts, suite, connections);
        }
        catch
        {
            await suite.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The models to host in-process: each service whose URL is empty, with the config's defaults (reference =
    /// policy_model, critic = critic_model or else reward_model's trunk; no critic for GRPO and RLOO).
    /// </summary>
    public static IReadOnlyDictionary<ModelRole, EmbeddedModel> EmbeddedModels(PpoConfig config)
    {
        var local = new Dictionary<ModelRole, EmbeddedModel>();
        if (config.PolicyUrl.Length == 0)
            local[ModelRole.Policy] = new EmbeddedModel(config.PolicyModel, config.Tokenizer);
        if (config.ReferenceUrl.Length == 0)
            local[ModelRole.Reference] = new EmbeddedModel(config.ReferenceModel.Length > 0 ? config.ReferenceModel : config.PolicyModel, config.Tokenizer);
        if (config.UsesCritic && config.CriticUrl.Length == 0)
            local[ModelRole.Critic] = new EmbeddedModel(config.CriticModel.Length > 0 ? config.CriticModel : config.RewardModel, config.Tokenizer);
        if (config.RewardUrl.Length == 0)
            local[ModelRole.Reward] = new EmbeddedModel(config.RewardModel, config.Tokenizer);
        return local;
    }

    /// <summary>Runs <see cref="PpoRun"/> on these services with the run's training and held-out prompts.</summary>
    /// <param name="options">Run id, gates, resume, progress and iteration callbacks.</param>
    /// <param name="cancellationToken">Stops the run at its next stage boundary.</param>
    public Task<PpoRunResult> RunAsync(PpoRunOptions options, CancellationToken cancellationToken) =>
        PpoRun.RunAsync(Config, Clients, Prompts.Train, EvalPrompts(Config, Prompts), options, cancellationToken);

    /// <summary>The prompt set of the config (TinyStories openings with the held-out split).</summary>
    /// <exception cref="FileNotFoundException">prompts.path does not exist.</exception>
    public static PromptSet LoadPrompts(PpoConfig config) =>
        TinyStoriesPrompts.Load(config.Prompts.Path, config.Prompts.ToPromptRule(), config.Prompts.EvalFraction, config.Seed, config.Prompts.MaxPrompts);

    /// <summary>The held-out prompts an evaluation uses (the first <c>eval_prompts</c>).</summary>
    public static IReadOnlyList<string> EvalPrompts(PpoConfig config, PromptSet prompts) => [.. prompts.Eval.Take(config.EvalPrompts)];

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _connections.Dispose();
        await _suite.DisposeAsync().ConfigureAwait(false);
    }
}
