using Grpc.Net.Client;
using Rlhf.Contracts.V1;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Rlhf.Models;
using ModelInfo = Rlhf.Contracts.V1.ModelInfo;
using Rlhf.Alignment;
using Rlhf.Orchestration.Config;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Training;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>
/// The services run unchanged on the TorchSharp backend (issue 13): a PPO smoke run with every model service on
/// <c>Model:Backend=torch</c> over gRPC, and the start-up refusal of a device the backend cannot run here.
/// </summary>
public sealed class TorchBackendRunTests
{
    [DataFact]
    public async Task PpoRun_EveryModelServiceOnTorch_TwoIterationsTrainPolicyAndCritic()
    {
        using var temp = new TempDir();
        var config = EmbeddedRun.Config(temp.Sub("torch"), PpoAlgorithm.Ppo, iterations: 2);
        config.BatchSize = 2;
        config.PpoEpochs = 1;
        config.ModelBackend = "torch";

        await using var environment = await RunEnvironment.StartAsync(config, OrchestratorServiceHost.ModelServiceHosts, apiKey: null, progress: null, CancellationToken.None);
        Assert.Equal(4, environment.EmbeddedRoles.Count);
        foreach (var info in await ModelInfosAsync(environment.Endpoints))
        {
            Assert.True(info.Backend == "torch", $"{info.Service} runs on '{info.Backend}', not torch");
            Assert.Equal("cpu", info.Device);
            Assert.Equal("float32", info.Dtype);
        }
        var result = await PpoRun.RunAsync(config, environment.Clients, EmbeddedRun.Prompts.Train,
            RunEnvironment.EvalPrompts(config, EmbeddedRun.Prompts), new PpoRunOptions(RunId: "torch-smoke"), CancellationToken.None);

        var metrics = result.RunDirectory.ReadMetrics();
        Assert.Equal([1, 2], metrics.Select(m => m.Iteration));
        foreach (var m in metrics)
        {
            foreach (var name in PpoRunTests.StandardMetrics.Append(MetricNames.LossValueAvg).Append("val/grad_norm"))
            {
                Assert.True(m.Values.TryGetValue(name, out var v), $"iteration {m.Iteration} has no {name}");
                Assert.True(double.IsFinite(v), $"iteration {m.Iteration}: {name} = {v}");
            }
            Assert.True(m.Values["policy/grad_norm"] > 0, "the torch policy got no gradient");
            Assert.True(m.Values["val/grad_norm"] > 0, "the torch critic got no gradient");
        }
        Assert.Equal(2, result.Summary[SummaryKeys.Iterations]);
        Assert.Equal(2, result.RunDirectory.LatestCheckpoint()?.Iteration);
    }

    [DataFact]
    public async Task PpoRun_NativeReportsItsBackend()
    {
        using var temp = new TempDir();
        var config = EmbeddedRun.Config(temp.Sub("native"), PpoAlgorithm.Grpo, iterations: 1);
        await using var environment = await RunEnvironment.StartAsync(config, OrchestratorServiceHost.ModelServiceHosts, apiKey: null, progress: null, CancellationToken.None);
        Assert.All(await ModelInfosAsync(environment.Endpoints), info => Assert.Equal("native", info.Backend));
    }

    [DataTheory]
    [InlineData("native", "cuda", "Model:Backend=native runs on the CPU only")]
    [InlineData("torch", "cuda:1", "Model:Device=cuda:1, but CUDA is not available")]
    public async Task StartAsync_DeviceTheBackendCannotRunHere_RefusedNamingWhatIsMissing(string backend, string device, string expected)
    {
        var models = new Dictionary<ModelRole, EmbeddedModel> { [ModelRole.Reference] = new(TestData.Data(TestData.Stories260K), TestData.Data(TestData.Tok512)) };

        var e = await Assert.ThrowsAsync<ModelBackendUnavailableException>(() =>
            EmbeddedSuite.StartAsync(OrchestratorServiceHost.ModelServiceHosts, models, new EmbeddedRuntime(1, backend, device), CancellationToken.None));

        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("onnx", "float32", "cpu", "Model:Backend 'onnx' is not a backend: expected native or torch")]
    [InlineData("torch", "float16", "cpu", "Model:Dtype 'float16' is not a dtype: expected float32 or bfloat16")]
    [InlineData("torch", "float32", "gpu", "Model:Device 'gpu' is not a device: expected cpu, cuda or cuda:N")]
    public void ModelOptions_Validate_NamesTheKey(string backend, string dtype, string device, string expected)
    {
        var options = new ModelOptions { Checkpoint = "x.bin", Backend = backend, Dtype = dtype, Device = device };

        Assert.Contains(expected, Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(options.Validate).Failures);
    }

    private static async Task<IReadOnlyList<ModelInfo>> ModelInfosAsync(ModelEndpoints endpoints)
    {
        using var policy = GrpcChannel.ForAddress(endpoints.Policy);
        using var reference = GrpcChannel.ForAddress(endpoints.Reference);
        using var reward = GrpcChannel.ForAddress(endpoints.Reward);
        var infos = new List<ModelInfo>
        {
            await new PolicyService.PolicyServiceClient(policy).GetModelInfoAsync(new GetModelInfoRequest()),
            await new ReferenceService.ReferenceServiceClient(reference).GetModelInfoAsync(new GetModelInfoRequest()),
            await new RewardService.RewardServiceClient(reward).GetModelInfoAsync(new GetModelInfoRequest()),
        };
        if (endpoints.Critic is { } criticUrl)
        {
            using var critic = GrpcChannel.ForAddress(criticUrl);
            infos.Add(await new CriticService.CriticServiceClient(critic).GetModelInfoAsync(new GetModelInfoRequest()));
        }
        return infos;
    }
}
