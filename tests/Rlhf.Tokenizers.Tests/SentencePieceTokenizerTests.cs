using Rlhf.Tokenizers.Tests.Infrastructure;

namespace Rlhf.Tokenizers.Tests;

/// <summary>Llama 2's <c>tokenizer.model</c> against Debian's python3-sentencepiece, id for id.</summary>
public sealed class SentencePieceTokenizerTests
{
    private static readonly Lazy<ITokenizer> s_tokenizer = new(() => TokenizerFiles.Load(TestData.Data("llama2_tokenizer.model")));
    private static string Reference => Path.Combine(ReferenceFixtures.SentencePieceDir, "sentencepiece.json");

    [SentencePieceFact]
    public void Encode_TinyStoriesAndHhRlhf_MatchesSentencePieceIdForId()
    {
        var cases = ReferenceFixtures.Cases(Reference);
        Assert.True(cases.Count(c => c.Name.StartsWith("tinystories", StringComparison.Ordinal)) >= 1500);
        Assert.True(cases.Count(c => c.Name.StartsWith("hh-rlhf", StringComparison.Ordinal)) >= 600);

        Compare.Encodings(s_tokenizer.Value, cases);
    }

    [SentencePieceFact]
    public void Decode_WithBosAndEos_MatchesSentencePiece()
    {
        var tokenizer = s_tokenizer.Value;
        foreach (var c in ReferenceFixtures.Cases(Reference))
        {
            var ids = tokenizer.Encode(c.Text, addBos: true).Append(tokenizer.SpecialTokens.Eos!.Value).ToArray();
            Assert.Equal(c.DecodedWithBos, tokenizer.Decode(ids));
        }
    }

    [SentencePieceFact]
    public void Decode_GeneratedIdSequences_MatchSentencePiece()
    {
        // a response can start with a byte token (keeps the space of the next piece) or contain <unk> (" ⁇ ")
        var tokenizer = s_tokenizer.Value;
        var decodes = ReferenceFixtures.Field(Reference, "decodes").EnumerateArray()
            .Select(d => (Ids: d.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(), Decoded: d.GetProperty("decoded").GetString()!))
            .ToList();
        Assert.Equal(10, decodes.Count);

        foreach (var (ids, decoded) in decodes)
        {
            Assert.Equal(decoded, tokenizer.Decode(ids));
            var decoder = tokenizer.CreateStreamingDecoder();
            Assert.Equal(decoded, string.Concat(ids.Select(decoder.Push)) + decoder.Flush());
        }
    }

    [SentencePieceFact]
    public void Load_Llama2Model_ReportsSentencePieceVocabularyAndSpecialIds()
    {
        var tokenizer = s_tokenizer.Value;

        Assert.IsType<SentencePieceTokenizer>(tokenizer);
        Assert.Equal(ReferenceFixtures.Field(Reference, "vocab_size").GetInt32(), tokenizer.VocabSize);
        Assert.Equal(ReferenceFixtures.Field(Reference, "bos_id").GetInt32(), tokenizer.SpecialTokens.Bos);
        Assert.Equal(ReferenceFixtures.Field(Reference, "eos_id").GetInt32(), tokenizer.SpecialTokens.Eos);
        Assert.Equal(ReferenceFixtures.Field(Reference, "unk_id").GetInt32(), tokenizer.SpecialTokens.Unknown);
        Assert.Equal(-1, ReferenceFixtures.Field(Reference, "pad_id").GetInt32());
        Assert.Null(tokenizer.SpecialTokens.Pad);
        Assert.Equal([2], tokenizer.SpecialTokens.StopIds);
        // sha256 of llama2_tokenizer.model (data/SOURCES.md: 9e556afd44213b6b…)
        Assert.Equal(ReferenceFixtures.Field(Reference, "model_sha256").GetString()![..16], tokenizer.Fingerprint);
    }

    [SentencePieceFact]
    public void Encode_AddBos_PrependsId1()
    {
        var tokenizer = s_tokenizer.Value;
        var reference = ReferenceFixtures.Cases(Reference).First(c => c.Name == "edge-0"); // "Hello, world!"

        Assert.Equal([1, .. reference.Ids], tokenizer.Encode(reference.Text));
        Assert.Equal([1], tokenizer.Encode(""));
        Assert.Empty(tokenizer.Encode("", addBos: false));
    }

    [SentencePieceFact]
    public void StreamingDecoder_RealText_ConcatenatesToDecode()
    {
        var cases = ReferenceFixtures.Cases(Reference);

        Compare.StreamedEqualsDecode(s_tokenizer.Value, cases.Where(c => !c.Name.StartsWith("tinystories-line", StringComparison.Ordinal)));
    }

    [SentencePieceFact]
    public void StreamingDecoder_ByteFallbackEmoji_HeldBackUntilComplete()
    {
        var tokenizer = s_tokenizer.Value;
        var ids = tokenizer.Encode("a 🦙", addBos: false); // ▁a ▁ <0xF0> <0x9F> <0xA6> <0x99>
        var decoder = tokenizer.CreateStreamingDecoder(previousId: 1);

        var chunks = ids.Select(decoder.Push).ToList();

        Assert.Equal(["a", " ", "", "", "", "🦙"], chunks);
        Assert.Equal("", decoder.Flush());
    }

    [SentencePieceFact]
    public void TryGetTokenId_PiecesAndControlTokens_Found()
    {
        var tokenizer = s_tokenizer.Value;

        Assert.True(tokenizer.TryGetTokenId("<s>", out var bos));
        Assert.Equal(1, bos);
        Assert.True(tokenizer.TryGetTokenId("<0x0A>", out var newline));
        Assert.Equal(13, newline);
        Assert.False(tokenizer.TryGetTokenId("<|im_start|>", out _));
    }

    [SentencePieceFact]
    public void Decode_IdOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => s_tokenizer.Value.Decode([5, 32000]));
        Assert.Throws<ArgumentOutOfRangeException>(() => s_tokenizer.Value.CreateStreamingDecoder().Push(-1));
    }
}
