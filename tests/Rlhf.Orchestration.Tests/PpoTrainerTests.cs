using Rlhf.Client;
using Rlhf.Grpc;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Training;

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

    private static ModelClients Clients(bool critic)
    {
        var invoker = new UnusedInvoker();
        return new ModelClients(new PolicyServiceClient(invoker), new ReferenceServiceClient(invoker),
            critic ? new CriticServiceClient(invoker) : null, new RewardServiceClient(invoker));
    }

    /// <summary>The constructor makes no calls.</summary>
    private sealed class UnusedInvoker : CallInvoker
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
            throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
            throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
            throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
            throw new NotSupportedException();
    }
}
