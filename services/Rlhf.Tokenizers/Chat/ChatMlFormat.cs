namespace Rlhf.Tokenizers.Chat;

/// <summary>
/// ChatML (OpenAI; used by Qwen2, SmolLM2 and many fine-tunes): every message is
/// <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c>, and the generation prompt is
/// <c>&lt;|im_start|&gt;assistant\n</c>. No BOS. <c>&lt;|im_start|&gt;</c> and <c>&lt;|im_end|&gt;</c> are special
/// tokens inserted by id; content is plain text, kept as given.
/// </summary>
/// <param name="defaultSystemMessage">The system message the template writes when the conversation starts without
/// one (Qwen2: "You are a helpful assistant."); null for none.</param>
public sealed class ChatMlFormat(string? defaultSystemMessage = null) : ChatFormat
{
    /// <summary>The start-of-message token.</summary>
    public const string ImStart = "<|im_start|>";

    /// <summary>The end-of-message token; a chat model ends its reply with it.</summary>
    public const string ImEnd = "<|im_end|>";

    /// <summary>The system message added when the conversation has none; null for none.</summary>
    public string? DefaultSystemMessage { get; } = defaultSystemMessage;

    /// <inheritdoc />
    public override string Name => "chatml";

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A role is empty or contains a line break.</exception>
    public override ChatPrompt Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var segments = new List<ChatSegment>();
        void Turn(string role, string content)
        {
            segments.Add(new(ChatSegmentKind.SpecialToken, ImStart));
            segments.Add(new(ChatSegmentKind.Text, role + "\n" + content));
            segments.Add(new(ChatSegmentKind.SpecialToken, ImEnd));
            segments.Add(new(ChatSegmentKind.Text, "\n"));
        }
        if (DefaultSystemMessage is { } system && (messages.Count == 0 || messages[0].Role != ChatRoles.System))
            Turn(ChatRoles.System, system);
        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i].Role;
            if (string.IsNullOrEmpty(role) || role.Contains('\n'))
                throw new ArgumentException($"message {i}: role \"{role}\" must be non-empty and on one line", nameof(messages));
            Turn(role, messages[i].Content);
        }
        if (addGenerationPrompt)
        {
            segments.Add(new(ChatSegmentKind.SpecialToken, ImStart));
            segments.Add(new(ChatSegmentKind.Text, ChatRoles.Assistant + "\n"));
        }
        return new ChatPrompt(segments);
    }
}
