using Rlhf.Data;
using Rlhf.Tokenizers.Chat;
using Rlhf.Tokenizers.Tests.Infrastructure;

namespace Rlhf.Tokenizers.Tests;

public sealed class HhRlhfDialogueTests
{
    [DataFact("hh-rlhf_helpful-base_test.jsonl.gz")]
    public void ToMessages_HelpfulBasePrompts_AlternateAndEndWithUser()
    {
        var pairs = HhRlhfDataset.Load(TestData.Data("hh-rlhf_helpful-base_test.jsonl.gz")).Pairs;
        Assert.True(pairs.Count > 2000);

        foreach (var pair in pairs)
        {
            var messages = HhRlhfDialogue.ToMessages(pair.Prompt);

            for (var i = 0; i < messages.Count; i++)
                Assert.Equal(i % 2 == 0 ? ChatRoles.User : ChatRoles.Assistant, messages[i].Role);
            Assert.Equal(ChatRoles.User, messages[^1].Role); // the prompt's trailing "\n\nAssistant:" is dropped
            Assert.All(messages, m => Assert.Equal(m.Content.Trim(), m.Content));
        }
    }

    [DataFact("hh-rlhf_helpful-base_test.jsonl.gz")]
    public void ToMessages_SecondDialogue_SplitsAtMarkers()
    {
        // {"chosen": "\n\nHuman: How can I find out what types of butterflies are in my area?\n\nAssistant: Which location …
        var chosen = HhRlhfDataset.Load(TestData.Data("hh-rlhf_helpful-base_test.jsonl.gz"), maxPairs: 2).Pairs[1];

        var messages = HhRlhfDialogue.ToMessages(chosen.Prompt + chosen.Chosen);

        Assert.Equal(6, messages.Count);
        Assert.Equal(new ChatMessage(ChatRoles.User, "How can I find out what types of butterflies are in my area?"), messages[0]);
        Assert.Equal(new ChatMessage(ChatRoles.Assistant, "Which location are you in?"), messages[1]);
        Assert.Equal(new ChatMessage(ChatRoles.User, "I am in Oregon."), messages[2]);
        Assert.StartsWith("About 150 species of butterflies live in Oregon", messages[5].Content);
    }

    [Fact]
    public void ToMessages_ConsecutiveHumanTurns_JoinedWithBlankLine()
    {
        var messages = HhRlhfDialogue.ToMessages("\n\nHuman: Hi\n\nHuman: Are you there?\n\nAssistant: Yes.\n\nHuman: Good.\n\nAssistant:");

        Assert.Equal(
            [new(ChatRoles.User, "Hi\n\nAre you there?"), new(ChatRoles.Assistant, "Yes."), new(ChatRoles.User, "Good.")],
            messages);
    }

    [Fact]
    public void ToMessages_ThenLlama2Format_ProperChatPrompt()
    {
        var messages = HhRlhfDialogue.ToMessages("\n\nHuman: What is 2+2?\n\nAssistant: 4.\n\nHuman: And 3+3?\n\nAssistant:");

        Assert.Equal("<s>[INST] What is 2+2? [/INST] 4. </s><s>[INST] And 3+3? [/INST]", new Llama2ChatFormat().Format(messages).Text);
        Assert.Equal("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n",
            new ChatMlFormat().Format(messages).Text);
    }

    [Theory]
    [InlineData("Human: no leading blank line")]
    [InlineData("")]
    [InlineData("Hello\n\nHuman: text before the first turn")]
    public void ToMessages_NotAnHhDialogue_Throws(string text)
    {
        var e = Assert.Throws<FormatException>(() => HhRlhfDialogue.ToMessages(text));

        Assert.Contains("\\n\\nHuman:", e.Message);
    }
}
