using System.Collections.Concurrent;
using Google.Protobuf;
using Rlhf.Alignment;
using Rlhf.Client;
using Grpc.Core;
using Rlhf.Orchestration.Config;
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
        var (result, _) = await trainer.EvaluateAsync(cts.Token);

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

    /// <summary>
    /// Four scripted services: every response has 3 tokens, policy logprobs −1, reference logprobs −1.25 (at any
    /// temperature), score 1, critic values 5; optimizer steps report grad norms 1, 2, … (policy) and 10, 20, … (critic).
    /// </summary>
    private sealed class FakeServices
    {
        public FakeServices()
        {
            Clients = new ModelClients(
                new PolicyService.PolicyServiceClient(Service("policy")),
                new ReferenceService.ReferenceServiceClient(Service("reference")),
                new CriticService.CriticServiceClient(Service("critic")),
                new RewardService.RewardServiceClient(Service("reward")));
        }

        public ModelClients Clients { get; }

        public ConcurrentQueue<(string Service, string Method, IMessage Request, CancellationToken Token)> Calls { get; } = new();

        public int PolicySteps { get; private set; }

        private int CriticSteps { get; set; }

        public static PpoConfig Config() => new() { BatchSize = 2, MiniBatchSize = 1, PpoEpochs = 2, EvalSamplesPerPrompt = 1 };

        private IMessage Respond(string service, string method, IMessage request) => (service, method, request) switch
        {
            ("policy", "Generate", GenerateRequest r) => Generations(r),
            ("policy", "ComputeLogProbs", ComputeLogProbsRequest r) => LogProbs(r, -1f, r.KeepForBackward ? "fwd" : ""),
            ("reference", "ComputeLogProbs", ComputeLogProbsRequest r) => LogProbs(r, -1.25f, ""),
            ("reward", "ScoreResponses", ScoreResponsesRequest r) => new ScoreResponsesResponse { Scores = { r.Sequences.Select(_ => 1f) } },
            ("critic", "ComputeValues", ComputeValuesRequest r) => new ComputeValuesResponse { Values = Packed(r.Sequences, 5f), ForwardId = "fwd" },
            (_, "Backward", _) => new BackwardResponse(),
            ("policy", "OptimizerStep", _) => new OptimizerStepResponse { GradNorm = ++PolicySteps },
            ("critic", "OptimizerStep", _) => new OptimizerStepResponse { GradNorm = 10 * ++CriticSteps },
            _ => throw new NotSupportedException($"{service}.{method}"),
        };

        private static GenerateResponse Generations(GenerateRequest request)
        {
            var k = Math.Max(1, request.Sampling.NumSamplesPerPrompt);
            var response = new GenerateResponse();
            for (var i = 0; i < request.Prompts.Count * k; i++)
            {
                response.Generations.Add(new Generation
                {
                    PromptIndex = i / k, PromptIds = { 1, 2 }, ResponseIds = { 3, 4, 5 }, FinishReason = FinishReason.Stop, ResponseText = $"r{i}",
                });
            }
            return response;
        }

        private static ComputeLogProbsResponse LogProbs(ComputeLogProbsRequest request, float logprob, string forwardId)
        {
            var response = new ComputeLogProbsResponse { Logprobs = Packed(request.Sequences, logprob), ForwardId = forwardId };
            if (request.ComputeEntropy)
                response.Entropies = Packed(request.Sequences, 2f);
            return response;
        }

        private static PackedFloats Packed(IEnumerable<Sequence> sequences, float value)
        {
            var packed = new PackedFloats();
            foreach (var s in sequences)
            {
                packed.Lengths.Add(s.ResponseIds.Count);
                packed.Values.Add(Enumerable.Repeat(value, s.ResponseIds.Count));
            }
            return packed;
        }

        /// <summary>A scripted service: records each call, then answers it from <see cref="Respond"/>.</summary>
        private FakeCallInvoker Service(string name) => new((method, request, options) =>
        {
            Calls.Enqueue((name, method.Name, (IMessage)request, options.CancellationToken));
            lock (this)
                return Respond(name, method.Name, (IMessage)request);
        });
    }
}
