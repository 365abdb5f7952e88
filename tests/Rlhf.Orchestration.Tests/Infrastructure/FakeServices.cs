using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Training;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Tests.Infrastructure;

/// <summary>
/// Four scripted services: every response has 3 tokens, policy logprobs −1, reference logprobs −1.25 (at any
/// temperature), score 1, critic values 5; optimizer steps report grad norms 1, 2, … (policy) and 10, 20, … (critic).
/// Leases, model info and checkpoints succeed (a checkpoint is a folder with a marker file), so a whole
/// <see cref="PpoRun"/> runs against them in milliseconds. With <c>varied</c>, responses are short stories drawn from
/// the sampling seed, and scores and response texts drift with the policy's optimizer steps (more positive, less
/// diverse), so a report has curves and a before/after panel worth looking at.
/// </summary>
internal sealed class FakeServices
{
    private static readonly string[] Openings = ["One day", "Once upon a time", "The sun was", "Lily and Tom", "A little dog", "Every morning"];
    private static readonly string[] Middles = ["went to the park", "found a shiny stone", "played with a red ball", "saw a big tree", "made a new friend", "baked a cake"];
    private static readonly string[] Endings = ["and smiled.", "and was very happy.", "and it was fun.", "and felt sad.", "and said thank you.", "and went home."];
    private readonly bool _varied;

    public FakeServices(bool varied = false)
    {
        _varied = varied;
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

    /// <summary>2 prompts, minibatches of 1, 2 PPO epochs, one eval sample per prompt.</summary>
    public static PpoConfig Config() => new() { BatchSize = 2, MiniBatchSize = 1, PpoEpochs = 2, EvalSamplesPerPrompt = 1 };

    private IMessage Respond(string service, string method, IMessage request) => (service, method, request) switch
    {
        ("policy", "Generate", GenerateRequest r) => Generations(r),
        ("policy", "ComputeLogProbs", ComputeLogProbsRequest r) => LogProbs(r, -1f, r.KeepForBackward ? "fwd" : ""),
        ("reference", "ComputeLogProbs", ComputeLogProbsRequest r) => LogProbs(r, -1.25f, ""),
        ("reward", "ScoreResponses", ScoreResponsesRequest r) => new ScoreResponsesResponse { Scores = { r.Sequences.Select(Score) } },
        ("critic", "ComputeValues", ComputeValuesRequest r) => new ComputeValuesResponse { Values = Packed(r.Sequences, 5f), ForwardId = "fwd" },
        (_, "Backward", _) => new BackwardResponse(),
        ("policy", "OptimizerStep", _) => new OptimizerStepResponse { GradNorm = ++PolicySteps },
        ("critic", "OptimizerStep", _) => new OptimizerStepResponse { GradNorm = 10 * ++CriticSteps },
        // varied: the reward model has its own tokenizer, so it scores by text
        (_, "GetModelInfo", _) => new ModelInfo { TokenizerFingerprint = _varied && service == "reward" ? "fake-reward" : "fake", VocabSize = 512 },
        (_, "AcquireTrainingLease", _) => new AcquireTrainingLeaseResponse(),
        (_, "ReleaseTrainingLease", _) => new ReleaseTrainingLeaseResponse(),
        (_, "SaveCheckpoint", SaveCheckpointRequest r) => SaveCheckpoint(service, r),
        (_, "LoadCheckpoint", _) => new LoadCheckpointResponse(),
        _ => throw new NotSupportedException($"{service}.{method}"),
    };

    private SaveCheckpointResponse SaveCheckpoint(string service, SaveCheckpointRequest request)
    {
        Directory.CreateDirectory(request.Path);
        File.WriteAllText(Path.Combine(request.Path, "model.marker"), $"{service} after {PolicySteps} steps\n");
        return new SaveCheckpointResponse();
    }

    private float Score(Sequence sequence) =>
        _varied ? (float)(0.1 * PolicySteps + (sequence.ResponseText.Contains("happy", StringComparison.Ordinal) ? 1 : 0) - 0.5) : 1f;

    private GenerateResponse Generations(GenerateRequest request)
    {
        var k = Math.Max(1, request.Sampling.NumSamplesPerPrompt);
        var response = new GenerateResponse();
        for (var i = 0; i < request.Prompts.Count * k; i++)
        {
            response.Generations.Add(new Generation
            {
                PromptIndex = i / k, PromptIds = { 1, 2 }, ResponseIds = { 3, 4, 5 }, FinishReason = FinishReason.Stop,
                ResponseText = _varied ? Story(request.Sampling.Seed, i) : $"r{i}",
            });
        }
        return response;
    }

    /// <summary>A story from the seed and index; as the policy trains, more of them collapse onto one happy story.</summary>
    private string Story(ulong seed, int index)
    {
        var h = (int)((seed * 2654435761UL + (ulong)index * 40503UL) % 1_000_003UL);
        if (h % 10 < Math.Min(8, PolicySteps / 4))
            return "One day the dog went to the park and was very happy.";
        return $"{Openings[h % 6]} the cat {Middles[h / 6 % 6]} {Endings[h / 36 % 6]}";
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
