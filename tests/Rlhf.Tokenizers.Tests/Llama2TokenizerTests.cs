using System.Text;
using Rlhf.Tokenizers;

namespace Rlhf.Tokenizers.Tests;

public sealed class Llama2TokenizerTests
{
    private static readonly Lazy<Llama2Tokenizer> s_tokenizer = new(() => Llama2Tokenizer.Load(TestData.Data("tok512.bin"), 512));

    private static Llama2Tokenizer Tokenizer => s_tokenizer.Value;

    private static IEnumerable<string> StoryLines(int count) =>
        File.ReadLines(TestData.Data("tinystories_train_head.txt")).Where(l => l.Length > 0).Take(count);

    [Fact]
    public void Load_Tok512_ReadsVocabularyAndFingerprint()
    {
        Assert.Equal(512, Tokenizer.VocabSize);
        Assert.Equal(7, Tokenizer.MaxTokenLength);
        Assert.Equal("<unk>", Encoding.UTF8.GetString(Tokenizer.Piece(Llama2Tokenizer.UnknownId)));
        Assert.Equal("\n<s>\n", Encoding.UTF8.GetString(Tokenizer.Piece(Llama2Tokenizer.BosId)));
        Assert.Equal("\n</s>\n", Encoding.UTF8.GetString(Tokenizer.Piece(Llama2Tokenizer.EosId)));
        Assert.Equal("<0x41>", Encoding.UTF8.GetString(Tokenizer.Piece(0x41 + Llama2Tokenizer.ByteTokenOffset)));
        // sha256 of tok512.bin from data/SOURCES.md: 037cb335abb25d1fa9e8…
        Assert.Equal("037cb335abb25d1f", Tokenizer.Fingerprint);
        Assert.Equal(-1f, Tokenizer.Score(260)); // "he"
    }

    [Fact]
    public void Load_WithoutVocabSize_ReadsToEndOfFile()
    {
        var tokenizer = Llama2Tokenizer.Load(TestData.Data("tok512.bin"));

        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(Tokenizer.Fingerprint, tokenizer.Fingerprint);
    }

    public static TheoryData<string, int[]> KnownEncodings => new()
    {
        // " " "t" "h" "e": " t" (score -0) merges first, then "he" (-1), then " t"+"he" = " the" (-6)
        { "the", [1, 265] },
        // " " + "a" = " a"
        { "a", [1, 261] },
        { "Once upon a time", [1, 403, 407, 261, 378] },
        // "é" (C3 A9) is a piece of its own
        { "é", [1, 410, 485] },
        // 世 (E4 B8 96) has no piece: byte fallback, id = byte + 3
        { "世", [1, 410, 0xE4 + 3, 0xB8 + 3, 0x96 + 3] },
        { "Grüße, 世界! 🦙 naïve café", [1, 410, 463, 420, 198, 191, 198, 162, 411, 432, 410, 231, 187, 153, 234, 152, 143, 443, 410, 243, 162, 169, 156, 297, 412, 198, 178, 360, 280, 412, 431, 485] },
        { "  two  spaces", [1, 410, 410, 259, 424, 414, 410, 262, 427, 412, 331, 419] },
        { "Lily said, \"Mom!\"", [1, 317, 336, 432, 313, 446, 287, 443, 436] },
        // no dummy prefix for empty text
        { "", [1] },
    };

    [Theory]
    [MemberData(nameof(KnownEncodings))]
    public void Encode_KnownText_MatchesLlama2CEncoding(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text, bos: true));
    }

    [Fact]
    public void Encode_BosEosFlags_AddOrOmitSpecialTokens()
    {
        Assert.Equal([261], Tokenizer.Encode("a", bos: false));
        Assert.Equal([1, 261, 2], Tokenizer.Encode("a", bos: true, eos: true));
        Assert.Equal([1, 2], Tokenizer.Encode("", bos: true, eos: true));
        Assert.Empty(Tokenizer.Encode("", bos: false));
    }

    [Fact]
    public void Encode_HandWorkedMerges_FollowBestScoreOrder()
    {
        // Re-derive " the" from the vocabulary: each step merges the best-scoring adjacent pair.
        var space = Tokenizer.PieceToId(" "u8);
        var t = Tokenizer.PieceToId("t"u8);
        var spaceT = Tokenizer.PieceToId(" t"u8);
        var he = Tokenizer.PieceToId("he"u8);
        var spaceThe = Tokenizer.PieceToId(" the"u8);
        Assert.True(space >= 0 && t >= 0 && spaceT >= 0 && he >= 0 && spaceThe >= 0);
        Assert.Equal(-1, Tokenizer.PieceToId("th"u8)); // so " t" vs "he" decides the first merge
        Assert.True(Tokenizer.Score(spaceT) > Tokenizer.Score(he));

        Assert.Equal([spaceThe], Tokenizer.Encode("the", bos: false));
    }

    [Fact]
    public void Encode_TinyStoriesLines_RoundTripThroughDecode()
    {
        var lines = StoryLines(2000).ToList();
        Assert.True(lines.Count > 1000);
        foreach (var line in lines)
        {
            var ids = Tokenizer.Encode(line, bos: true);
            Assert.All(ids, id => Assert.InRange(id, 0, 511));
            Assert.Equal(line, Tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void Encode_TinyStoriesLine_CompressesBelowOneTokenPerByte()
    {
        var line = StoryLines(1).Single();

        var ids = Tokenizer.Encode(line, bos: false);

        Assert.True(ids.Length < Encoding.UTF8.GetByteCount(line) / 2, $"{ids.Length} tokens for {line.Length} chars");
    }

    [Theory]
    [InlineData("Grüße, 世界! 🦙 naïve café")]
    [InlineData("Ελληνικά και русский текст")]
    [InlineData("emoji 👩‍👩‍👧 and tabs\tand\nnewlines")]
    [InlineData(" leading space")]
    public void Encode_NonAsciiText_RoundTripsThroughByteFallback(string text)
    {
        var ids = Tokenizer.Encode(text, bos: true, eos: true);

        Assert.Equal(text, Tokenizer.Decode(ids));
        Assert.Equal(Encoding.UTF8.GetBytes(text), Tokenizer.DecodeBytes(ids));
    }

    [Fact]
    public void Encode_RandomUnicode_RoundTrips()
    {
        var random = new Random(42);
        for (var trial = 0; trial < 300; trial++)
        {
            var builder = new StringBuilder();
            var length = random.Next(0, 30);
            for (var k = 0; k < length; k++)
            {
                var codePoint = random.Next(4) switch
                {
                    0 => random.Next(0x20, 0x7F),
                    1 => random.Next(0xA0, 0x800),
                    2 => random.Next(0x4E00, 0x9FFF),
                    _ => random.Next(0x1F300, 0x1FAFF),
                };
                builder.Append(char.ConvertFromUtf32(codePoint));
            }
            var text = builder.ToString();

            Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text, bos: true)));
        }
    }

    [Fact]
    public void DecodePiece_AfterBos_StripsLeadingSpace()
    {
        var once = Tokenizer.PieceToId(" Once"u8);

        Assert.Equal("Once"u8.ToArray(), Tokenizer.DecodePiece(Llama2Tokenizer.BosId, once));
        Assert.Equal(" Once"u8.ToArray(), Tokenizer.DecodePiece(261, once));
    }

    [Fact]
    public void DecodePiece_ByteToken_ReturnsRawByte()
    {
        Assert.Equal([0xE4], Tokenizer.DecodePiece(-1, 0xE4 + Llama2Tokenizer.ByteTokenOffset));
        Assert.Equal([0x0A], Tokenizer.DecodePiece(-1, 0x0A + Llama2Tokenizer.ByteTokenOffset));
    }

    [Fact]
    public void DecodePiece_IdOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.DecodePiece(-1, 512));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([5, -1]));
    }

    [Fact]
    public void Decode_InvalidUtf8Bytes_ReplacedByReplacementCharacter()
    {
        // a lone continuation byte
        Assert.Equal("a\uFFFD", Tokenizer.Decode([261, 0x80 + Llama2Tokenizer.ByteTokenOffset]).TrimStart());
    }

    [Fact]
    public void FromBytes_TruncatedFile_ThrowsNamingToken()
    {
        var bytes = File.ReadAllBytes(TestData.Data("tok512.bin"));

        var e = Assert.Throws<InvalidDataException>(() => Llama2Tokenizer.FromBytes(bytes.AsSpan(0, bytes.Length - 3)));

        Assert.Contains("token 511", e.Message);
    }

    [Fact]
    public void FromBytes_NegativeLength_Throws()
    {
        var bytes = File.ReadAllBytes(TestData.Data("tok512.bin"));
        BitConverter.TryWriteBytes(bytes.AsSpan(4 + 4, 4), -5); // length of token 0

        var e = Assert.Throws<InvalidDataException>(() => Llama2Tokenizer.FromBytes(bytes));

        Assert.Contains("token 0 has length -5", e.Message);
    }

    [Fact]
    public void FromBytes_WrongVocabSize_Throws()
    {
        var bytes = File.ReadAllBytes(TestData.Data("tok512.bin"));

        Assert.Throws<InvalidDataException>(() => Llama2Tokenizer.FromBytes(bytes, vocabSize: 600));
        Assert.Throws<InvalidDataException>(() => Llama2Tokenizer.FromBytes(bytes, vocabSize: 500)); // trailing bytes
    }

    [Fact]
    public void FromBytes_BadHeader_Throws()
    {
        Assert.Throws<InvalidDataException>(() => Llama2Tokenizer.FromBytes([1, 2]));
        Assert.Throws<InvalidDataException>(() => Llama2Tokenizer.FromBytes(BitConverter.GetBytes(-7)));
    }
}
