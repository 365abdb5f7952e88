namespace Rlhf.Engine.Tests.Model;

[Collection(OpenBlasCollection.Name)]
public sealed class ForwardTests
{
    private static readonly ModelConfig Tiny = new(Dim: 32, HiddenDim: 48, NLayers: 2, NHeads: 4, NKvHeads: 2,
        VocabSize: 50, MaxSeqLen: 24, TiedEmbeddings: false);

    private static LlamaModel NewModel(int threads = 1)
    {
        var model = new LlamaModel(Tiny, new EngineOptions { Threads = threads });
        model.InitializeRandom(seed: 11, std: 0.2f);
        var rng = new Xoshiro256StarStar(9);
        foreach (var t in model.Parameters.Where(t => t.Name.StartsWith("score.", StringComparison.Ordinal)))
            for (var i = 0; i < t.Data.Length; i++)
                t.Data.Span[i] = rng.NextFloat() - 0.5f;
        return model;
    }

    private static readonly TokenSequence[] Batch =
        [new([1, 5, 9], [20, 21, 22, 2]), new([1], [7, 8, 9, 10, 11, 12]), new([1, 3, 3, 3, 3, 3, 3, 3], [44])];

    [Fact]
    public void Forward_PackedBatch_EqualsEachSequenceAlone()
    {
        // Arrange
        var model = NewModel();
        var options = new ForwardOptions { Temperature = 0.9f, ComputeEntropy = true, ComputeValues = true };

        // Act
        var packed = model.Forward(Batch, options);

        // Assert
        for (var s = 0; s < Batch.Length; s++)
        {
            var alone = model.Forward([Batch[s]], options);
            for (var t = 0; t < Batch[s].ResponseIds.Length; t++)
            {
                Assert.Equal(alone.Logprobs[0][t], packed.Logprobs[s][t], 1e-5f);
                Assert.Equal(alone.Entropy![0][t], packed.Entropy![s][t], 1e-5f);
                Assert.Equal(alone.Values![0][t], packed.Values![s][t], 1e-5f);
            }
            Assert.Equal(alone.LastScalar[0], packed.LastScalar[s], 1e-5f);
        }
    }

    [Fact]
    public void Forward_Logprobs_AreLogProbabilitiesOfTheTemperedDistribution()
    {
        // Arrange: sum over every possible next token of exp(logprob) must be 1
        var model = NewModel();
        var candidates = Enumerable.Range(0, Tiny.VocabSize).Select(v => new TokenSequence([1, 4, 6], [v])).ToArray();

        // Act
        var result = model.Forward(candidates, new ForwardOptions { Temperature = 0.5f, ComputeEntropy = true });

        // Assert
        var probabilities = result.Logprobs.Select(l => Math.Exp(l[0])).ToArray();
        Assert.Equal(1.0, probabilities.Sum(), 4);
        var entropy = -probabilities.Sum(p => p * Math.Log(p));
        Assert.Equal(entropy, result.Entropy![0][0], 4);
    }

    [Fact]
    public void ForwardBackward_SameSeedAndThreads_BitwiseIdentical()
    {
        // Arrange
        var options = new ForwardOptions { Temperature = 0.7f, ComputeEntropy = true, ComputeValues = true, KeepForBackward = true };
        var grads = new OutputGradients(
            Logprobs: Batch.Select(s => s.ResponseIds.Select(_ => 0.5f).ToArray()).ToArray(),
            Entropy: Batch.Select(s => s.ResponseIds.Select(_ => -0.25f).ToArray()).ToArray(),
            Values: Batch.Select(s => s.ResponseIds.Select(_ => 1.5f).ToArray()).ToArray(),
            LastScalar: [1f, -1f, 2f]);
        float[] Run()
        {
            var model = NewModel(threads: 2);
            var result = model.Forward(Batch, options);
            model.Backward(result.State!, grads);
            return result.Logprobs.SelectMany(l => l).Concat(model.Gradients.SelectMany(g => g.Data.ToArray())).ToArray();
        }

        // Act
        var first = Run();
        var second = Run();

        // Assert
        Assert.Equal(first, second);
        Assert.Contains(first, v => v != 0f);
    }

    [Fact]
    public void Backward_CalledTwice_AccumulatesAndSecondStateUseThrows()
    {
        // Arrange
        var model = NewModel();
        var options = new ForwardOptions { KeepForBackward = true };
        var grads = new OutputGradients(Logprobs: Batch.Select(s => s.ResponseIds.Select(_ => 1f).ToArray()).ToArray());
        var state = model.Forward(Batch, options).State!;
        model.Backward(state, grads);
        var once = model.Gradients[1].Data.ToArray();

        // Act
        model.Backward(model.Forward(Batch, options).State!, grads);

        // Assert
        var twice = model.Gradients[1].Data.ToArray();
        Assert.Contains(once, v => v != 0f);
        for (var i = 0; i < once.Length; i++)
            Assert.Equal(2 * once[i], twice[i], 1e-5f * Math.Max(1f, Math.Abs(twice[i])));
        Assert.True(state.IsReleased);
        Assert.Throws<ArgumentException>(() => model.Backward(state, grads));
        model.ZeroGrad();
        Assert.All(model.Gradients[1].Data.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Forward_KeepForBackward_ReportsStateSize()
    {
        var model = NewModel();
        var result = model.Forward(Batch, new ForwardOptions { KeepForBackward = true });
        Assert.NotNull(result.State);
        Assert.True(result.State!.ByteSize > 4L * Tiny.NLayers * 19 * Tiny.Dim);
        result.State.Release();
        Assert.True(result.State.IsReleased);
        Assert.Null(model.Forward(Batch).State);
    }

    [Fact]
    public void Forward_CriticPath_SkipsLogprobs()
    {
        var model = NewModel();
        var result = model.Forward(Batch, new ForwardOptions { ComputeLogprobs = false, ComputeValues = true });
        Assert.All(result.Logprobs, l => Assert.Empty(l));
        Assert.Equal(Batch.Select(s => s.ResponseIds.Length), result.Values!.Select(v => v.Length));
    }

    [Theory]
    [InlineData(new int[0], new[] { 3 }, "prompt must hold at least one token")]
    [InlineData(new[] { 1, 50 }, new[] { 3 }, "outside [0, 50)")]
    [InlineData(new[] { 1 }, new[] { -1 }, "response token 0")]
    [InlineData(new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 }, "exceeds max_seq_len")]
    public void Forward_InvalidSequence_ThrowsNamingTheSequenceIndex(int[] prompt, int[] response, string message)
    {
        var model = NewModel();
        var e = Assert.Throws<ArgumentException>(() => model.Forward([Batch[0], new TokenSequence(prompt, response)]));
        Assert.Contains("sequence 1", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Backward_GradientForOutputNotComputed_Throws()
    {
        var model = NewModel();
        var state = model.Forward(Batch, new ForwardOptions { KeepForBackward = true }).State!;
        var e = Assert.Throws<ArgumentException>(() => model.Backward(state,
            new OutputGradients(Entropy: Batch.Select(s => new float[s.ResponseIds.Length]).ToArray())));
        Assert.Contains("entropy", e.Message);
    }

    [Fact]
    public void Parameters_HuggingFaceNamesAndShapes_ViewTheGradientLayout()
    {
        var model = NewModel();
        Assert.Equal(model.Parameters.Select(p => p.Name), model.Gradients.Select(g => g.Name));
        var byName = model.Parameters.ToDictionary(p => p.Name);
        Assert.Equal([Tiny.KvDim, Tiny.Dim], byName["model.layers.1.self_attn.k_proj.weight"].Shape);
        Assert.Equal([Tiny.Dim, Tiny.HiddenDim], byName["model.layers.0.mlp.down_proj.weight"].Shape);
        Assert.Equal([Tiny.VocabSize, Tiny.Dim], byName["lm_head.weight"].Shape);
        Assert.Equal([1, Tiny.Dim], byName["score.weight"].Shape);
        Assert.Equal(model.ParameterCount, model.Parameters.Sum(p => p.ElementCount));
    }

    [Fact]
    public void Xoshiro256StarStar_StateRoundTrip_RepeatsTheSequence()
    {
        var rng = new Xoshiro256StarStar(123, 4);
        rng.NextUInt64();
        var state = rng.GetState();
        var a = Enumerable.Range(0, 5).Select(_ => rng.NextUInt64()).ToArray();
        var other = new Xoshiro256StarStar(0);
        other.SetState(state);
        Assert.Equal(a, Enumerable.Range(0, 5).Select(_ => other.NextUInt64()).ToArray());
        Assert.NotEqual(new Xoshiro256StarStar(123, 5).NextUInt64(), new Xoshiro256StarStar(123, 4).NextUInt64());
    }
}
