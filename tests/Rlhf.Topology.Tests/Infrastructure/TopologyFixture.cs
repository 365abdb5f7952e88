using System.Reflection;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting.Topology;

namespace Rlhf.Topology.Tests.Infrastructure;

/// <summary>
/// The five hosts as separate processes on free loopback ports, shared by the tests of <see cref="TopologyCollection"/>
/// (which run one at a time): stories260K for policy, reference, critic and reward (critic and reward start with a
/// zero scalar head), one engine thread each; the orchestrator knows the four URLs.
/// </summary>
public sealed class TopologyFixture : IAsyncLifetime
{
    private readonly TempDir _runs = new();

    /// <summary>The processes.</summary>
    public ProcessTopology Topology { get; } = new() { StartTimeout = TimeSpan.FromSeconds(180) };

    /// <summary>Orchestrator runs directory.</summary>
    public string RunsDirectory => _runs.Path;

    /// <summary>URL of a service by name.</summary>
    public string Url(string name) => Topology[name].Spec.Url;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(5);
        var model = TestData.Data("stories260K.bin");
        var tokenizer = TestData.Data("tok512.bin");
        string Model(string name, int port) => $$"""
              {{name}}: { port: {{port}}, checkpoint: {{model}}, tokenizer: {{tokenizer}}, settings: { "Model:Threads": "1", "Serilog:MinimumLevel:Default": "Warning" } }
            """;
        var yaml = "services:\n" + Model("policy", ports[0]) + "\n" + Model("reference", ports[1]) + "\n" + Model("critic", ports[2]) + "\n"
            + Model("reward", ports[3]) + "\n"
            + $$"""
              orchestrator: { port: {{ports[4]}}, settings: { "Orchestrator:RunsDirectory": {{RunsDirectory}}, "Serilog:MinimumLevel:Default": "Warning" } }
            """;
        var services = TopologyConfig.Parse(yaml, TestData.RepoRoot);
        var configuration = typeof(TopologyFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var specs = await TopologyConfig.ResolveAsync(services, configuration, build: false, log: null, CancellationToken.None);
        await Topology.StartAllAsync(specs, CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Topology.DisposeAsync();
        _runs.Dispose();
    }

    /// <summary>
    /// A small PPO run against the four model processes: batch 4, 12 new tokens, <paramref name="iterations"/>
    /// iterations, a checkpoint after each, 4 held-out prompts, one epoch of two minibatches.
    /// </summary>
    public PpoConfig RunConfig(string outputDir, int iterations = 6) => ConfigLoader.Parse<PpoConfig>($"""
        algorithm: ppo
        batch_size: 4
        mini_batch_size: 2
        ppo_epochs: 1
        iterations: {iterations}
        max_new_tokens: 12
        temperature: 1.0
        seed: 7
        eval_every: 0
        eval_prompts: 4
        sample_every: 0
        save_every: 1
        service_retry_seconds: 60
        prompts:
          path: {TestData.Data("tinystories_train_head.txt")}
          max_prompts: 64
        tokenizer: {TestData.Data("tok512.bin")}
        policy_url: {Url("policy")}
        reference_url: {Url("reference")}
        critic_url: {Url("critic")}
        reward_url: {Url("reward")}
        output_dir: {outputDir}
        """, TestData.RepoRoot);
}
