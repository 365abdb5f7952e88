using Rlhf.Tokenizers.Chat;
using Rlhf.Tokenizers.Tests.Infrastructure;

namespace Rlhf.Tokenizers.Tests;

public sealed class ChatFormatTests
{
    // Qwen2-Instruct's chat_template, as its tokenizer_config.json holds it (JSON-decoded: "\n" is backslash-n)
    private const string Qwen2Template =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    // Llama-2-chat's chat_template
    private const string Llama2Template =
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    private static readonly ChatMessage[] s_conversation =
    [
        new(ChatRoles.System, "Be brief."),
        new(ChatRoles.User, "Hi there! "),
        new(ChatRoles.Assistant, " Hello."),
        new(ChatRoles.User, "Tell me a story."),
    ];

    [Fact]
    public void FromTemplate_Qwen2_ChatMlWithDefaultSystemMessage()
    {
        var format = Assert.IsType<ChatMlFormat>(ChatFormat.FromTemplate(Qwen2Template));

        Assert.Equal("chatml", format.Name);
        Assert.Equal("You are a helpful assistant.", format.DefaultSystemMessage);
    }

    [Fact]
    public void Format_ChatMl_RendersTemplateString()
    {
        var format = new ChatMlFormat("You are a helpful assistant.");

        var withSystem = format.Format(s_conversation).Text;
        var withoutSystem = format.Format([new(ChatRoles.User, "Hi")], addGenerationPrompt: false).Text;

        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there! <|im_end|>\n<|im_start|>assistant\n Hello.<|im_end|>\n" +
            "<|im_start|>user\nTell me a story.<|im_end|>\n<|im_start|>assistant\n", withSystem);
        Assert.Equal("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n", withoutSystem);
    }

    [Fact]
    public void FromTemplate_Llama2Chat_RendersMetaFormat()
    {
        var format = ChatFormat.FromTemplate(Llama2Template);

        var text = format.Format(s_conversation).Text;

        Assert.IsType<Llama2ChatFormat>(format);
        Assert.Equal("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there! [/INST] Hello. </s><s>[INST] Tell me a story. [/INST]", text);
        Assert.Equal("<s>[INST] Hi [/INST]", format.Format([new(ChatRoles.User, " Hi ")]).Text);
    }

    [Fact]
    public void Format_Llama2NonAlternatingRoles_ThrowsNamingTheMessage()
    {
        var e = Assert.Throws<ArgumentException>(() => new Llama2ChatFormat().Format(
            [new(ChatRoles.User, "a"), new(ChatRoles.User, "b")]));

        Assert.Contains("message 1 has role \"user\" where the Llama 2 chat format needs \"assistant\"", e.Message);
    }

    [Theory]
    [InlineData("{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}", "Llama 3's")]
    [InlineData("{{ bos_token }}{% for m in messages %}{{ '[INST] ' + m['content'] + ' [/INST]' }}{% endfor %}", "Mistral's")]
    [InlineData("{% for m in messages %}{{ '<|user|>\n' + m['content'] + eos_token }}{% endfor %}", "Zephyr's")]
    [InlineData("{{ messages }}", "unrecognised")]
    public void FromTemplate_OtherFamily_ThrowsNamingIt(string template, string family)
    {
        var e = Assert.Throws<NotSupportedException>(() => ChatFormat.FromTemplate(template));

        Assert.Contains(family, e.Message);
        Assert.Contains("only ChatML (<|im_start|>) and Llama 2", e.Message);
    }

    [Fact]
    public void Load_TokenizerConfig_ChoosesFormatAndBosEosStrings()
    {
        using var dir = new TempDir();
        dir.File("tokenizer_config.json", System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["chat_template"] = Llama2Template, ["bos_token"] = "<|bos|>", ["eos_token"] = "<|eos|>",
        }));
        using var baseModel = new TempDir();
        baseModel.File("tokenizer_config.json", """{"bos_token": "<s>"}""");
        using var jinja = new TempDir();
        jinja.File("chat_template.jinja", Qwen2Template.Replace("\\n", "\n"));

        var format = ChatFormat.Load(dir.Path)!;

        Assert.StartsWith("<|bos|>[INST] Hi [/INST] Yo <|eos|>", format.Format([new(ChatRoles.User, "Hi"), new(ChatRoles.Assistant, "Yo")]).Text);
        Assert.Null(ChatFormat.Load(baseModel.Path));
        Assert.Equal("You are a helpful assistant.", Assert.IsType<ChatMlFormat>(ChatFormat.Load(jinja.Path)).DefaultSystemMessage);
    }

    [DataFact("llama2_tokenizer.model")]
    public void Encode_Llama2ChatOnSentencePiece_BosEosByIdAndTurnsAsText()
    {
        var tokenizer = TokenizerFiles.Load(TestData.Data("llama2_tokenizer.model"));
        var prompt = new Llama2ChatFormat().Format(s_conversation);

        var ids = prompt.Encode(tokenizer);

        // Meta's chat_completion: encode(f"[INST] {user} [/INST] {answer} ", bos=True, eos=True) per exchange
        int[] expected =
        [
            1, .. tokenizer.Encode("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there! [/INST] Hello. ", addBos: false), 2,
            1, .. tokenizer.Encode("[INST] Tell me a story. [/INST]", addBos: false),
        ];
        Assert.Equal(expected, ids);
        Assert.Equal(2, ids.Count(id => id == 1));
        Assert.Equal(1, ids.Count(id => id == 2));
    }

    [BpeDataFact]
    public void Encode_ChatMlOnByteLevelBpe_SpecialTokensById()
    {
        var tokenizer = TokenizerFiles.Load(Path.Combine(ReferenceFixtures.BpeDir, "qwen2", "tokenizer.json"));
        tokenizer.TryGetTokenId(ChatMlFormat.ImStart, out var imStart);
        tokenizer.TryGetTokenId(ChatMlFormat.ImEnd, out var imEnd);
        // a user who types the markers gets plain text, not control tokens
        var prompt = new ChatMlFormat().Format([new(ChatRoles.User, "Hi <|im_end|>")]);

        var ids = prompt.Encode(tokenizer);

        Assert.Equal([imStart, .. tokenizer.Encode("user\nHi <|im_end|>", addBos: false), imEnd, .. tokenizer.Encode("\n", addBos: false),
            imStart, .. tokenizer.Encode("assistant\n", addBos: false)], ids);
        Assert.Equal(2, ids.Count(id => id == imStart));
        Assert.Equal(1, ids.Count(id => id == imEnd));
    }

    [DataFact("tok512.bin")]
    public void Encode_ChatMlOnTokenizerWithoutIt_ThrowsNamingTheToken()
    {
        var tokenizer = TokenizerFiles.Load(TestData.Data("tok512.bin"));

        var e = Assert.Throws<InvalidOperationException>(() => new ChatMlFormat().Format([new(ChatRoles.User, "Hi")]).Encode(tokenizer));

        Assert.Contains("<|im_start|>", e.Message);
    }
}
