using Rlhf.Alignment;
using Rlhf.Client;
using Grpc.Core;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Tests.Infrastructure;
using Rlhf.Orchestration.Training;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Tests;

public sealed class PpoTrainerTests
{
    [Theory]
    [InlineData(PpoAlgorithm.Ppo, true)]
    [InlineData(PpoAlgorithm.Grpo, false)]
    [InlineData(PpoAlgorithm.Rloo, false)]
    public void UsesCritic_Algorithm_OnlyPpoTrainsACritic(PpoAlgorithm algorithm, bool expected)
    {
        var config = new PpoConfig { Algorithm = algorithm };

        Assert.Equal(expected, config.UsesCritic);
        Assert.DoesNotContain("uses_critic", ConfigLoader.Keys<PpoConfig>());
    }

    [Theory]
    [InlineData(PpoAlgorithm.Grpo)]
    [InlineData(PpoAlgorithm.Rloo)]
    public void Constructor_CriticFreeAlgorithmWithOneSamplePerPrompt_ThrowsInsteadOfPatchingTheGroupSize(PpoAlgorithm algorithm)
    {
        var config = new PpoConfig { Algorithm = algorithm, NumSamplesPerPrompt = 1 };

        var e = Assert.Throws<ArgumentException>(() => new PpoTrainer(config, Clients(critic: false), ["a prompt"], [], "run"));

        Assert.Contains("num_samples_per_prompt must be ≥ 2", e.Message);
    }

    [Fact]
    public void Constructor_PpoWithoutCritic_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new PpoTrainer(new PpoConfig(), Clients(critic: false), ["a prompt"], [], "run"));

        Assert.Contains("critic", e.Message);
    }

    [Fact]
    public void Constructor_ValidConfigs_Accepted()
    {
        _ = new PpoTrainer(new PpoConfig(), Clients(critic: true), ["a prompt"], [], "run");
        _ = new PpoTrainer(new PpoConfig { Algorithm = PpoAlgorithm.Grpo, NumSamplesPerPrompt = 2 }, Clients(critic: false), ["a prompt"], [], "run");
    }

    [Fact]
    public async Task RunIteration_CriticBiasedHigh_AdvantagesMeanIsTheRawGaeMeanNotTheWhitenedZero()
    {
        var services = new FakeServices();
        var config = FakeServices.Config();

        var outcome = await new PpoTrainer(config, services.Clients, ["a", "b"], [], "run").RunIterationAsync(1, CancellationToken.None);

        // Every response: 3 tokens, k1 KL 0.25 per token, score 1, critic value 5 everywhere (far above the return).
        var kl = TokenBatch.FromRagged([[0.25, 0.25, 0.25], [0.25, 0.25, 0.25]]);
        var rewards = PerTokenRewards.Compute(kl, [1.0, 1.0], config.KlCoef, [true, true]);
        var (raw, _) = Gae.Compute(rewards.Rewards, kl.WithData([5.0, 5.0, 5.0, 5.0, 5.0, 5.0]), config.Gamma, config.Lam);
        var mean = outcome.Metrics[MetricNames.ValAdvantagesMean];
        Assert.Equal(raw.Data.Average(), mean, 12);
        Assert.True(mean < -3, $"val/advantages_mean {mean}: the critic is biased by about +4");
        Assert.Equal([0.75, 0.75], outcome.KlPerResponse);
        Assert.Equal(0.75, outcome.Metrics[MetricNames.ObjectiveKl], 12);
    }

    [Fact]
    public async Task RunIteration_SeveralOptimizerSteps_GradNormsAreTheLastStepsNotAveraged()
    {
        var services = new FakeServices();
        var config = FakeServices.Config();   // 2 epochs × 2 minibatches = 4 steps; the fakes report norms 1..4 and 10..40

        var outcome = await new PpoTrainer(config, services.Clients, ["a", "b"], [], "run").RunIterationAsync(1, CancellationToken.None);

        Assert.Equal(4, services.PolicySteps);
        Assert.Equal(4.0, outcome.Metrics["policy/grad_norm"]);
        Assert.Equal(40.0, outcome.Metrics["val/grad_norm"]);
        Assert.Equal(1.0, outcome.Metrics[MetricNames.ValRatio], 6);   // an average over minibatches stays an average
    }

    [Fact]
    public async Task RunIterationAndEvaluate_EveryCall_CarriesTheCallersCancellationToken()
    {
        var services = new FakeServices();
        var trainer = new PpoTrainer(FakeServices.Config(), services.Clients, ["a", "b"], ["c"], "run");
        using var cts = new CancellationTokenSource();

        await trainer.RunIterationAsync(1, cts.Token);
        var (result, _, _) = await trainer.EvaluateAsync(cts.Token);

        Assert.Contains(services.Calls, c => c.Method == "ComputeLogProbs" && c.Service == "reference" && ((ComputeLogProbsRequest)c.Request).Temperature == 1f);
        Assert.All(services.Calls, c => Assert.Equal(cts.Token, c.Token));
        Assert.Equal(1.25, result.RefNll, 12);
    }

    private static ModelClients Clients(bool critic)
    {
        var invoker = FakeCallInvoker.Unused;
        return new ModelClients(new PolicyService.PolicyServiceClient(invoker), new ReferenceService.ReferenceServiceClient(invoker),
            critic ? new CriticService.CriticServiceClient(invoker) : null, new RewardService.RewardServiceClient(invoker));
    }
}
