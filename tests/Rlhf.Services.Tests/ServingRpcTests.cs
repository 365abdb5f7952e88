using Grpc.Core;
using Rlhf.Contracts.V1;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>The serving RPCs of the four model services over real gRPC on loopback, with the typed clients.</summary>
public sealed class ServingRpcTests(ServingSuiteFixture suite) : IClassFixture<ServingSuiteFixture>
{
    private static GenerateRequest Request(ulong seed, float temperature, int maxNewTokens, params Sequence[] prompts)
    {
        var request = new GenerateRequest
        {
            Sampling = new SamplingParams { Temperature = temperature, MaxNewTokens = maxNewTokens, Seed = seed },
        };
        request.Prompts.Add(prompts);
        return request;
    }

    [DataFact]
    public async Task Generate_SameSeed_IdenticalResponses()
    {
        var request = Request(7, 1f, 12, Probes.PromptText(0), Probes.PromptText(1));

        var first = await suite.Policy.Policy.GenerateAsync(request);
        var second = await suite.Policy.Policy.GenerateAsync(request);

        Assert.Equal(2, first.Generations.Count);
        Assert.Equal(first.Generations, second.Generations);
        Assert.All(first.Generations, g => Assert.Equal(g.ResponseIds.Count, g.Logprobs.Count));
    }

    [DataFact]
    public async Task Generate_OtherSeed_DifferentResponses()
    {
        var a = await suite.Policy.Policy.GenerateAsync(Request(7, 1f, 12, Probes.PromptText(0), Probes.PromptText(1)));
        var b = await suite.Policy.Policy.GenerateAsync(Request(8, 1f, 12, Probes.PromptText(0), Probes.PromptText(1)));

        Assert.NotEqual(a.Generations.Select(g => g.ResponseIds.ToArray()), b.Generations.Select(g => g.ResponseIds.ToArray()));
    }

    [DataFact]
    public async Task Generate_Seeded_IndependentOfOtherPromptsInBatch()
    {
        // Sequence i draws from stream (seed, i): what shares the batch with it must not change its response.
        var ab = await suite.Policy.Policy.GenerateAsync(Request(11, 1f, 12, Probes.PromptText(0), Probes.PromptText(1)));
        var ac = await suite.Policy.Policy.GenerateAsync(Request(11, 1f, 12, Probes.PromptText(0), Probes.PromptText(2)));
        var cb = await suite.Policy.Policy.GenerateAsync(Request(11, 1f, 12, Probes.PromptText(2), Probes.PromptText(1)));
        var aAlone = await suite.Policy.Policy.GenerateAsync(Request(11, 1f, 12, Probes.PromptText(0)));

        Assert.Equal(ab.Generations[0], ac.Generations[0]);
        Assert.Equal(ab.Generations[0], aAlone.Generations[0]);
        Assert.Equal(ab.Generations[1], cb.Generations[1]);
    }

    [DataFact]
    public async Task Generate_GreedyFromBos_ReproducesLlama2cReference()
    {
        var expected = File.ReadAllText(TestData.Data(TestData.GreedyExpected));
        var bos = new Sequence { PromptIds = { 1 } };

        var response = await suite.Policy.Policy.GenerateAsync(Request(0, 0f, 60, bos));

        var text = response.Generations.Single().ResponseText;
        Assert.True(text.Length > 150, $"greedy text too short: '{text}'");
        Assert.StartsWith(text, expected, StringComparison.Ordinal);
        Assert.Equal(FinishReason.Length, response.Generations[0].FinishReason);
    }

    [DataFact]
    public async Task Generate_NumSamplesPerPrompt_PromptMajorGroups()
    {
        var request = Request(3, 1f, 10, Probes.PromptText(0), Probes.PromptText(1));
        request.Sampling.NumSamplesPerPrompt = 3;

        var response = await suite.Policy.Policy.GenerateAsync(request);

        Assert.Equal([0, 0, 0, 1, 1, 1], response.Generations.Select(g => g.PromptIndex));
        var prompt0 = Probes.Tokenizer.Encode(Probes.Prompts[0], bos: true);
        Assert.All(response.Generations.Take(3), g => Assert.Equal(prompt0, g.PromptIds));
        Assert.True(response.Generations.Take(3).Select(g => string.Join(",", g.ResponseIds)).Distinct().Count() > 1,
            "the samples of one prompt are all identical");
    }

    [DataFact]
    public async Task Generate_PromptNearMaxSeqLen_StopsAtTheContextWithLength()
    {
        var story = Probes.Tokenizer.Encode(File.ReadAllText(TestData.Data(TestData.GreedyExpected)), bos: false);
        var prompt = new Sequence { PromptIds = { 1 } };
        while (prompt.PromptIds.Count < 500)
            prompt.PromptIds.Add(story[(prompt.PromptIds.Count - 1) % story.Length]);

        var response = await suite.Policy.Policy.GenerateAsync(Request(1, 1f, 100, prompt));

        var g = response.Generations.Single();
        Assert.Equal(512 - 500, g.ResponseIds.Count);
        Assert.Equal(FinishReason.Length, g.FinishReason);
    }

    [DataFact]
    public async Task StreamGenerate_SameRequest_ChunksEqualGenerate()
    {
        var request = Request(5, 0.8f, 12, Probes.PromptText(0), Probes.PromptText(2));
        request.Sampling.NumSamplesPerPrompt = 2;
        var unary = await suite.Policy.Policy.GenerateAsync(request);

        var chunks = new List<GenerateChunk>();
        using (var call = suite.Policy.Policy.StreamGenerate(request))
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
                chunks.Add(call.ResponseStream.Current);
        }

        Assert.Equal(4, unary.Generations.Count); // 2 prompts × 2 samples
        Assert.NotEmpty(chunks);
        Assert.Equal(unary.Generations.Sum(g => g.ResponseIds.Count), chunks.Count); // one chunk per sampled token
        var tokens = unary.Generations.Select(_ => new List<int>()).ToArray();
        var logprobs = unary.Generations.Select(_ => new List<float>()).ToArray();
        var texts = unary.Generations.Select(_ => "").ToArray();
        var finish = new FinishReason[unary.Generations.Count];
        foreach (var c in chunks)
        {
            tokens[c.GenerationIndex].AddRange(c.TokenIds);
            logprobs[c.GenerationIndex].AddRange(c.Logprobs);
            texts[c.GenerationIndex] += c.Text;
            if (c.FinishReason != FinishReason.Unspecified)
                finish[c.GenerationIndex] = c.FinishReason;
        }
        for (var g = 0; g < unary.Generations.Count; g++)
        {
            Assert.Equal(unary.Generations[g].ResponseIds, tokens[g]);
            Assert.Equal(unary.Generations[g].Logprobs, logprobs[g]);
            Assert.Equal(unary.Generations[g].ResponseText, texts[g]);
            Assert.Equal(unary.Generations[g].FinishReason, finish[g]);
        }
    }

    [DataFact]
    public async Task ComputeLogProbs_GeneratedResponses_EqualBehaviourLogprobs()
    {
        const float temperature = 0.7f;
        var generated = await suite.Policy.Policy.GenerateAsync(Request(9, temperature, 16, Probes.PromptText(0), Probes.PromptText(1), Probes.PromptText(2)));
        var request = new ComputeLogProbsRequest { Temperature = temperature, ComputeEntropy = true };
        request.Sequences.Add(generated.Generations.Select(g => new Sequence { PromptIds = { g.PromptIds }, ResponseIds = { g.ResponseIds } }));

        var response = await suite.Policy.Policy.ComputeLogProbsAsync(request);

        var rows = Probes.Rows(response.Logprobs);
        Assert.Equal(3, generated.Generations.Count);
        Assert.Equal(generated.Generations.Count, rows.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            var behaviour = generated.Generations[i].Logprobs;
            Assert.Equal(behaviour.Count, rows[i].Length);
            for (var t = 0; t < rows[i].Length; t++)
                Assert.True(Math.Abs(rows[i][t] - behaviour[t]) <= 1e-4, $"sequence {i}, token {t}: {rows[i][t]} vs behaviour {behaviour[t]}");
        }
        Assert.Equal(response.Logprobs.Lengths, response.Entropies.Lengths);
        Assert.NotEmpty(response.Entropies.Values);
        Assert.All(response.Entropies.Values, e => Assert.True(e > 0 && e <= Math.Log(512) + 1e-4, $"entropy {e}"));
        Assert.Equal("", response.ForwardId);
    }

    [DataFact]
    public async Task ComputeLogProbs_ReferenceOnSameWeights_EqualsPolicy()
    {
        var request = new ComputeLogProbsRequest { Temperature = 1f };
        request.Sequences.Add(Probes.AllIds());

        var policy = await suite.Policy.Policy.ComputeLogProbsAsync(request);
        var reference = await suite.Reference.Reference.ComputeLogProbsAsync(request);

        Assert.Equal(Probes.AllIds().Select(s => s.ResponseIds.Count), policy.Logprobs.Lengths);
        Assert.Equal(policy.Logprobs, reference.Logprobs);
        Assert.All(policy.Logprobs.Values, lp => Assert.True(lp < 0 && float.IsFinite(lp)));
    }

    [DataFact]
    public async Task ComputeLogProbs_TextAndIds_SameLogprobs()
    {
        var byIds = new ComputeLogProbsRequest();
        byIds.Sequences.Add(Probes.Ids(1));
        var byText = new ComputeLogProbsRequest();
        byText.Sequences.Add(new Sequence { PromptText = Probes.Prompts[1], ResponseText = Probes.Responses[1] });

        var a = await suite.Policy.Policy.ComputeLogProbsAsync(byIds);
        var b = await suite.Policy.Policy.ComputeLogProbsAsync(byText);

        Assert.Equal(a.Logprobs, b.Logprobs);
    }

    [DataFact]
    public async Task ComputeValues_Batch_OneValuePerResponseToken()
    {
        var request = new ComputeValuesRequest();
        request.Sequences.Add(Probes.AllIds());

        var response = await suite.Critic.Critic.ComputeValuesAsync(request);

        Assert.Equal(Probes.AllIds().Select(s => s.ResponseIds.Count), response.Values.Lengths);
        Assert.Equal(response.Values.Lengths.Sum(), response.Values.Values.Count);
        Assert.All(response.Values.Values, v => Assert.True(float.IsFinite(v)));
        Assert.True(response.Values.Values.Distinct().Count() > 1, "the random scalar head should give distinct values");
    }

    [DataFact]
    public async Task ScoreResponses_IdsAndText_OneFiniteScoreEach()
    {
        var byIds = new ScoreResponsesRequest { IncludeRawScores = true };
        byIds.Sequences.Add(Probes.AllIds());

        var response = await suite.Reward.Reward.ScoreResponsesAsync(byIds);
        var texts = new ScoreResponsesRequest();
        texts.Sequences.Add(Probes.Prompts.Zip(Probes.Responses, (p, r) => new Sequence { PromptText = p, ResponseText = r }));
        var byText = (await suite.Reward.Reward.ScoreResponsesAsync(texts)).Scores;

        Assert.Equal(3, response.Scores.Count);
        Assert.Equal(3, response.RawScores.Count);
        Assert.All(response.Scores, s => Assert.True(float.IsFinite(s)));
        Assert.True(response.Scores.Distinct().Count() == 3, "the random scalar head should score the responses differently");
        Assert.Equal(response.Scores, byText);
    }

    [DataFact]
    public async Task ScoreResponses_LongerThanMaxSeqLen_ScoresTheLast512Tokens()
    {
        var story = Probes.Tokenizer.Encode(File.ReadAllText(TestData.Data(TestData.GreedyExpected)), bos: false);
        var tokens = Enumerable.Range(0, 600).Select(i => story[i % story.Length]).ToArray();
        var full = new Sequence { PromptIds = { 1 }, ResponseIds = { tokens } };      // 601 tokens
        var tail = new Sequence { PromptIds = { tokens[^512] }, ResponseIds = { tokens[^511..] } };

        var scores = await suite.Reward.Reward.ScoreResponsesAsync(new ScoreResponsesRequest { Sequences = { full, tail } });

        Assert.True(Math.Abs(scores.Scores[0] - scores.Scores[1]) <= 1e-5, $"{scores.Scores[0]} vs {scores.Scores[1]}");
    }

    [DataFact]
    public async Task ScoreResponses_ConcurrentCalls_SameScoresAsAlone()
    {
        var single = new ScoreResponsesRequest[3];
        for (var i = 0; i < 3; i++)
        {
            single[i] = new ScoreResponsesRequest();
            single[i].Sequences.Add(Probes.Ids(i));
        }
        var alone = new List<float>();
        foreach (var r in single)
            alone.Add((await suite.Reward.Reward.ScoreResponsesAsync(r)).Scores.Single());

        var concurrent = await Task.WhenAll(single.Select(r => suite.Reward.Reward.ScoreResponsesAsync(r).ResponseAsync));

        for (var i = 0; i < 3; i++)
            Assert.True(Math.Abs(alone[i] - concurrent[i].Scores.Single()) <= 1e-5, $"sequence {i}: {alone[i]} alone vs {concurrent[i].Scores[0]} merged");
    }

    [DataFact]
    public async Task GetModelInfo_EachService_ReportsArchitectureFingerprintAndVersion()
    {
        var fingerprint = Probes.Tokenizer.Fingerprint;

        var policy = await suite.Policy.Policy.GetModelInfoAsync(new GetModelInfoRequest());
        var reference = await suite.Reference.Reference.GetModelInfoAsync(new GetModelInfoRequest());
        var critic = await suite.Critic.Critic.GetModelInfoAsync(new GetModelInfoRequest());
        var reward = await suite.Reward.Reward.GetModelInfoAsync(new GetModelInfoRequest());

        Assert.Equal("rlhf.v1.PolicyService", policy.Service);
        Assert.Equal("llama", policy.Architecture);
        Assert.Equal(512, policy.VocabSize);
        Assert.Equal((64, 172, 5, 8, 4, 512, 512), (policy.Config.Dim, policy.Config.HiddenDim, policy.Config.NLayers,
            policy.Config.NHeads, policy.Config.NKvHeads, policy.Config.VocabSize, policy.Config.MaxSeqLen));
        Assert.InRange(policy.ParameterCount, 250_000, 300_000);
        Assert.False(string.IsNullOrEmpty(fingerprint));
        Assert.All(new[] { policy, reference, critic, reward }, i => Assert.Equal(fingerprint, i.TokenizerFingerprint));
        Assert.StartsWith("stories260K.bin@", policy.ModelVersion.CheckpointId, StringComparison.Ordinal);
        Assert.Equal(0, policy.ModelVersion.Step);
        Assert.NotEmpty(policy.ModelVersion.InstanceId);
        Assert.NotEqual(policy.ModelVersion.InstanceId, reference.ModelVersion.InstanceId);
        Assert.Equal((true, false, true, false), (policy.Trainable, reference.Trainable, critic.Trainable, reward.Trainable));
        Assert.Equal("", policy.LeaseRunId);
    }
}
