namespace Rlhf.Tokenizers.Chat;

/// <summary>One turn of a conversation.</summary>
/// <param name="Role">Who speaks: <see cref="ChatRoles.System"/>, <see cref="ChatRoles.User"/> or
/// <see cref="ChatRoles.Assistant"/> (ChatML accepts other roles too).</param>
/// <param name="Content">What was said, as plain text.</param>
public sealed record ChatMessage(string Role, string Content);

/// <summary>The role names of chat templates (OpenAI's and Hugging Face's convention).</summary>
public static class ChatRoles
{
    /// <summary>Instructions that frame the conversation.</summary>
    public const string System = "system";

    /// <summary>The human.</summary>
    public const string User = "user";

    /// <summary>The model.</summary>
    public const string Assistant = "assistant";
}
