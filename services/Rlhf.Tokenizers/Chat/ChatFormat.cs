using System.Text.RegularExpressions;

namespace Rlhf.Tokenizers.Chat;

/// <summary>
/// Turns a conversation into a model's prompt. Two families are implemented, recognised from the checkpoint's Jinja
/// <c>chat_template</c> by their markers (the template is not executed): ChatML (<see cref="ChatMlFormat"/>: Qwen2,
/// SmolLM2, many fine-tunes) and Llama 2 chat (<see cref="Llama2ChatFormat"/>).
/// </summary>
public abstract class ChatFormat
{
    private protected ChatFormat()
    {
    }

    /// <summary>The family's name: <c>"chatml"</c> or <c>"llama2"</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Renders <paramref name="messages"/>.</summary>
    /// <param name="messages">The conversation, oldest first.</param>
    /// <param name="addGenerationPrompt">End with the opening of an assistant turn, so that the model writes the
    /// reply (what transformers' <c>add_generation_prompt</c> does).</param>
    /// <exception cref="ArgumentException">The conversation does not fit the format; the message says why.</exception>
    public abstract ChatPrompt Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true);

    /// <summary>
    /// Recognises the family of a Jinja chat template: <c>&lt;|im_start|&gt;</c> means ChatML (with the default system
    /// message the template writes when the conversation has none, if it has one); <c>[INST]</c> with
    /// <c>&lt;&lt;SYS&gt;&gt;</c> means Llama 2.
    /// </summary>
    /// <param name="chatTemplate">The template source.</param>
    /// <param name="bosToken">The BOS string the Llama 2 template writes (<c>bos_token</c>).</param>
    /// <param name="eosToken">The EOS string the Llama 2 template writes (<c>eos_token</c>).</param>
    /// <exception cref="NotSupportedException">Another family (the message names it when it is recognised: Llama 3,
    /// Mistral, Zephyr/TinyLlama chat).</exception>
    public static ChatFormat FromTemplate(string chatTemplate, string bosToken = "<s>", string eosToken = "</s>")
    {
        ArgumentNullException.ThrowIfNull(chatTemplate);
        if (chatTemplate.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            var system = Regex.Match(chatTemplate, @"<\|im_start\|>system(?:\\n|\n)([^'""{}\\]+)<\|im_end\|>");
            return new ChatMlFormat(system.Success ? system.Groups[1].Value : null);
        }
        if (chatTemplate.Contains("[INST]", StringComparison.Ordinal) && chatTemplate.Contains("<<SYS>>", StringComparison.Ordinal))
            return new Llama2ChatFormat(bosToken, eosToken);
        var family = chatTemplate.Contains("<|start_header_id|>", StringComparison.Ordinal) ? "Llama 3's"
            : chatTemplate.Contains("[INST]", StringComparison.Ordinal) ? "Mistral's [INST] (without <<SYS>>)"
            : chatTemplate.Contains("<|user|>", StringComparison.Ordinal) ? "Zephyr's (TinyLlama chat)"
            : "an unrecognised";
        throw new NotSupportedException(
            $"the chat_template is {family} format; only ChatML (<|im_start|>) and Llama 2 ([INST] with <<SYS>>) are implemented");
    }

    /// <summary>
    /// The chat format of a checkpoint directory, from <c>tokenizer_config.json</c>'s <c>chat_template</c> (or
    /// <c>chat_template.jinja</c>) and its <c>bos_token</c> / <c>eos_token</c>.
    /// </summary>
    /// <returns>Null when the checkpoint has no chat template (a base model).</returns>
    /// <exception cref="InvalidDataException">A config file is malformed.</exception>
    /// <exception cref="NotSupportedException">The template is of another family; see <see cref="FromTemplate"/>.</exception>
    public static ChatFormat? Load(string directory)
    {
        var config = CheckpointConfig.Read(directory);
        return config.ChatTemplate is { } template
            ? FromTemplate(template, config.TokenString("bos") ?? "<s>", config.TokenString("eos") ?? "</s>")
            : null;
    }
}
