namespace Rlhf.Models.Tests;

/// <summary>Bad input to the torch backend is refused with a message naming the sequence and the problem.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class RequestValidationTests(Stories260KFixture fixture)
{
    [Theory]
    [InlineData(new int[0], new[] { 5 }, "prompt is empty")]
    [InlineData(new[] { 1, 512 }, new int[0], "outside the vocabulary [0, 512)")]
    [InlineData(new[] { 1 }, new[] { -1 }, "outside the vocabulary")]
    public void Forward_BadSequence_NamesIt(int[] prompt, int[] response, string expected)
    {
        TokenSequence[] batch = [new([1, 2], [3]), new(prompt, response)];

        var e = Assert.Throws<ArgumentException>(() => fixture.Torch.Forward(batch, new ForwardOptions()));

        Assert.Contains("sequence 1", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Forward_LongerThanMaxSeqLen_OrZeroTemperature_IsRefused()
    {
        var tooLong = new TokenSequence([1], Enumerable.Repeat(5, 512).ToArray());

        Assert.Contains("max_seq_len 512", Assert.Throws<ArgumentException>(() => fixture.Torch.Forward([tooLong], new ForwardOptions())).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentException>(() => fixture.Torch.Forward([new([1], [2])], new ForwardOptions { Temperature = 0 })).Message);
    }

    [Fact]
    public void Generate_OnTokenAndCancellation_StreamEveryTokenAndStopBeforeTheNextStep()
    {
        // Arrange
        var seen = new List<(int Sequence, int Token, FinishReason? Finish)>();
        using var cancel = new CancellationTokenSource();
        var options = new GenerationOptions
        {
            MaxNewTokens = 6, Temperature = 0, StopTokenIds = [],
            OnToken = (i, token, _, finish) => seen.Add((i, token, finish)),
        };

        // Act
        var result = fixture.Torch.Generate([[1], [1, 403]], options);
        cancel.Cancel();

        // Assert
        Assert.Equal(result[0].ResponseIds, seen.Where(s => s.Sequence == 0).Select(s => s.Token));
        Assert.Equal(result[1].ResponseIds, seen.Where(s => s.Sequence == 1).Select(s => s.Token));
        Assert.Equal(FinishReason.Length, seen.Last(s => s.Sequence == 0).Finish);
        Assert.Throws<OperationCanceledException>(() => fixture.Torch.Generate([[1]], options with { CancellationToken = cancel.Token, OnToken = null }));
    }

    [Fact]
    public void LoadCheckpoint_OtherArchitecture_IsRefusedAndTheServedWeightsStay()
    {
        // Arrange: a config.json of another width
        var dir = Path.Combine(fixture.Directory, "other-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), """
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
             "vocab_size": 512, "max_position_embeddings": 64}
            """);
        var before = fixture.Torch.Forward([new([1, 5], [6, 7])], new ForwardOptions()).Logprobs[0];

        // Act
        var e = Assert.Throws<InvalidDataException>(() => fixture.Torch.LoadCheckpoint(dir, loadOptimizerState: false));

        // Assert
        Assert.Contains("differs from the loaded model", e.Message);
        Assert.Equal(before, fixture.Torch.Forward([new([1, 5], [6, 7])], new ForwardOptions()).Logprobs[0]);
    }
}
