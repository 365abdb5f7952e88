using Rlhf.Data;
using Rlhf.Hosts;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Training;

namespace Rlhf.Services.Tests.Infrastructure;

/// <summary>
/// A small PPO/GRPO/RLOO run on real data, as <c>rlhf ppo</c> runs it: the model services started by
/// <see cref="RunEnvironment"/> on loopback (policy and reference on stories260K, critic and reward on stories260K with a
/// seeded random scalar head), TinyStories prompts, and <see cref="PpoRun.RunAsync"/>.
/// </summary>
internal static class EmbeddedRun
{
    private static readonly Lazy<PromptSet> LazyPrompts = new(() =>
        TinyStoriesPrompts.Load(TestData.Data(TestData.TinyStories), new PromptsConfig().ToPromptRule(), 0.05, 42, maxPrompts: 64));

    /// <summary>TinyStories prompts: the first 64 training prompts and the held-out ones.</summary>
    public static PromptSet Prompts => LazyPrompts.Value;

    /// <summary>A small configuration: 4 prompts × 16 new tokens, 2 minibatches, 2 PPO epochs, one engine thread.</summary>
    public static PpoConfig Config(string outputDir, PpoAlgorithm algorithm = PpoAlgorithm.Ppo, int iterations = 3) => new()
    {
        Algorithm = algorithm,
        BatchSize = algorithm == PpoAlgorithm.Ppo ? 4 : 2,
        NumSamplesPerPrompt = algorithm == PpoAlgorithm.Ppo ? 1 : 2,
        MiniBatchSize = 2,
        PpoEpochs = 2,
        Iterations = iterations,
        LearningRate = 1e-3,
        MaxNewTokens = 16,
        Temperature = 1.0,
        KlCoef = 0.05,
        TargetKl = 6, // adaptive: its state must survive a resume too
        KlHorizon = 100,
        Seed = 7,
        EvalEvery = 0,
        EvalPrompts = 4,
        SampleEvery = 1,
        SaveEvery = 0,
        OutputDir = outputDir,
        PolicyModel = TestData.Data(TestData.Stories260K),
        CriticModel = ScoreHeadCheckpoint.Path,
        RewardModel = ScoreHeadCheckpoint.Path,
        Tokenizer = TestData.Data(TestData.Tok512),
        Threads = 1,
        Prompts = new PromptsConfig { Path = TestData.Data(TestData.TinyStories), MaxPrompts = 64 },
    };

    /// <summary>Starts fresh services, runs (or resumes) <paramref name="config"/>, and stops them.</summary>
    public static async Task<PpoRunResult> RunAsync(PpoConfig config, PpoRunOptions? options = null)
    {
        await using var environment = await RunEnvironment.StartAsync(config, OrchestratorServiceHost.ModelServiceHosts, apiKey: null, progress: null, CancellationToken.None);
        return await PpoRun.RunAsync(config, environment.Clients, Prompts.Train, RunEnvironment.EvalPrompts(config, Prompts),
            options ?? new PpoRunOptions(), CancellationToken.None);
    }
}
