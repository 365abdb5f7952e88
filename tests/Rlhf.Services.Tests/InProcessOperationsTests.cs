using Rlhf.Engine;
using Grpc.Core;
using Rlhf.ModelServices;
using Rlhf.Contracts.V1;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>
/// The services' shared RPC logic in-process (<see cref="ModelOperations"/> over a <see cref="ModelHost"/> with a clock
/// the test moves): equal to the same RPCs over loopback, and the time- and version-dependent rules without waiting.
/// </summary>
public sealed class InProcessOperationsTests : IDisposable
{
    private const string RunId = "run-in-process";
    private readonly ManualTimeProvider _clock = new();
    private readonly ModelHost _host;
    private readonly ModelOperations _operations;

    public InProcessOperationsTests()
    {
        if (TestData.MissingReason(TestData.Stories260K, TestData.Tok512) is not null)
        {
            _host = null!;
            _operations = null!;
            return;
        }
        var options = new ModelOptions
        {
            Checkpoint = TestData.Data(TestData.Stories260K), Tokenizer = TestData.Data(TestData.Tok512), Threads = 1, ForwardExpirySeconds = 60,
        };
        _host = new ModelHost("rlhf.v1.PolicyService", trainable: true, options, new Rlhf.Models.Native.NativeBackend(), _clock);
        _host.Load();
        _operations = new ModelOperations(_host);
    }

    public void Dispose() => _host?.Dispose();

    private Task<ComputeLogProbsResponse> LogProbsAsync(bool keep)
    {
        var request = new ComputeLogProbsRequest { Temperature = 1f, KeepForBackward = keep, RunId = keep ? RunId : "" };
        request.Sequences.Add(Probes.AllIds());
        return LogProbs.ComputeAsync(_operations, request, CancellationToken.None);
    }

    private Task<BackwardResponse> BackwardAsync(ComputeLogProbsResponse forward, float grad = -1f) =>
        _operations.BackwardAsync(new BackwardRequest
        {
            RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, grad),
        }, CancellationToken.None);

    private Task<OptimizerStepResponse> StepAsync() =>
        _operations.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f }, CancellationToken.None);

    [DataFact]
    public async Task ComputeLogProbs_InProcess_EqualsOverLoopback()
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Policy);
        var request = new ComputeLogProbsRequest { Temperature = 0.7f, ComputeEntropy = true };
        request.Sequences.Add(Probes.AllIds());

        var local = await LogProbs.ComputeAsync(_operations, request, CancellationToken.None);
        var remote = await service.Policy.ComputeLogProbsAsync(request);

        Assert.Equal(local.Logprobs, remote.Logprobs);
        Assert.Equal(local.Entropies, remote.Entropies);
    }

    [DataFact]
    public async Task Backward_AfterLeaseTtl_FailedPreconditionAndAnotherRunMayTrain()
    {
        _operations.AcquireTrainingLease(new AcquireTrainingLeaseRequest { RunId = RunId, TtlSeconds = 10 });
        var forward = await LogProbsAsync(keep: true);

        _clock.Advance(TimeSpan.FromSeconds(11));

        var e = await Assert.ThrowsAsync<RpcException>(() => BackwardAsync(forward));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        _operations.AcquireTrainingLease(new AcquireTrainingLeaseRequest { RunId = "run-next" });
        Assert.Equal("run-next", _operations.GetModelInfo().LeaseRunId);
    }

    [DataFact]
    public async Task Backward_KeptForwardPastExpiry_NotFound()
    {
        _operations.AcquireTrainingLease(new AcquireTrainingLeaseRequest { RunId = RunId, TtlSeconds = 600 });
        var forward = await LogProbsAsync(keep: true);
        Assert.Equal(1, _host.Store.Count);

        _clock.Advance(TimeSpan.FromSeconds(60));

        var e = await Assert.ThrowsAsync<RpcException>(() => BackwardAsync(forward));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal(0, _host.Store.Count);
    }

    [DataFact]
    public async Task OptimizerStep_WithOtherForwardStillKept_DropsItBecauseTheWeightsChanged()
    {
        _operations.AcquireTrainingLease(new AcquireTrainingLeaseRequest { RunId = RunId });
        var first = await LogProbsAsync(keep: true);
        var second = await LogProbsAsync(keep: true);
        await BackwardAsync(first);

        var step = await StepAsync();

        Assert.Equal(1, step.ModelVersion.Step);
        var e = await Assert.ThrowsAsync<RpcException>(() => BackwardAsync(second));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Equal(0, _host.Store.BytesHeld);
    }

    [DataFact]
    public async Task OptimizerStep_GradientsOverflowToInfinity_InvalidArgumentAndWeightsUntouched()
    {
        _operations.AcquireTrainingLease(new AcquireTrainingLeaseRequest { RunId = RunId });
        var before = await LogProbsAsync(keep: false);
        var forward = await LogProbsAsync(keep: true);
        // Every per-token gradient is finite, but their sum in the parameter gradients overflows float32.
        await BackwardAsync(forward, grad: -3e38f);

        var e = await Assert.ThrowsAsync<RpcException>(StepAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("not finite", e.Status.Detail, StringComparison.Ordinal);
        var after = await LogProbsAsync(keep: false);
        Assert.Equal(before.Logprobs, after.Logprobs);
        Assert.Equal(0, after.ModelVersion.Step);
        // the bad gradients were dropped: there is nothing left to apply
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(StepAsync)).StatusCode);
    }

    [DataFact]
    public async Task LoadCheckpoint_AfterBackward_DropsAccumulatedGradients()
    {
        _operations.AcquireTrainingLease(new AcquireTrainingLeaseRequest { RunId = RunId });
        await BackwardAsync(await LogProbsAsync(keep: true));

        var loaded = await _operations.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = RunId, Path = TestData.Data(TestData.Stories260K) },
            CancellationToken.None);

        Assert.Equal(0, loaded.ModelInfo.ModelVersion.Step);
        var e = await Assert.ThrowsAsync<RpcException>(StepAsync);
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
    }
}
