namespace Rlhf.Tokenizers.Chat;

/// <summary>
/// Llama 2 chat (Touvron et al. 2023; Meta's <c>chat_completion</c> and the checkpoints' chat template): each
/// user/assistant exchange is <c>BOS [INST] {user} [/INST] {assistant} EOS</c>, a final user message is
/// <c>BOS [INST] {user} [/INST]</c>, and a system message goes inside the first user message as
/// <c>&lt;&lt;SYS&gt;&gt;\n{system}\n&lt;&lt;/SYS&gt;&gt;\n\n</c>. Contents are stripped of surrounding whitespace, as both
/// do. BOS and EOS are inserted by id.
/// </summary>
/// <param name="bosToken">BOS as the template writes it, for <see cref="ChatPrompt.Text"/>.</param>
/// <param name="eosToken">EOS as the template writes it.</param>
public sealed class Llama2ChatFormat(string bosToken = "<s>", string eosToken = "</s>") : ChatFormat
{
    /// <inheritdoc />
    public override string Name => "llama2";

    /// <inheritdoc />
    /// <remarks>The model answers after <c>[/INST]</c>, so <paramref name="addGenerationPrompt"/> adds nothing.</remarks>
    /// <exception cref="ArgumentException">After an optional first system message, the roles do not alternate user,
    /// assistant, user, … (the message names the first offending turn).</exception>
    public override ChatPrompt Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var start = messages.Count > 0 && messages[0].Role == ChatRoles.System ? 1 : 0;
        for (var i = start; i < messages.Count; i++)
        {
            var expected = (i - start) % 2 == 0 ? ChatRoles.User : ChatRoles.Assistant;
            if (messages[i].Role != expected)
                throw new ArgumentException(
                    $"message {i} has role \"{messages[i].Role}\" where the Llama 2 chat format needs \"{expected}\" (an optional system message, then user and assistant alternating)",
                    nameof(messages));
        }
        var segments = new List<ChatSegment>();
        for (var i = start; i < messages.Count; i += 2)
        {
            var user = messages[i].Content;
            if (i == start && start == 1)
                user = "<<SYS>>\n" + messages[0].Content + "\n<</SYS>>\n\n" + user;
            segments.Add(new(ChatSegmentKind.Bos, bosToken));
            if (i + 1 < messages.Count)
            {
                segments.Add(new(ChatSegmentKind.Text, $"[INST] {user.Trim()} [/INST] {messages[i + 1].Content.Trim()} "));
                segments.Add(new(ChatSegmentKind.Eos, eosToken));
            }
            else
            {
                segments.Add(new(ChatSegmentKind.Text, $"[INST] {user.Trim()} [/INST]"));
            }
        }
        return new ChatPrompt(segments);
    }
}
