using Rlhf.Engine;
using Rlhf.Engine.IO;
using Grpc.Core;
using Rlhf.ModelServices;
using Rlhf.Contracts.V1;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>
/// Bad inputs over the wire (issue 6, item 1): each gets its precise status, and the model is untouched afterwards —
/// same logprobs, same version, and no gradient accumulated.
/// </summary>
public sealed class BadInputTests
{
    private const string RunId = "run-bad-input";

    private static ComputeLogProbsRequest LogProbs(bool keep, params Sequence[] sequences)
    {
        var request = new ComputeLogProbsRequest { Temperature = 1f, KeepForBackward = keep, RunId = keep ? RunId : "" };
        request.Sequences.Add(sequences);
        return request;
    }

    private static GenerateRequest Generate(params Sequence[] prompts)
    {
        var request = new GenerateRequest { Sampling = new SamplingParams { MaxNewTokens = 4, Seed = 1 } };
        request.Prompts.Add(prompts);
        return request;
    }

    private static async Task<HostedModelService> TrainingPolicyAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var service = await HostedModelService.StartAsync(ModelRole.Policy, settings: settings);
        await service.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = RunId });
        return service;
    }

    /// <summary>No Backward has accumulated anything: OptimizerStep has nothing to apply.</summary>
    private static Task AssertNoGradientAsync(HostedModelService service) =>
        RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f }));

    [DataTheory]
    [InlineData("prompt", 512)]
    [InlineData("prompt", -1)]
    [InlineData("response", 512)]
    [InlineData("response", int.MaxValue)]
    public async Task ComputeLogProbs_TokenIdOutsideVocabulary_InvalidArgument(string field, int badId)
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var bad = Probes.Ids(0);
        (field == "prompt" ? bad.PromptIds : bad.ResponseIds)[1] = badId;

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.Ids(1), bad)));
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await service.Policy.GenerateAsync(Generate(new Sequence { PromptIds = { 1, badId } })));

        Assert.Contains("outside the vocabulary", e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task ComputeLogProbs_LongerThanMaxSeqLen_OutOfRange()
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var tooLong = new Sequence { PromptIds = { Enumerable.Repeat(300, 300) }, ResponseIds = { Enumerable.Repeat(301, 213) } }; // 513 > 512
        var longPrompt = new Sequence { PromptIds = { Enumerable.Repeat(300, 512) } }; // a prompt needs room for one new token

        await RpcAssert.StatusAsync(StatusCode.OutOfRange, async () => await service.Policy.ComputeLogProbsAsync(LogProbs(true, tooLong)));
        await RpcAssert.StatusAsync(StatusCode.OutOfRange, async () => await service.Policy.GenerateAsync(Generate(longPrompt)));

        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task Requests_EmptyBatch_InvalidArgument()
    {
        await using var policy = await TrainingPolicyAsync();
        await using var critic = await HostedModelService.StartAsync(ModelRole.Critic, ScoreHeadCheckpoint.Path);
        await using var reward = await HostedModelService.StartAsync(ModelRole.Reward, ScoreHeadCheckpoint.Path);
        var before = await RpcAssert.SnapshotAsync(policy.Policy);

        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await policy.Policy.ComputeLogProbsAsync(LogProbs(true)));
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await policy.Policy.GenerateAsync(Generate()));
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await critic.Critic.ComputeValuesAsync(new ComputeValuesRequest()));
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await reward.Reward.ScoreResponsesAsync(new ScoreResponsesRequest()));

        await RpcAssert.UntouchedAsync(policy.Policy, before);
    }

    [DataFact]
    public async Task Requests_MoreSequencesThanMaxBatchSize_ResourceExhausted()
    {
        await using var service = await TrainingPolicyAsync(new Dictionary<string, string?> { ["Model:MaxBatchSize"] = "3" });
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var generate = Generate(Probes.PromptText(0), Probes.PromptText(1));
        generate.Sampling.NumSamplesPerPrompt = 2; // 4 generations > 3

        await RpcAssert.StatusAsync(StatusCode.ResourceExhausted,
            async () => await service.Policy.ComputeLogProbsAsync(LogProbs(true, [.. Probes.AllIds(), Probes.Ids(0)])));
        await RpcAssert.StatusAsync(StatusCode.ResourceExhausted, async () => await service.Policy.GenerateAsync(generate));

        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task Requests_BothIdsAndText_InvalidArgument()
    {
        await using var service = await TrainingPolicyAsync();
        await using var reward = await HostedModelService.StartAsync(ModelRole.Reward, ScoreHeadCheckpoint.Path);
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var both = Probes.Ids(0);
        both.ResponseText = Probes.Responses[0];

        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await service.Policy.ComputeLogProbsAsync(LogProbs(true, both)));
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await reward.Reward.ScoreResponsesAsync(new ScoreResponsesRequest { Sequences = { both } }));

        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataTheory]
    [InlineData("short")]
    [InlineData("long")]
    [InlineData("sequences")]
    [InlineData("values")]
    public async Task Backward_GradLengthMismatch_InvalidArgumentAndForwardKept(string mismatch)
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));
        var lengths = forward.Logprobs.Lengths.ToArray();
        var grad = mismatch switch
        {
            "short" => Probes.Constant(lengths.Select((n, i) => i == 1 ? n - 1 : n), -1f),
            "long" => Probes.Constant(lengths.Select((n, i) => i == 1 ? n + 1 : n), -1f),
            "sequences" => Probes.Constant(lengths.Take(2), -1f),
            _ => Probes.Constant(lengths, -1f),
        };
        if (mismatch == "values")
            grad.Values.Add(-1f); // lengths right, one value too many

        await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = grad }));

        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
        // The refused call did not consume the kept forward pass: a correct gradient is still accepted.
        var ok = await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(lengths, -1f) });
        Assert.Equal(1, ok.AccumulatedBackwardPasses);
    }

    [DataTheory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public async Task Backward_NonFiniteGradient_InvalidArgument(float bad)
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));
        var grad = Probes.Constant(forward.Logprobs.Lengths, -1f);
        grad.Values[grad.Values.Count - 1] = bad;

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = grad }));

        Assert.Contains("finite", e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task OptimizerStep_FiniteGradientsOverflowingInTheModel_InvalidArgumentAndModelUntouched()
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));
        // each entry is finite, so Backward accepts it, but the parameter gradients overflow float32
        await service.Policy.BackwardAsync(new BackwardRequest
        {
            RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, -3e38f),
        });

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f }));

        Assert.Contains("not finite", e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task Backward_GradientForAnotherHead_InvalidArgument()
    {
        await using var service = await TrainingPolicyAsync();
        await using var critic = await HostedModelService.StartAsync(ModelRole.Critic, ScoreHeadCheckpoint.Path);
        await critic.Critic.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = RunId });
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds())); // no entropies
        var values = await critic.Critic.ComputeValuesAsync(new ComputeValuesRequest { KeepForBackward = true, RunId = RunId, Sequences = { Probes.AllIds() } });
        var grad = Probes.Constant(forward.Logprobs.Lengths, -1f);

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradValues = grad }));
        Assert.Contains("computed no values", e.Status.Detail, StringComparison.Ordinal);
        // a mis-targeted gradient of the wrong shape still gets the "not computed" message, not a length mismatch
        e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradValues = Probes.Constant([.. forward.Logprobs.Lengths, 1], -1f) }));
        Assert.Contains("computed no values", e.Status.Detail, StringComparison.Ordinal);
        e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradEntropies = grad }));
        Assert.Contains("computed no entropies", e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId }));
        e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await critic.Critic.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = values.ForwardId, GradLogprobs = grad }));
        Assert.Contains("computed no logprobs", e.Status.Detail, StringComparison.Ordinal);
        e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await critic.Critic.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = values.ForwardId, GradEntropies = grad }));
        Assert.Contains("computed no entropies", e.Status.Detail, StringComparison.Ordinal);

        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await critic.Critic.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f }));
    }

    [DataFact]
    public async Task Backward_UnknownForwardId_NotFound()
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);

        await RpcAssert.StatusAsync(StatusCode.NotFound, async () => await service.Policy.BackwardAsync(new BackwardRequest
        {
            RunId = RunId, ForwardId = Guid.NewGuid().ToString("N"), GradLogprobs = Probes.Constant([3], -1f),
        }));

        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task Backward_ForwardIdUsedTwice_NotFound()
    {
        await using var service = await TrainingPolicyAsync();
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));
        var backward = new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, -1f) };
        await service.Policy.BackwardAsync(backward);

        await RpcAssert.StatusAsync(StatusCode.NotFound, async () => await service.Policy.BackwardAsync(backward));

        var step = await service.Policy.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f });
        Assert.Equal(1, step.ModelVersion.Step);
    }

    [DataFact]
    public async Task Backward_ExpiredForwardId_NotFound()
    {
        await using var service = await TrainingPolicyAsync(new Dictionary<string, string?> { ["Model:ForwardExpirySeconds"] = "1" });
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));

        await Task.Delay(TimeSpan.FromSeconds(1.3));
        var e = await RpcAssert.StatusAsync(StatusCode.NotFound, async () => await service.Policy.BackwardAsync(new BackwardRequest
        {
            RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, -1f),
        }));

        Assert.Contains(forward.ForwardId, e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task AcquireTrainingLease_SecondRun_FailedPreconditionAndFirstRunUnaffected()
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));
        var grad = Probes.Constant(forward.Logprobs.Lengths, -1f);

        var e = await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest { RunId = "run-intruder" }));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = "run-intruder", ForwardId = forward.ForwardId, GradLogprobs = grad }));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.ReleaseTrainingLeaseAsync(new ReleaseTrainingLeaseRequest { RunId = "run-intruder" }));

        Assert.Contains(RunId, e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(RunId, (await service.Policy.GetModelInfoAsync(new GetModelInfoRequest())).LeaseRunId);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
        await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = grad });
    }

    [DataFact]
    public async Task TrainingRpcs_WithoutLease_FailedPrecondition()
    {
        using var temp = new TempDir();
        await using var service = await HostedModelService.StartAsync(ModelRole.Policy);
        await using var critic = await HostedModelService.StartAsync(ModelRole.Critic, ScoreHeadCheckpoint.Path);
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var policy = service.Policy;

        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition, async () => await policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds())));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = "x", GradLogprobs = Probes.Constant([3], -1f) }));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await policy.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f }));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await policy.SaveCheckpointAsync(new SaveCheckpointRequest { RunId = RunId, Path = temp.Sub("p") }));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await policy.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = RunId, Path = TestData.Data(TestData.Stories260K) }));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await critic.Critic.ComputeValuesAsync(new ComputeValuesRequest { KeepForBackward = true, RunId = RunId, Sequences = { Probes.AllIds() } }));

        Assert.False(Directory.Exists(temp.Sub("p")));
        await RpcAssert.UntouchedAsync(policy, before);
    }

    [DataFact]
    public async Task Reference_KeepForBackwardOrLease_FailedPrecondition()
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Reference);
        var plain = new ComputeLogProbsRequest { Temperature = 1f, Sequences = { Probes.AllIds() } };
        var before = await service.Reference.ComputeLogProbsAsync(plain);
        var keep = plain.Clone();
        keep.KeepForBackward = true;
        keep.RunId = RunId;

        var e = await RpcAssert.StatusAsync(StatusCode.FailedPrecondition, async () => await service.Reference.ComputeLogProbsAsync(keep));

        Assert.Contains("frozen", e.Status.Detail, StringComparison.Ordinal);
        var after = await service.Reference.ComputeLogProbsAsync(plain);
        Assert.Equal(before.Logprobs, after.Logprobs);
        Assert.Equal(before.ModelVersion, after.ModelVersion);
    }

    [DataFact]
    public async Task OptimizerStep_NoGradients_FailedPrecondition()
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);

        await AssertNoGradientAsync(service);
        // a forward kept but never back-propagated is not a gradient either
        await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));
        await AssertNoGradientAsync(service);

        await RpcAssert.UntouchedAsync(service.Policy, before);
        Assert.Equal(0, before.Version.Step);
    }

    [DataTheory]
    [InlineData("learning_rate", 0f)]
    [InlineData("learning_rate", float.NaN)]
    [InlineData("max_grad_norm", -1f)]
    [InlineData("max_grad_norm", float.PositiveInfinity)]
    [InlineData("gradient_scale", -1f)]
    public async Task OptimizerStep_BadHyperParameters_InvalidArgumentAndGradientsKept(string field, float value)
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));
        await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, -1f) });
        var request = new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f };
        switch (field)
        {
            case "learning_rate": request.LearningRate = value; break;
            case "max_grad_norm": request.MaxGradNorm = value; break;
            default: request.GradientScale = value; break;
        }

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await service.Policy.OptimizerStepAsync(request));

        Assert.Contains(field, e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        var step = await service.Policy.OptimizerStepAsync(new OptimizerStepRequest { RunId = RunId, LearningRate = 1e-3f });
        Assert.Equal(1, step.ModelVersion.Step);
    }

    [DataTheory]
    [InlineData("temperature", -0.5f)]
    [InlineData("temperature", float.NaN)]
    [InlineData("temperature", 11f)]
    [InlineData("top_p", 0f)]
    [InlineData("top_p", 1.5f)]
    [InlineData("top_k", -1f)]
    [InlineData("top_k", 513f)]
    [InlineData("max_new_tokens", 0f)]
    [InlineData("max_new_tokens", 512f)]
    [InlineData("num_samples_per_prompt", 65f)]
    [InlineData("stop_token_ids", 512f)]
    public async Task Generate_BadSamplingParams_InvalidArgument(string field, float value)
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Policy);
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var request = Generate(Probes.PromptText(0));
        var s = request.Sampling;
        switch (field)
        {
            case "temperature": s.Temperature = value; break;
            case "top_p": s.TopP = value; break;
            case "top_k": s.TopK = (int)value; break;
            case "max_new_tokens": s.MaxNewTokens = (int)value; break;
            case "num_samples_per_prompt": s.NumSamplesPerPrompt = (int)value; break;
            default: s.StopTokenIds.Add((int)value); break;
        }

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await service.Policy.GenerateAsync(request));
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () =>
        {
            using var call = service.Policy.StreamGenerate(request);
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Contains(field, e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
    }

    [DataTheory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(11f)]
    public async Task ComputeLogProbs_BadTemperature_InvalidArgument(float temperature)
    {
        await using var service = await TrainingPolicyAsync();
        await using var reference = await HostedModelService.StartAsync(ModelRole.Reference);
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var request = LogProbs(true, Probes.AllIds());
        request.Temperature = temperature;
        var plain = LogProbs(false, Probes.AllIds());
        plain.Temperature = temperature;

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await service.Policy.ComputeLogProbsAsync(request));
        await RpcAssert.StatusAsync(StatusCode.InvalidArgument, async () => await reference.Reference.ComputeLogProbsAsync(plain));

        Assert.Contains("temperature", e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
    }

    [DataFact]
    public async Task LoadCheckpoint_MissingPath_NotFound()
    {
        await using var service = await TrainingPolicyAsync();
        await using var reward = await HostedModelService.StartAsync(ModelRole.Reward, ScoreHeadCheckpoint.Path);
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var rewardBefore = await reward.Reward.ScoreResponsesAsync(new ScoreResponsesRequest { Sequences = { Probes.AllIds() } });
        var missing = Path.Combine(Path.GetTempPath(), "rlhf-no-such-checkpoint-" + Guid.NewGuid().ToString("N"));

        await RpcAssert.StatusAsync(StatusCode.NotFound,
            async () => await service.Policy.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = RunId, Path = missing }));
        await RpcAssert.StatusAsync(StatusCode.NotFound,
            async () => await reward.Reward.LoadCheckpointAsync(new LoadCheckpointRequest { Path = missing }));

        await RpcAssert.UntouchedAsync(service.Policy, before);
        var rewardAfter = await reward.Reward.ScoreResponsesAsync(new ScoreResponsesRequest { Sequences = { Probes.AllIds() } });
        Assert.Equal(rewardBefore, rewardAfter);
    }

    [DataFact]
    public async Task LoadCheckpoint_OtherArchitecture_FailedPrecondition()
    {
        using var temp = new TempDir();
        var other = temp.Sub("other");
        var config = new ModelConfig(Dim: 32, HiddenDim: 64, NLayers: 2, NHeads: 4, NKvHeads: 2, VocabSize: 512, MaxSeqLen: 128);
        var model = new LlamaModel(config, new EngineOptions { Threads = 1 });
        model.InitializeRandom(3);
        CheckpointDirectory.Save(other, config, model.Parameters);
        await using var service = await TrainingPolicyAsync();
        await using var reward = await HostedModelService.StartAsync(ModelRole.Reward, ScoreHeadCheckpoint.Path);
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var rewardInfo = await reward.Reward.GetModelInfoAsync(new GetModelInfoRequest());

        var e = await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = RunId, Path = other }));
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await reward.Reward.LoadCheckpointAsync(new LoadCheckpointRequest { Path = other }));
        // a file that is not a model at all
        await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = RunId, Path = TestData.Data(TestData.Tok512) }));

        Assert.Contains("does not fit", e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        Assert.Equal(rewardInfo.ModelVersion, (await reward.Reward.GetModelInfoAsync(new GetModelInfoRequest())).ModelVersion);
    }

    [DataFact]
    public async Task ComputeLogProbs_KeptForwardLargerThanStore_ResourceExhausted()
    {
        await using var service = await TrainingPolicyAsync(new Dictionary<string, string?> { ["Model:ForwardStoreBytes"] = (8 << 20).ToString() });
        var before = await RpcAssert.SnapshotAsync(service.Policy);
        var story = Probes.Tokenizer.Encode(File.ReadAllText(TestData.Data(TestData.GreedyExpected)), bos: true);
        var big = new Sequence { PromptIds = { story[..60] }, ResponseIds = { story[60..] } };

        var e = await RpcAssert.StatusAsync(StatusCode.ResourceExhausted, async () => await service.Policy.ComputeLogProbsAsync(LogProbs(true, big, big, big, big)));

        Assert.Contains("ForwardStoreBytes", e.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
        await AssertNoGradientAsync(service);
        // a forward within the budget is still kept (the engine may hand it a recycled, larger buffer: hence 8 MiB)
        var small = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.Ids(0)));
        Assert.NotEmpty(small.ForwardId);
    }

    /// <summary>Gaps found when checking every status the services raise against this file (issue 12, item 8).</summary>
    [DataFact]
    public async Task Generate_PromptWithResponse_InvalidArgument()
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Policy);
        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.GenerateAsync(Generate(new Sequence { PromptText = "Once upon a time", ResponseText = " there" })));
        Assert.Contains("Generate takes prompts only", e.Status.Detail, StringComparison.Ordinal);
    }

    [DataFact]
    public async Task Backward_NoGradientGiven_InvalidArgumentAndForwardKept()
    {
        await using var service = await TrainingPolicyAsync();
        var forward = await service.Policy.ComputeLogProbsAsync(LogProbs(true, Probes.AllIds()));

        var e = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId }));

        Assert.Contains("no gradient given", e.Status.Detail, StringComparison.Ordinal);
        await AssertNoGradientAsync(service);
        var ok = await service.Policy.BackwardAsync(new BackwardRequest { RunId = RunId, ForwardId = forward.ForwardId, GradLogprobs = Probes.Constant(forward.Logprobs.Lengths, -1f) });
        Assert.Equal(1, ok.AccumulatedBackwardPasses);
    }

    [DataFact]
    public async Task Checkpoints_EmptyPath_InvalidArgument()
    {
        await using var service = await TrainingPolicyAsync();
        var before = await RpcAssert.SnapshotAsync(service.Policy);

        var save = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.SaveCheckpointAsync(new SaveCheckpointRequest { RunId = RunId, Path = " " }));
        var load = await RpcAssert.StatusAsync(StatusCode.InvalidArgument,
            async () => await service.Policy.LoadCheckpointAsync(new LoadCheckpointRequest { RunId = RunId, Path = "" }));

        Assert.Contains("path is required", save.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("path is required", load.Status.Detail, StringComparison.Ordinal);
        await RpcAssert.UntouchedAsync(service.Policy, before);
    }

    [DataFact]
    public async Task SaveCheckpoint_PathIsAFile_FailedPrecondition()
    {
        using var temp = new TempDir();
        var file = temp.File("occupied", "not a directory");
        await using var service = await TrainingPolicyAsync();

        var e = await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.SaveCheckpointAsync(new SaveCheckpointRequest { RunId = RunId, Path = file }));

        Assert.Contains("cannot write checkpoint", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("not a directory", File.ReadAllText(file));
    }

    [DataFact]
    public async Task TextRequest_ServiceWithoutTokenizer_FailedPrecondition()
    {
        await using var service = await HostedModelService.StartAsync(ModelRole.Policy, settings: new Dictionary<string, string?> { ["Model:Tokenizer"] = "" });

        var e = await RpcAssert.StatusAsync(StatusCode.FailedPrecondition,
            async () => await service.Policy.GenerateAsync(Generate(Probes.PromptText(0))));
        var ids = await service.Policy.GenerateAsync(Generate(new Sequence { PromptIds = { 1, 403 } }));

        Assert.Contains("no tokenizer", e.Status.Detail, StringComparison.Ordinal);
        Assert.Single(ids.Generations);
    }
}
