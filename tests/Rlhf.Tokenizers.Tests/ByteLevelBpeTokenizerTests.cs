using Rlhf.Tokenizers.Tests.Infrastructure;

namespace Rlhf.Tokenizers.Tests;

/// <summary>
/// Byte-level BPE against the independent pure-Python implementation of make_fixtures.py, on a vocabulary it trains
/// from TinyStories, in the layouts of Qwen2, Llama 3, GPT-2 and SmolLM.
/// </summary>
public sealed class ByteLevelBpeTokenizerTests
{
    private static string Variant(string name) => Path.Combine(ReferenceFixtures.BpeDir, name);

    [BpeDataTheory]
    [InlineData("qwen2")]   // Split(Qwen2 regex) + ByteLevel, NFC normalizer, merges as "a b"
    [InlineData("llama3")]  // Split(Llama 3 regex, \p{N}{1,3}) + ByteLevel, ignore_merges, merges as pairs
    [InlineData("gpt2")]    // ByteLevel with GPT-2's regex
    [InlineData("smollm")]  // Digits(individual) + ByteLevel with GPT-2's regex
    public void Encode_TokenizerJson_MatchesReferenceIdForId(string variant)
    {
        var tokenizer = TokenizerFiles.Load(Path.Combine(Variant(variant), "tokenizer.json"));
        var cases = ReferenceFixtures.Cases(Path.Combine(Variant(variant), "expected.json"));

        Assert.IsType<ByteLevelBpeTokenizer>(tokenizer);
        Assert.Equal(ReferenceFixtures.Field(Path.Combine(Variant(variant), "expected.json"), "vocab_size").GetInt32(), tokenizer.VocabSize);
        Compare.Encodings(tokenizer, cases);
    }

    [BpeDataFact]
    public void Encode_Llama3WithoutIgnoreMerges_Differs()
    {
        // the check above could pass by accident if ignore_merges never mattered: show that it does
        var cases = ReferenceFixtures.Cases(Path.Combine(Variant("llama3"), "expected.json"));
        var tokenizer = (ByteLevelBpeTokenizer)TokenizerFiles.Load(Path.Combine(Variant("llama3"), "tokenizer.json"));
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("tokenizer.json"),
            File.ReadAllText(Path.Combine(Variant("llama3"), "tokenizer.json")).Replace("\"ignore_merges\": true", "\"ignore_merges\": false"));
        var plain = TokenizerFiles.Load(dir.Sub("tokenizer.json"));

        var differing = cases.Count(c => !plain.Encode(c.Text, addBos: false).SequenceEqual(c.Ids));

        Assert.True(differing > 50, $"only {differing} cases depend on ignore_merges");
        Assert.Equal(cases.Count, cases.Count(c => tokenizer.Encode(c.Text, addBos: false).SequenceEqual(c.Ids)));
    }

    [BpeDataTheory]
    [InlineData("qwen2")]
    [InlineData("gpt2")]
    public void StreamingDecoder_RealText_ConcatenatesToDecode(string variant)
    {
        var tokenizer = TokenizerFiles.Load(Path.Combine(Variant(variant), "tokenizer.json"));

        Compare.StreamedEqualsDecode(tokenizer, ReferenceFixtures.Cases(Path.Combine(Variant(variant), "expected.json")));
    }

    [BpeDataFact]
    public void Load_VocabJsonAndMerges_MatchesGpt2Reference()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(ReferenceFixtures.BpeDir, "vocab.json"), dir.Sub("vocab.json"));
        File.Copy(Path.Combine(ReferenceFixtures.BpeDir, "merges.txt"), dir.Sub("merges.txt"));

        var tokenizer = TokenizerFiles.Load(dir.Path);

        Compare.Encodings(tokenizer, ReferenceFixtures.Cases(Path.Combine(Variant("gpt2"), "expected.json")));
        Assert.Equal(tokenizer.Fingerprint, TokenizerFiles.Load(dir.Sub("vocab.json")).Fingerprint);
    }

    [BpeDataFact]
    public void Load_VocabJsonAndMergesOfQwen2Class_UsesQwen2PatternAndAddedTokens()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(ReferenceFixtures.BpeDir, "vocab.json"), dir.Sub("vocab.json"));
        File.Copy(Path.Combine(ReferenceFixtures.BpeDir, "merges.txt"), dir.Sub("merges.txt"));
        var special = ReferenceFixtures.Field(Path.Combine(Variant("qwen2"), "expected.json"), "special_tokens");
        var eot = special.GetProperty("<|endoftext|>").GetInt32();
        var imStart = special.GetProperty("<|im_start|>").GetInt32();
        var imEnd = special.GetProperty("<|im_end|>").GetInt32();
        dir.File("tokenizer_config.json", $$"""
            {
              "tokenizer_class": "Qwen2Tokenizer",
              "bos_token": null,
              "eos_token": "<|im_end|>",
              "pad_token": "<|endoftext|>",
              "added_tokens_decoder": {
                "{{eot}}": { "content": "<|endoftext|>", "special": true },
                "{{imStart}}": { "content": "<|im_start|>", "special": true },
                "{{imEnd}}": { "content": "<|im_end|>", "special": true }
              }
            }
            """);

        var tokenizer = TokenizerFiles.Load(dir.Path);

        Compare.Encodings(tokenizer, ReferenceFixtures.Cases(Path.Combine(Variant("qwen2"), "expected.json")));
        Assert.Equal(new SpecialTokenIds(null, imEnd, eot, null), tokenizer.SpecialTokens);
        Assert.Equal(imEnd + 1, tokenizer.VocabSize);
        Assert.True(tokenizer.TryGetTokenId("<|im_start|>", out var id) && id == imStart);
    }

    [BpeDataFact]
    public void Encode_SpecialTokenText_IsPlainText()
    {
        var tokenizer = TokenizerFiles.Load(Path.Combine(Variant("qwen2"), "tokenizer.json"));
        Assert.True(tokenizer.TryGetTokenId("<|im_start|>", out var imStart));

        var ids = tokenizer.Encode("<|im_start|>user", addBos: false);

        Assert.DoesNotContain(imStart, ids);
        Assert.Equal("<|im_start|>user", tokenizer.Decode(ids));
        Assert.Equal("", tokenizer.Decode([imStart])); // special tokens decode to nothing
    }

    [BpeDataFact]
    public void Load_TokenizerJsonAlone_EosIsEndOfTextAndNoBos()
    {
        var tokenizer = TokenizerFiles.Load(Path.Combine(Variant("gpt2"), "tokenizer.json"));
        tokenizer.TryGetTokenId("<|endoftext|>", out var eot);

        Assert.Equal(new SpecialTokenIds(null, eot, null, null), tokenizer.SpecialTokens);
        Assert.Equal([eot], tokenizer.SpecialTokens.StopIds);
        Assert.Equal(tokenizer.Encode("hi", addBos: false), tokenizer.Encode("hi", addBos: true));
    }

    [BpeDataFact]
    public void TryGetTokenId_PlainText_FindsByteLevelToken()
    {
        var tokenizer = TokenizerFiles.Load(Path.Combine(Variant("gpt2"), "tokenizer.json"));

        Assert.True(tokenizer.TryGetTokenId(" the", out var the));
        Assert.Equal([the], tokenizer.Encode(" the", addBos: false));
        Assert.True(tokenizer.TryGetTokenId("\n", out var newline));
        Assert.Equal(10, newline); // byte 0x0A is token 10 in the trained vocabulary
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([tokenizer.VocabSize]));
    }

    [Fact]
    public void Load_UnsupportedTokenizerJson_ThrowsNamingThePart()
    {
        using var dir = new TempDir();
        var wordPiece = dir.File("wp/tokenizer.json", """{"model": {"type": "WordPiece", "vocab": {}}, "pre_tokenizer": {"type": "ByteLevel"}}""");
        var metaspace = dir.File("ms/tokenizer.json", """{"model": {"type": "BPE", "vocab": {}, "merges": []}, "pre_tokenizer": {"type": "Metaspace"}}""");
        var punctuation = dir.File("p/tokenizer.json",
            """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Punctuation"}, {"type": "ByteLevel"}]}}""");

        Assert.Contains("WordPiece", Assert.Throws<NotSupportedException>(() => TokenizerFiles.Load(wordPiece)).Message);
        Assert.Contains("tokenizer.model", Assert.Throws<NotSupportedException>(() => TokenizerFiles.Load(Path.GetDirectoryName(metaspace)!)).Message);
        Assert.Contains("Punctuation", Assert.Throws<NotSupportedException>(() => TokenizerFiles.Load(punctuation)).Message);
    }
}
