using Rlhf.Engine.IO;
using Rlhf.Tokenizers;

namespace Rlhf.Engine.Tests.Model;

[Collection(OpenBlasCollection.Name)]
public sealed class GenerationTests
{
    private static readonly Lazy<LlamaModel> s_stories = new(() => ModelFiles.Load(TestData.Data("stories260K.bin")));

    [Fact]
    public void Generate_Stories260KGreedy200Steps_MatchesLlama2CReferenceText()
    {
        // Arrange: llama2.c `run -t 0.0 -n 200` runs forward at pos 0..199 (BOS at pos 0) and samples after each,
        // so it prints steps − prompt_tokens + 1 = 200 generated tokens
        var model = s_stories.Value;
        var tokenizer = Llama2Tokenizer.Load(TestData.Data("tok512.bin"), model.Config.VocabSize);
        var expected = File.ReadAllBytes(TestData.Data("stories260K_greedy200_expected.txt"));

        // Act
        var result = model.Generate([[1]], new GenerationOptions { MaxNewTokens = 200, Temperature = 0f, StopTokenIds = [] })[0];

        // Assert
        var text = new List<byte>();
        var previous = 1;
        foreach (var token in result.ResponseIds)
        {
            if (token == 1)
                break; // run.c stops at BOS
            text.AddRange(tokenizer.DecodePiece(previous, token));
            previous = token;
        }
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(text.ToArray()));
        Assert.Equal(expected, text.ToArray());
        Assert.Equal(FinishReason.Length, result.FinishReason);
    }

    [Fact]
    public void Generate_KvCacheLogprobs_EqualFullForwardRecompute()
    {
        // Arrange
        var model = s_stories.Value;
        int[][] prompts = [[1], [1, 403, 407, 261], [1, 300]];
        var options = new GenerationOptions { MaxNewTokens = 24, Temperature = 0.8f, TopP = 0.9f, Seed = 7 };

        // Act
        var generated = model.Generate(prompts, options);
        var batch = prompts.Select((p, i) => new TokenSequence(p, generated[i].ResponseIds)).ToArray();
        var forward = model.Forward(batch, new ForwardOptions { Temperature = 0.8f });

        // Assert
        for (var s = 0; s < prompts.Length; s++)
        {
            Assert.NotEmpty(generated[s].ResponseIds);
            Assert.Equal(generated[s].ResponseIds.Length, forward.Logprobs[s].Length);
            for (var t = 0; t < forward.Logprobs[s].Length; t++)
                Assert.True(Math.Abs(generated[s].Logprobs[t] - forward.Logprobs[s][t]) < 1e-4f,
                    $"sequence {s} token {t}: generate {generated[s].Logprobs[t]} vs forward {forward.Logprobs[s][t]}");
        }
    }

    [Fact]
    public void Generate_SameSeedDifferentBatchComposition_SameTokensPerSequence()
    {
        // Arrange
        var model = s_stories.Value;
        var options = new GenerationOptions { MaxNewTokens = 30, Temperature = 1f, Seed = 42 };

        // Act
        var pair = model.Generate([[1], [1, 300]], options);
        var again = model.Generate([[1], [1, 300]], options);
        var alone = model.Generate([[1]], options);

        // Assert
        Assert.Equal(pair[0].ResponseIds, again[0].ResponseIds);
        Assert.Equal(pair[1].ResponseIds, again[1].ResponseIds);
        Assert.Equal(pair[0].Logprobs, again[0].Logprobs);
        Assert.Equal(pair[0].ResponseIds, alone[0].ResponseIds);
    }

    [Fact]
    public void Generate_TopK1_EqualsGreedyTokensWithTemperedLogprobs()
    {
        // Arrange
        var model = s_stories.Value;
        int[][] prompts = [[1, 300], [1]];

        // Act
        var greedy = model.Generate(prompts, new GenerationOptions { MaxNewTokens = 20, Temperature = 0f, StopTokenIds = [] });
        var topK = model.Generate(prompts, new GenerationOptions { MaxNewTokens = 20, Temperature = 0.5f, TopK = 1, StopTokenIds = [] });
        var forward = model.Forward(prompts.Select((p, i) => new TokenSequence(p, topK[i].ResponseIds)).ToArray(),
            new ForwardOptions { Temperature = 0.5f });

        // Assert: same tokens; behaviour logprobs are under the tempered, unfiltered distribution (so below 0)
        for (var s = 0; s < prompts.Length; s++)
        {
            Assert.Equal(greedy[s].ResponseIds, topK[s].ResponseIds);
            Assert.Contains(topK[s].Logprobs, l => l < -1e-3f);
            for (var t = 0; t < topK[s].Logprobs.Length; t++)
                Assert.Equal(forward.Logprobs[s][t], topK[s].Logprobs[t], 1e-4f);
        }
    }

    [Fact]
    public void Generate_StopToken_EndsWithStopReason()
    {
        // Arrange: every token is a stop token, so the first sampled one ends the response
        var model = s_stories.Value;
        var all = Enumerable.Range(0, model.Config.VocabSize).ToArray();

        // Act
        var result = model.Generate([[1]], new GenerationOptions { MaxNewTokens = 10, StopTokenIds = all, Seed = 1 })[0];

        // Assert
        Assert.Single(result.ResponseIds);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
    }

    [Theory]
    [InlineData(false)] // stories260K: each decoding thread runs the whole step on its own rows
    [InlineData(true)]  // a wider random model (weights > 1.5 MB): the threads share every GEMM by column panels
    public void Generate_BatchOfTwelve_SameResultsOnOneAndTwoThreads_AndLogprobsEqualForwardRecompute(bool wide)
    {
        // Arrange: prompts of 1 to 4 tokens, so sequences reach max_new_tokens (or EOS) at different steps and the
        // active rows shrink during the call
        LlamaModel Make(int threads)
        {
            if (!wide)
                return ModelFiles.Load(TestData.Data("stories260K.bin"), new EngineOptions { Threads = threads });
            var m = new LlamaModel(new ModelConfig(128, 344, 4, 4, 2, 512, 256), new EngineOptions { Threads = threads });
            m.InitializeRandom(5, 0.05f);
            return m;
        }
        var one = Make(1);
        var two = Make(2);
        var prompts = Enumerable.Range(0, 12).Select(i => new[] { 1 }.Concat(Enumerable.Range(300, i % 4).Select(t => t + i)).ToArray()).ToArray();
        var options = new GenerationOptions { MaxNewTokens = 40, Temperature = 0.9f, Seed = 11, StopTokenIds = [2] };

        // Act
        var a = one.Generate(prompts, options);
        var b = two.Generate(prompts, options);
        var again = two.Generate(prompts, options);
        var forward = two.Forward(prompts.Select((p, i) => new TokenSequence(p, b[i].ResponseIds)).ToArray(),
            new ForwardOptions { Temperature = 0.9f });

        // Assert: bitwise equal across thread counts and runs; behaviour logprobs equal the full forward pass's
        for (var s = 0; s < prompts.Length; s++)
        {
            Assert.Equal(a[s].ResponseIds, b[s].ResponseIds);
            Assert.Equal(a[s].Logprobs, b[s].Logprobs);
            Assert.Equal(a[s].FinishReason, b[s].FinishReason);
            Assert.Equal(b[s].ResponseIds, again[s].ResponseIds);
            Assert.Equal(b[s].Logprobs, again[s].Logprobs);
            for (var t = 0; t < b[s].Logprobs.Length; t++)
                Assert.True(Math.Abs(b[s].Logprobs[t] - forward.Logprobs[s][t]) < 1e-4f,
                    $"sequence {s} token {t}: generate {b[s].Logprobs[t]} vs forward {forward.Logprobs[s][t]}");
        }
    }

    [Fact]
    public void Generate_InvalidTokenId_ThrowsNamingTheSequence()
    {
        var model = s_stories.Value;
        var e = Assert.Throws<ArgumentException>(() => model.Generate([[1], [1, 9999]], new GenerationOptions()));
        Assert.Contains("sequence 1", e.Message);
    }
}
