using Rlhf.Data;
using Rlhf.Tokenizers;
using Rlhf.RewardModels.Tests.Infrastructure;

namespace Rlhf.RewardModels.Tests;

public sealed class RewardSequenceBuilderTests
{
    private static readonly Llama2Tokenizer Tokenizer = Llama2Tokenizer.Load(TestData.Data("tok512.bin"));

    private static PreferencePair FirstHhPair() =>
        HhRlhfDataset.Load(TestData.Data("hh-rlhf_helpful-base_test.jsonl.gz"), maxPairs: 1).Pairs[0];

    [Fact]
    public void Pair_HhPairWithinBudget_IsPromptWithBosThenResponseTail()
    {
        var pair = FirstHhPair();
        var builder = new RewardSequenceBuilder(Tokenizer, 4096);

        var sequences = builder.Pair(pair);

        Assert.EndsWith(HhRlhfDataset.AssistantMarker, pair.Prompt);
        Assert.Equal(Tokenizer.Encode(pair.Prompt, bos: true), sequences.Chosen.PromptIds);
        Assert.Equal(Tokenizer.Encode(pair.Chosen, bos: false), sequences.Chosen.ResponseIds);
        Assert.Equal(Tokenizer.Encode(pair.Rejected, bos: false), sequences.Rejected.ResponseIds);
        Assert.Equal(sequences.Chosen.PromptIds, sequences.Rejected.PromptIds);
    }

    [Fact]
    public void Pair_HhPairOverBudget_KeepsBosAndTheEndOfThePrompt()
    {
        var pair = FirstHhPair();
        var prompt = Tokenizer.Encode(pair.Prompt, bos: true);
        var chosen = Tokenizer.Encode(pair.Chosen, bos: false);
        var budget = chosen.Length + 10;
        Assert.True(prompt.Length > 11, "the test needs a prompt longer than the room left for it");

        var sequence = new RewardSequenceBuilder(Tokenizer, budget).Pair(pair).Chosen;

        Assert.Equal(budget, sequence.Length);
        Assert.Equal(chosen, sequence.ResponseIds);                      // the response is intact
        Assert.Equal(Llama2Tokenizer.BosId, sequence.PromptIds[0]);      // BOS kept
        Assert.Equal(prompt[^9..], sequence.PromptIds[1..]);             // then the END of the prompt
    }

    [Fact]
    public void Pair_ResponseLongerThanBudget_KeepsBosAndTheEndOfTheResponse()
    {
        var pair = FirstHhPair() with { Chosen = string.Concat(Enumerable.Repeat(" I think the answer is yes.", 20)) + " The end." };
        var chosen = Tokenizer.Encode(pair.Chosen, bos: false);

        var sequence = new RewardSequenceBuilder(Tokenizer, 24).Pair(pair).Chosen;

        Assert.Equal(24, sequence.Length);
        Assert.Equal(new[] { Llama2Tokenizer.BosId }, sequence.PromptIds);
        Assert.Equal(chosen[^23..], sequence.ResponseIds);
        Assert.Equal(chosen[^1], sequence.ResponseIds[^1]); // the score is read at the response's last token
    }

    [Fact]
    public void Build_VeryLongPrompt_SameTokensAsEncodingTheWholeText()
    {
        var prompt = string.Concat(Enumerable.Range(0, 400).Select(i => $"\n\nHuman: question {i}?\n\nAssistant: answer {i}.")) + HhRlhfDataset.AssistantMarker;
        var builder = new RewardSequenceBuilder(Tokenizer, 64);

        var sequence = builder.Build(prompt, " Sure.");

        var full = Rlhf.Data.SequenceFitting.FitPromptAndResponse(Tokenizer.Encode(prompt, true), Tokenizer.Encode(" Sure.", false), 64, 1);
        Assert.Equal(full.Ids, sequence.PromptIds.Concat(sequence.ResponseIds).ToArray());
    }

    [Fact]
    public void Sentence_Sst2Text_IsBosThenSentenceTokens()
    {
        var sequence = new RewardSequenceBuilder(Tokenizer, 64).Sentence("a charming and often affecting journey .");

        Assert.Equal(new[] { Llama2Tokenizer.BosId }, sequence.PromptIds);
        Assert.Equal(Tokenizer.Encode("a charming and often affecting journey .", bos: false), sequence.ResponseIds);
    }
}
