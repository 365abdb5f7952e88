using Rlhf.Alignment;
using Rlhf.Orchestration.Reporting;

namespace Rlhf.Orchestration.Tests;

/// <summary>distinct-n and self-BLEU against values worked out by hand from their definitions.</summary>
public sealed class TextDiversityTests
{
    [Fact]
    public void Words_Punctuation_DroppedAndLowerCased()
    {
        Assert.Equal(["one", "day", "lily's", "dog", "ran", "2", "km"], TextDiversity.Words("One day, Lily's dog ran... 2 km!"));
        Assert.Empty(TextDiversity.Words(" ?! "));
    }

    [Fact]
    public void DistinctN_RepeatedWords_DistinctOverAllNGrams()
    {
        string[][] responses = [["one", "day", "the", "dog"], ["one", "day", "a", "cat"]];

        // unigrams: 8, distinct {one, day, the, dog, a, cat} = 6; bigrams: 6, distinct {one day, day the, the dog, day a, a cat} = 5
        Assert.Equal(6.0 / 8, TextDiversity.DistinctN(responses, 1), 12);
        Assert.Equal(5.0 / 6, TextDiversity.DistinctN(responses, 2), 12);
    }

    [Fact]
    public void DistinctN_BigramsNeverCrossResponses()
    {
        // "b a" would appear only across the boundary of the two responses
        Assert.Equal(1.0, TextDiversity.DistinctN([["a", "b"], ["a", "c"]], 2));
        Assert.True(double.IsNaN(TextDiversity.DistinctN([["a"], ["b"]], 2)));
    }

    [Fact]
    public void SelfBleu_IdenticalResponses_One()
    {
        string[] story = ["one", "day", "the", "dog", "was", "happy"];

        Assert.Equal(1.0, TextDiversity.SelfBleu([story, story, story]), 12);
    }

    [Fact]
    public void SelfBleu_ThreeWordResponses_MatchesTheFormulaWithSmoothing()
    {
        // "the cat sat" against "the cat ran": p1 = 2/3, p2 = 1/2, p3 = 0 → 0.1/1 (smoothing 1); 3 orders, equal
        // lengths (no brevity penalty); the other direction is symmetric.
        var expected = Math.Pow(2.0 / 3 * 0.5 * 0.1, 1.0 / 3);

        Assert.Equal(expected, TextDiversity.SelfBleu([["the", "cat", "sat"], ["the", "cat", "ran"]]), 12);
    }

    [Fact]
    public void SelfBleu_ShorterThanEveryReference_BrevityPenaltyAndClippedCounts()
    {
        // hypothesis "a a" vs reference "a b c": p1 = min(2, 1)/2 = 1/2, p2 = 0 → 0.1/1; BP = exp(1 − 3/2)
        // reference "a b c" vs "a a": p1 = 1/3, p2 = 0 → 0.1/2, p3 = 0 → 0.1/1; BP = 1 (longer than its reference)
        var first = Math.Exp(1 - 1.5) * Math.Sqrt(0.5 * 0.1);
        var second = Math.Pow(1.0 / 3 * 0.05 * 0.1, 1.0 / 3);

        Assert.Equal((first + second) / 2, TextDiversity.SelfBleu([["a", "a"], ["a", "b", "c"]]), 12);
    }

    [Fact]
    public void SelfBleu_FewerThanTwoNonEmptyResponses_NaN()
    {
        Assert.True(double.IsNaN(TextDiversity.SelfBleu([["a", "b"], []])));
    }

    [Fact]
    public void Metrics_CollapsingResponses_DistinctFallsAndSelfBleuRises()
    {
        string[] diverse = ["One day a cat found a stone.", "The sun was warm and Tom ran home.", "Lily baked a big red cake."];
        string[] collapsed = ["One day the dog was happy.", "One day the dog was happy.", "One day the cat was happy."];

        var before = TextDiversity.Metrics(diverse);
        var after = TextDiversity.Metrics(collapsed);

        Assert.True(after[MetricNames.DiversityDistinct1] < before[MetricNames.DiversityDistinct1]);
        Assert.True(after[MetricNames.DiversityDistinct2] < before[MetricNames.DiversityDistinct2]);
        Assert.True(after[MetricNames.DiversitySelfBleu] > before[MetricNames.DiversitySelfBleu]);
    }
}
