using Rlhf.Data;

namespace Rlhf.Tokenizers.Chat;

/// <summary>
/// Anthropic HH-RLHF dialogues (<c>"\n\nHuman: … \n\nAssistant: …"</c>, as in <see cref="HhRlhfDataset"/>) as chat
/// messages, so that a chat model sees them in its own format.
/// </summary>
public static class HhRlhfDialogue
{
    /// <summary>The marker that opens a human turn.</summary>
    public const string HumanMarker = "\n\nHuman:";

    /// <summary>
    /// Splits a dialogue at its turn markers into <see cref="ChatRoles.User"/> and <see cref="ChatRoles.Assistant"/>
    /// messages, each content stripped of surrounding whitespace. Consecutive turns of one speaker (a few dialogues
    /// have them) are joined with a blank line, so roles alternate. A final assistant turn with no text (an HH-RLHF
    /// prompt ends with <c>"\n\nAssistant:"</c>) is dropped: format with <c>addGenerationPrompt</c> instead.
    /// </summary>
    /// <param name="dialogue">The dialogue or prompt text.</param>
    /// <returns>The messages, oldest first.</returns>
    /// <exception cref="FormatException">The text does not start with <see cref="HumanMarker"/> or
    /// <see cref="HhRlhfDataset.AssistantMarker"/>.</exception>
    public static IReadOnlyList<ChatMessage> ToMessages(string dialogue)
    {
        ArgumentNullException.ThrowIfNull(dialogue);
        var turns = new List<(string Role, int Start, int End)>(); // content span of each turn
        var at = 0;
        while (at < dialogue.Length)
        {
            var (role, marker) = NextMarker(dialogue, at);
            if (role is null || (turns.Count == 0 && marker != at))
            {
                if (turns.Count > 0)
                    break;
                throw new FormatException(
                    $"an HH-RLHF dialogue starts with \"\\n\\nHuman:\" or \"\\n\\nAssistant:\"; this one starts with \"{Preview(dialogue)}\"");
            }
            if (turns.Count > 0)
                turns[^1] = turns[^1] with { End = marker };
            var length = role == ChatRoles.User ? HumanMarker.Length : HhRlhfDataset.AssistantMarker.Length;
            turns.Add((role, marker + length, dialogue.Length));
            at = marker + length;
        }
        if (turns.Count == 0)
            throw new FormatException("an HH-RLHF dialogue starts with \"\\n\\nHuman:\" or \"\\n\\nAssistant:\"; this one is empty");
        var messages = new List<ChatMessage>(turns.Count);
        foreach (var (role, start, end) in turns)
        {
            var content = dialogue[start..end].Trim();
            if (messages.Count > 0 && messages[^1].Role == role)
                messages[^1] = messages[^1] with { Content = JoinNonEmpty(messages[^1].Content, content) };
            else
                messages.Add(new ChatMessage(role, content));
        }
        if (messages[^1] is { Role: ChatRoles.Assistant, Content.Length: 0 })
            messages.RemoveAt(messages.Count - 1);
        return messages;
    }

    private static (string? Role, int Index) NextMarker(string text, int from)
    {
        var human = text.IndexOf(HumanMarker, from, StringComparison.Ordinal);
        var assistant = text.IndexOf(HhRlhfDataset.AssistantMarker, from, StringComparison.Ordinal);
        if (human < 0 && assistant < 0)
            return (null, -1);
        return human >= 0 && (assistant < 0 || human < assistant) ? (ChatRoles.User, human) : (ChatRoles.Assistant, assistant);
    }

    private static string JoinNonEmpty(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + "\n\n" + b;

    private static string Preview(string text)
    {
        var head = text.Length > 40 ? text[..40] + "…" : text;
        return head.Replace("\n", "\\n", StringComparison.Ordinal);
    }
}
