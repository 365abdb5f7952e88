using Rlhf.Tokenizers.Tests.Infrastructure;

namespace Rlhf.Tokenizers.Tests;

/// <summary>Choosing the implementation, and special tokens from config files written by the test.</summary>
public sealed class TokenizerFilesTests
{
    /// <summary>A checkpoint directory with Llama 2's real tokenizer.model and the given config files.</summary>
    private static TempDir Llama2Checkpoint(params (string Name, string Json)[] configs)
    {
        var dir = new TempDir();
        File.Copy(TestData.Data("llama2_tokenizer.model"), dir.Sub("tokenizer.model"));
        foreach (var (name, json) in configs)
            dir.File(name, json);
        return dir;
    }

    [DataFact("llama2_tokenizer.model", "llama2_tokenizer.bin", "tok512.bin")]
    public void Load_DirectoryWithTokenizerModelOnly_UsesModelDefaults()
    {
        using var dir = Llama2Checkpoint();

        var tokenizer = TokenizerFiles.Load(dir.Path);

        Assert.IsType<SentencePieceTokenizer>(tokenizer);
        Assert.Equal(new SpecialTokenIds(1, 2, null, 0), tokenizer.SpecialTokens);
    }

    [DataFact("llama2_tokenizer.model", "llama2_tokenizer.bin", "tok512.bin")]
    public void Load_TokenizerConfigAndSpecialTokensMap_MapTokensOverTokenizerConfig()
    {
        // TinyLlama-chat style: pad is </s>; special_tokens_map.json wins over tokenizer_config.json, as in transformers
        using var dir = Llama2Checkpoint(
            ("tokenizer_config.json", """
                {"bos_token": {"__type": "AddedToken", "content": "<s>", "special": true}, "eos_token": "</s>",
                 "pad_token": "<unk>", "unk_token": "<unk>", "add_bos_token": true}
                """),
            ("special_tokens_map.json", """{"pad_token": "</s>"}"""));

        var special = TokenizerFiles.Load(dir.Path).SpecialTokens;

        Assert.Equal((1, 2, 2, 0), (special.Bos, special.Eos, special.Pad, special.Unknown));
    }

    [DataFact("llama2_tokenizer.model", "llama2_tokenizer.bin", "tok512.bin")]
    public void Load_ConfigJsonAndGenerationConfig_IdsWhenNoTokenStrings()
    {
        // ids only; generation_config.json over config.json; every EOS id listed becomes a stop id
        using var dir = Llama2Checkpoint(
            ("config.json", """{"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "vocab_size": 32000}"""),
            ("generation_config.json", """{"eos_token_id": [13, 2], "pad_token_id": 3}"""));

        var special = TokenizerFiles.Load(dir.Path).SpecialTokens;

        Assert.Equal((1, 13, 3, 0), (special.Bos, special.Eos, special.Pad, special.Unknown));
        Assert.Equal([13, 2], special.StopIds);
    }

    [DataFact("llama2_tokenizer.model", "llama2_tokenizer.bin", "tok512.bin")]
    public void Load_TokenStringOverridesConfigIds_AndExplicitNullMeansNone()
    {
        // Qwen2's case: config.json names a bos_token_id but tokenizer_config.json says "bos_token": null
        using var dir = Llama2Checkpoint(
            ("config.json", """{"bos_token_id": 1, "eos_token_id": 2}"""),
            ("tokenizer_config.json", """{"bos_token": null, "eos_token": "<0x0A>"}"""));

        var tokenizer = TokenizerFiles.Load(dir.Path);

        Assert.Null(tokenizer.SpecialTokens.Bos);
        Assert.Equal(13, tokenizer.SpecialTokens.Eos);
        Assert.Equal([13, 2], tokenizer.SpecialTokens.StopIds);
        Assert.Equal(tokenizer.Encode("hi", addBos: false), tokenizer.Encode("hi", addBos: true));
    }

    [DataFact("llama2_tokenizer.model", "llama2_tokenizer.bin", "tok512.bin")]
    public void Load_AddedPadTokenPastTheModel_ExtendsVocabulary()
    {
        using var dir = Llama2Checkpoint(("tokenizer_config.json", """
            {"pad_token": "<pad>", "added_tokens_decoder": {"32000": {"content": "<pad>", "special": true}}}
            """));

        var tokenizer = TokenizerFiles.Load(dir.Path);

        Assert.Equal(32000, tokenizer.SpecialTokens.Pad);
        Assert.Equal(32001, tokenizer.VocabSize);
        Assert.Equal("Hi", tokenizer.Decode([.. tokenizer.Encode("Hi"), 32000]));
    }

    [DataTheory("llama2_tokenizer.model")]
    [InlineData("tokenizer_config.json", """{"eos_token": "<|im_end|>"}""", "eos_token \"<|im_end|>\" is not a token")]
    [InlineData("generation_config.json", """{"eos_token_id": [2, 99999]}""", "eos_token_id 99999 is outside the vocabulary [0, 32000)")]
    [InlineData("config.json", """{"eos_token_id": "two"}""", "eos_token_id must be an integer or a list of integers")]
    [InlineData("special_tokens_map.json", """{"bos_token": 5}""", "bos_token must be a string")]
    [InlineData("tokenizer_config.json", """{"eos_token": """, "invalid JSON")]
    public void Load_BadConfig_ThrowsNamingFileAndField(string file, string json, string expected)
    {
        using var dir = Llama2Checkpoint((file, json));

        var e = Assert.Throws<InvalidDataException>(() => TokenizerFiles.Load(dir.Path));

        Assert.Contains(file, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [DataFact("llama2_tokenizer.model", "llama2_tokenizer.bin", "tok512.bin")]
    public void Load_Llama2CFileOrDirectory_FixedIdsAndFileFingerprint()
    {
        using var dir = new TempDir();
        File.Copy(TestData.Data("tok512.bin"), dir.Sub("tokenizer.bin"));
        dir.File("config.json", """{"bos_token_id": 7}"""); // llama2.c's format has fixed ids

        var fromDir = TokenizerFiles.Load(dir.Path);
        var fromFile = TokenizerFiles.Load(TestData.Data("tok512.bin"));

        Assert.IsType<Llama2Tokenizer>(fromDir);
        Assert.Equal(new SpecialTokenIds(1, 2, null, 0), fromDir.SpecialTokens);
        Assert.Equal("037cb335abb25d1f", fromFile.Fingerprint);
        Assert.Equal(fromFile.Fingerprint, fromDir.Fingerprint);
    }

    [DataFact("llama2_tokenizer.model", "llama2_tokenizer.bin", "tok512.bin")]
    public void Load_DirectoryWithSeveralTokenizers_PrefersTokenizerModelOverTokenizerBin()
    {
        using var dir = Llama2Checkpoint();
        File.Copy(TestData.Data("llama2_tokenizer.bin"), dir.Sub("tokenizer.bin"));

        Assert.IsType<SentencePieceTokenizer>(TokenizerFiles.Load(dir.Path));
    }

    [Fact]
    public void Load_MissingOrUnknown_ThrowsSayingWhatWasLookedFor()
    {
        using var dir = new TempDir();
        var other = dir.File("weights.safetensors", "x");

        Assert.Contains("tokenizer.json, tokenizer.model, vocab.json + merges.txt, tokenizer.bin",
            Assert.Throws<FileNotFoundException>(() => TokenizerFiles.Load(dir.Path)).Message);
        Assert.Contains("neither a file nor a directory", Assert.Throws<FileNotFoundException>(() => TokenizerFiles.Load(dir.Sub("nope"))).Message);
        Assert.Contains("unknown tokenizer file", Assert.Throws<NotSupportedException>(() => TokenizerFiles.Load(other)).Message);
        var vocab = dir.File("bpe/vocab.json", "{}");
        Assert.Contains("merges.txt", Assert.Throws<FileNotFoundException>(() => TokenizerFiles.Load(vocab)).Message);
        var notModel = dir.File("bad/tokenizer.model", "not a protobuf");
        Assert.Contains("not a SentencePiece model", Assert.Throws<InvalidDataException>(() => TokenizerFiles.Load(notModel)).Message);
    }
}
