using Rlhf.ModelServices;
using Rlhf.Contracts.V1;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>Training by gradient push over the wire: lease, kept forward, Backward, OptimizerStep, checkpoints.</summary>
public sealed class TrainingRpcTests
{
    private const string RunId = "run-training-test";

    private static ComputeLogProbsRequest LogProbsRequest(bool keep)
    {
        var request = new ComputeLogProbsRequest { Temperature = 1f, KeepForBackward = keep, RunId = keep ? RunId : "" };
        request.Sequences.Add(Probes.AllIds());
        return request;
    }

    [DataFact]
    public async Task BackwardThenOptimizerStep_GradMinusOneOnEveryToken_RaisesTheirLogprobs()
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Policy);
        var policy = service.Policy;
        var lease = await policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = RunId });
        var before = await policy.ComputeLogProbsAsync(LogProbsRequest(keep: false));

        // loss = −Σ_t logprobs[t]  ⇒  ∂loss/∂logprobs[t] = −1: a descent step raises every logprob of the batch.
        var forward = await policy.ComputeLogProbsAsync(LogProbsRequest(keep: true));
        var backward = await policy.BackwardAsync(new BackwardRequest
        {
            RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, -1f),
        });
        var step = await policy.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f, MaxGradNorm = 1f });
        var after = await policy.ComputeLogProbsAsync(LogProbsRequest(keep: false));

        Assert.Equal(0, lease.ModelVersion.Step);
        Assert.NotEmpty(forward.ForwardId);
        Assert.Equal(before.Logprobs, forward.Logprobs);
        Assert.Equal(forward.Logprobs.Values.Count, backward.Tokens);
        Assert.Equal(1, backward.AccumulatedBackwardPasses);
        Assert.True(step.GradNorm > 0 && float.IsFinite(step.GradNorm));
        Assert.Equal(1, step.ModelVersion.Step);
        Assert.Equal(1, after.ModelVersion.Step);
        Assert.True(after.Logprobs.Values.Sum() > before.Logprobs.Values.Sum() + 0.1,
            $"Σ logprobs went from {before.Logprobs.Values.Sum()} to {after.Logprobs.Values.Sum()}");
        var info = await policy.GetModelInfoAsync(new GetModelInfoRequest());
        Assert.Equal(RunId, info.LeaseRunId);
    }

    [DataFact]
    public async Task BackwardThenOptimizerStep_GradPlusOneOnValues_LowersValues()
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Critic, ScoreHeadCheckpoint.Path);
        var critic = service.Critic;
        await critic.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = RunId });
        var request = new ComputeValuesRequest { KeepForBackward = true, RunId = RunId };
        request.Sequences.Add(Probes.AllIds());

        // loss = Σ_t values[t]  ⇒  ∂loss/∂values[t] = +1: a descent step lowers the values.
        var forward = await critic.ComputeValuesAsync(request);
        await critic.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradValues = Probes.Constant(forward.Values.Lengths, 1f) });
        var step = await critic.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f });
        var after = await critic.ComputeValuesAsync(new ComputeValuesRequest { Sequences = { Probes.AllIds() } });

        Assert.Equal(1, step.ModelVersion.Step);
        Assert.True(after.Values.Values.Sum() < forward.Values.Values.Sum() - 0.01,
            $"Σ values went from {forward.Values.Values.Sum()} to {after.Values.Values.Sum()}");
    }

    [DataFact]
    public async Task SaveCheckpoint_LoadIntoFreshService_IdenticalLogprobsAndOptimizerState()
    {
        using var temp = new TempDir();
        var path = temp.Sub("policy");
        ComputeLogProbsResponse trained;
        ComputeLogProbsResponse trainedTwice;
        await using (var service = await HostedModelService.StartAsync(ModelRole.Policy))
        {
            var policy = service.Policy;
            await policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = RunId });
            await TrainOneStepAsync(policy);
            trained = await policy.ComputeLogProbsAsync(LogProbsRequest(keep: false));
            var saved = await policy.SaveCheckpointAsync(new SaveCheckpointRequest { RunId = RunId, Path = path, IncludeOptimizerState = true });
            Assert.Equal(path, saved.Path);
            Assert.Equal(1, saved.ModelVersion.Step);
            await TrainOneStepAsync(policy);
            trainedTwice = await policy.ComputeLogProbsAsync(LogProbsRequest(keep: false));
            await policy.ReleaseTrainingLeaseAsync(new ReleaseTrainingLeaseRequest { RunId = RunId });
            Assert.Equal("", (await policy.GetModelInfoAsync(new GetModelInfoRequest())).LeaseRunId);
        }

        await using var fresh = await HostedModelService.StartAsync(ModelRole.Policy);
        var initial = await fresh.Policy.ComputeLogProbsAsync(LogProbsRequest(keep: false));
        await fresh.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = RunId });
        var loaded = await fresh.Policy.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = RunId, Path = path, LoadOptimizerState = true });
        var restored = await fresh.Policy.ComputeLogProbsAsync(LogProbsRequest(keep: false));
        // The same second step from the restored weights and AdamW moments lands on the same weights.
        await TrainOneStepAsync(fresh.Policy);
        var restoredTwice = await fresh.Policy.ComputeLogProbsAsync(LogProbsRequest(keep: false));

        Assert.NotEqual(initial.Logprobs, trained.Logprobs);
        Assert.Equal(trained.Logprobs, restored.Logprobs);
        Assert.Equal(trainedTwice.Logprobs, restoredTwice.Logprobs);
        Assert.StartsWith("policy@", loaded.ModelInfo.ModelVersion.CheckpointId, StringComparison.Ordinal);
    }

    [DataFact]
    public async Task ReleaseTrainingLease_ThenAnotherRun_Acquires()
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Policy);
        await service.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = "run-a" });
        await service.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = "run-a" }); // renewal by the holder

        await service.Policy.ReleaseTrainingLeaseAsync(new ReleaseTrainingLeaseRequest { RunId = "run-a" });
        var second = await service.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = "run-b" });

        Assert.Equal("run-b", second.RunId);
        Assert.Equal("run-b", (await service.Policy.GetModelInfoAsync(new GetModelInfoRequest())).LeaseRunId);
    }

    private static async Task TrainOneStepAsync(PolicyService.PolicyServiceClient policy)
    {
        var forward = await policy.ComputeLogProbsAsync(LogProbsRequest(keep: true));
        await policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, -1f) });
        await policy.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f, MaxGradNorm = 1f });
    }
}
