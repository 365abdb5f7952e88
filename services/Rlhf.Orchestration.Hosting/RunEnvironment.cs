using Rlhf.Client;
using Rlhf.Data;
using Rlhf.ModelServices;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Training;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// Everything a run needs around <see cref="PpoRun"/>, in one place for <c>rlhf ppo</c> and the OrchestratorService:
/// every model service without a URL is hosted in this process (<see cref="EmbeddedSuite"/>: real gRPC on a loopback
/// port), the others are reached at their URLs, through <see cref="ModelConnections"/> (one channel per address,
/// retries for <c>service_retry_seconds</c>, restart detection on policy and critic, <c>RLHF_API_KEY</c>).
/// Dispose to close the channels and stop the in-process services.
/// </summary>
public sealed class RunEnvironment : IAsyncDisposable
{
    private readonly EmbeddedSuite _suite;
    private readonly ModelConnections _connections;

    private RunEnvironment(EmbeddedSuite suite, ModelConnections connections)
    {
        _suite = suite;
        _connections = connections;
    }

    /// <summary>The typed clients the run uses.</summary>
    public ModelClients Clients => _connections.Clients;

    /// <summary>The addresses in use (in-process services on their loopback ports).</summary>
    public ModelEndpoints Endpoints => _connections.Endpoints;

    /// <summary>Services hosted in this process.</summary>
    public IReadOnlyCollection<ModelRole> EmbeddedRoles => _suite.Roles;

    /// <summary>Starts the in-process services the config needs and connects to all four.</summary>
    /// <param name="config">The run's configuration (<c>*_url</c> empty = in-process, <c>threads</c>, <c>service_retry_seconds</c>).</param>
    /// <param name="hosts">The compositions of the model services (for those hosted in this process).</param>
    /// <param name="apiKey">API key for remote services; null reads <see cref="RlhfEnvironment.ApiKeyVariable"/>.</param>
    /// <param name="cancellationToken">Stops the start-up.</param>
    public static async Task<RunEnvironment> StartAsync(PpoConfig config, EmbeddedHosts hosts, string? apiKey, CancellationToken cancellationToken)
    {
        var suite = await EmbeddedSuite.StartAsync(hosts, EmbeddedModels(config), config.Threads, cancellationToken).ConfigureAwait(false);
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
            return new RunEnvironment(suite, connections);
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
