using Rlhf.Tokenizers;
using Xunit.Abstractions;

namespace Rlhf.Models.Tests;

/// <summary>The torch backend against the native engine on stories260K (fp32, CPU).</summary>
[Collection(Stories260KCollection.Name)]
public sealed class EquivalenceTests(Stories260KFixture fixture, ITestOutputHelper output)
{
    /// <summary>About 1e-4 relative, as the issue asks: fp32 with different summation orders.</summary>
    private const double Tolerance = 1e-4;

    private static TokenSequence[] Batch()
    {
        var tokenizer = Llama2Tokenizer.Load(TestData.Data("tok512.bin"), 512);
        var text = File.ReadAllText(TestData.Data("tinystories_train_head.txt"));
        var paragraphs = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // uneven prompt and response lengths, one response empty
        int[][] shapes = [[5, 40], [1, 63], [17, 9], [30, 0], [3, 120]];
        return shapes.Select((s, i) =>
        {
            var ids = tokenizer.Encode(paragraphs[i], bos: true);
            Assert.True(ids.Length >= s[0] + s[1], $"paragraph {i} has only {ids.Length} tokens");
            return new TokenSequence(ids[..s[0]], ids[s[0]..(s[0] + s[1])]);
        }).ToArray();
    }

    [Fact]
    public void Forward_Stories260K_LogprobsEntropiesValuesAndScoresAgree()
    {
        // Arrange
        var batch = Batch();
        var options = new ForwardOptions { Temperature = 0.8f, ComputeEntropy = true, ComputeValues = true };

        // Act
        var native = fixture.Native.Forward(batch, options);
        var torch = fixture.Torch.Forward(batch, options);

        // Assert
        var rows = new (string Name, float[] Torch, float[] Native)[]
        {
            ("logprobs", Compare.Flat(torch.Logprobs), Compare.Flat(native.Logprobs)),
            ("entropy", Compare.Flat(torch.Entropy!), Compare.Flat(native.Entropy!)),
            ("values", Compare.Flat(torch.Values!), Compare.Flat(native.Values!)),
            ("last_scalar", torch.LastScalar, native.LastScalar),
        };
        for (var s = 0; s < batch.Length; s++)
            Assert.Equal(native.Logprobs[s].Length, torch.Logprobs[s].Length);
        foreach (var (name, t, n) in rows)
        {
            var (abs, rel, at) = Compare.Difference(t, n);
            output.WriteLine($"{name,-12} n={n.Length,4} max|Δ|={abs:E2} rel={rel:E2}" + (at >= 0 ? $" at [{at}]: {t[at]:G7} vs {n[at]:G7}" : ""));
            Assert.True(rel <= Tolerance, $"{name}: relative difference {rel:E2} > {Tolerance:E0} (max |Δ| {abs:E2})");
        }
        Assert.Contains(Compare.Flat(native.Values!), v => Math.Abs(v) > 1e-3); // the random scalar head is in use
    }

    [Fact]
    public void Backward_Stories260K_EveryParameterGradientAgreesAndAccumulates()
    {
        // Arrange: per-token ∂loss/∂logprob, ∂loss/∂entropy, ∂loss/∂value and ∂loss/∂last_scalar, random but fixed
        var batch = Batch();
        var options = new ForwardOptions { ComputeEntropy = true, ComputeValues = true, KeepForBackward = true };
        var rng = new Random(13);
        float[][] Random() => batch.Select(s => s.ResponseIds.Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()).ToArray();
        var grads = new OutputGradients(Random(), Random(), Random(), batch.Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray());
        fixture.Native.ZeroGrad();
        fixture.Torch.ZeroGrad();

        // Act
        var nativeState = fixture.Native.Forward(batch, options).State!;
        var torchState = fixture.Torch.Forward(batch, options).State!;
        Assert.True(torchState.ByteSize > 0);
        fixture.Native.Backward(nativeState, grads);
        fixture.Torch.Backward(torchState, grads);
        var native = fixture.Native.CopyGradients();
        var torch = fixture.Torch.CopyGradients();
        fixture.Torch.Backward(fixture.Torch.Forward(batch, options).State!, grads); // accumulates: twice the gradient
        var twice = fixture.Torch.CopyGradients();
        fixture.Native.ZeroGrad();
        fixture.Torch.ZeroGrad();

        // Assert
        var (table, worst, worstName) = Compare.Table(torch, native);
        output.WriteLine(table);
        Assert.True(torchState.IsReleased);
        Assert.True(worst <= Tolerance, $"gradient of {worstName}: relative difference {worst:E2} > {Tolerance:E0}\n{table}");
        var doubled = torch.Select(t => t with { Data = t.Data.Select(x => 2 * x).ToArray() }).ToList();
        var (_, worstTwice, nameTwice) = Compare.Table(twice, doubled);
        Assert.True(worstTwice <= 1e-6, $"accumulation: {nameTwice} after two backwards is not twice one ({worstTwice:E2})");
    }

    [Fact]
    public void Generate_Stories260KGreedy200_ReproducesLlama2CTextAndTheNativeTokens()
    {
        // Arrange: llama2.c `run -t 0.0 -n 200`, BOS at position 0, 200 generated tokens, stop at BOS
        var tokenizer = Llama2Tokenizer.Load(TestData.Data("tok512.bin"), 512);
        var expected = File.ReadAllBytes(TestData.Data("stories260K_greedy200_expected.txt"));
        var options = new GenerationOptions { MaxNewTokens = 200, Temperature = 0f, StopTokenIds = [] };

        // Act
        var torch = fixture.Torch.Generate([[1]], options)[0];
        var native = fixture.Native.Generate([[1]], options)[0];

        // Assert
        var text = new List<byte>();
        var previous = 1;
        foreach (var token in torch.ResponseIds)
        {
            if (token == 1)
                break;
            text.AddRange(tokenizer.DecodePiece(previous, token));
            previous = token;
        }
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(text.ToArray()));
        Assert.Equal(expected, text.ToArray());
        Assert.Equal(native.ResponseIds, torch.ResponseIds);
        Assert.Equal(FinishReason.Length, torch.FinishReason);
        var (_, rel, _) = Compare.Difference(torch.Logprobs, native.Logprobs);
        Assert.True(rel <= Tolerance, $"greedy behaviour logprobs differ by {rel:E2}");
    }

    [Fact]
    public void Generate_BatchedSampling_BehaviourLogprobsEqualForwardAndStopTokensEndSequences()
    {
        // Arrange: uneven prompts in one batch, sampling with top-k and top-p
        int[][] prompts = [[1], [1, 403, 407, 261], [1, 300]];
        var options = new GenerationOptions { MaxNewTokens = 40, Temperature = 0.8f, TopK = 50, TopP = 0.9f, Seed = 7, StopTokenIds = [2, 13] };

        // Act
        var generated = fixture.Torch.Generate(prompts, options);
        var again = fixture.Torch.Generate(prompts, options);
        var otherBatch = fixture.Torch.Generate([prompts[0], [1, 5, 6, 7, 8, 9]], options)[0];
        var forward = fixture.Torch.Forward(prompts.Select((p, i) => new TokenSequence(p, generated[i].ResponseIds)).ToArray(),
            new ForwardOptions { Temperature = 0.8f });

        // Assert
        for (var s = 0; s < prompts.Length; s++)
        {
            var g = generated[s];
            Assert.NotEmpty(g.ResponseIds);
            Assert.Equal(again[s].ResponseIds, g.ResponseIds); // seeded
            if (g.FinishReason == FinishReason.Stop)
                Assert.Contains(g.ResponseIds[^1], options.StopTokenIds);
            else
                Assert.Equal(options.MaxNewTokens, g.ResponseIds.Length);
            Assert.DoesNotContain(g.ResponseIds[..^1], id => options.StopTokenIds.Contains(id));
            var (abs, _, at) = Compare.Difference(g.Logprobs, forward.Logprobs[s]);
            Assert.True(abs < 1e-4, $"sequence {s} token {at}: generate {g.Logprobs[at]} vs forward {forward.Logprobs[s][at]}");
        }
        // sequence 0's stream depends on (Seed, 0) only, not on its batch-mates (nor their padding)
        Assert.Equal(generated[0].ResponseIds, otherBatch.ResponseIds);
    }

    [Theory]
    [InlineData(1, 1f)]
    [InlineData(0, 1e-6f)]
    public void Generate_TopKOneOrTinyTopP_SamplesTheArgmax(int topK, float topP)
    {
        // Arrange: a filter that leaves one token makes any seed's draw the greedy choice
        int[][] prompts = [[1, 403], [1]];
        var greedy = new GenerationOptions { MaxNewTokens = 30, Temperature = 0f, StopTokenIds = [] };
        var filtered = greedy with { Temperature = 1.3f, TopK = topK, TopP = topP, Seed = 99 };

        // Act
        var expected = fixture.Torch.Generate(prompts, greedy);
        var actual = fixture.Torch.Generate(prompts, filtered);

        // Assert: same tokens; behaviour logprobs are those of the unfiltered tempered distribution (≤ 0, not 0)
        for (var s = 0; s < prompts.Length; s++)
        {
            Assert.Equal(expected[s].ResponseIds, actual[s].ResponseIds);
            Assert.All(actual[s].Logprobs, lp => Assert.InRange(lp, float.MinValue, -1e-6f));
        }
    }

    [Fact]
    public void Generate_DifferentSeeds_SampleDifferentResponses()
    {
        var options = new GenerationOptions { MaxNewTokens = 30, Temperature = 1f, StopTokenIds = [] };

        var a = fixture.Torch.Generate([[1]], options with { Seed = 1 })[0];
        var b = fixture.Torch.Generate([[1]], options with { Seed = 2 })[0];

        Assert.NotEqual(a.ResponseIds, b.ResponseIds);
    }
}
