namespace Rlhf.Data.Tests;

public sealed class SequenceFittingTests
{
    [Fact]
    public void TruncateKeepEnd_TooLong_KeepsLastTokens()
    {
        Assert.Equal([4, 5, 6], SequenceFitting.TruncateKeepEnd([1, 2, 3, 4, 5, 6], 3));
    }

    [Fact]
    public void TruncateKeepEnd_Fits_ReturnsSameArray()
    {
        int[] ids = [1, 2];

        Assert.Same(ids, SequenceFitting.TruncateKeepEnd(ids, 5));
    }

    [Fact]
    public void FitPromptAndResponse_Fits_Concatenates()
    {
        var fit = SequenceFitting.FitPromptAndResponse([1, 10, 11], [20, 21], 8, keepPrefix: 1);

        Assert.Equal([1, 10, 11, 20, 21], fit.Ids);
        Assert.Equal(3, fit.PromptLength);
        Assert.Equal((0, 0), (fit.DroppedPromptTokens, fit.DroppedResponseTokens));
    }

    [Fact]
    public void FitPromptAndResponse_PromptTooLong_KeepsBosPromptEndAndWholeResponse()
    {
        var fit = SequenceFitting.FitPromptAndResponse([1, 10, 11, 12, 13, 14], [20, 21, 22], 6, keepPrefix: 1);

        Assert.Equal([1, 13, 14, 20, 21, 22], fit.Ids);
        Assert.Equal(3, fit.PromptLength);
        Assert.Equal(3, fit.DroppedPromptTokens);
        Assert.Equal(0, fit.DroppedResponseTokens);
    }

    [Fact]
    public void FitPromptAndResponse_ResponseAloneTooLong_DropsPromptAndKeepsResponseEnd()
    {
        var fit = SequenceFitting.FitPromptAndResponse([1, 10], [20, 21, 22, 23, 24], 4, keepPrefix: 1);

        Assert.Equal([1, 22, 23, 24], fit.Ids);
        Assert.Equal(1, fit.PromptLength);
        Assert.Equal(2, fit.DroppedResponseTokens);
    }

    [Fact]
    public void FitPromptAndResponse_AnyLengths_NeverExceedsBudgetAndEndsWithResponseEnd()
    {
        var cases = new DeterministicRandom(321);
        for (var trial = 0; trial < 500; trial++)
        {
            var p = cases.NextInt(40);
            var r = 1 + cases.NextInt(40);
            var m = 2 + cases.NextInt(50);
            var prompt = Enumerable.Range(100, p).ToArray();
            var response = Enumerable.Range(500, r).ToArray();
            var fit = SequenceFitting.FitPromptAndResponse(prompt, response, m, keepPrefix: 1);
            var responseKept = fit.Ids.Length - fit.PromptLength;
            Assert.Equal(Math.Min(m, p + r), fit.Ids.Length);
            Assert.Equal(response[^1], fit.Ids[^1]);
            Assert.Equal(response.Skip(r - responseKept), fit.Ids.Skip(fit.PromptLength));
            Assert.True(responseKept == r || fit.PromptLength == Math.Min(1, p), $"p={p} r={r} m={m}");
            Assert.Equal(prompt.Skip(p - (fit.PromptLength - Math.Min(1, p))), fit.Ids.Take(fit.PromptLength).Skip(Math.Min(1, p)));
        }
    }
}
