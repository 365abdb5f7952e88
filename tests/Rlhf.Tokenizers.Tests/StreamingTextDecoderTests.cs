using System.Text;
using Rlhf.Tokenizers;

namespace Rlhf.Tokenizers.Tests;

public sealed class StreamingTextDecoderTests
{
    private static readonly Lazy<Llama2Tokenizer> s_tokenizer = new(() => Llama2Tokenizer.Load(TestData.Data("tok512.bin")));

    [Fact]
    public void Push_ByteFallbackCharacter_HeldBackUntilComplete()
    {
        var tokenizer = s_tokenizer.Value;
        var decoder = new StreamingTextDecoder(tokenizer);
        var ids = tokenizer.Encode("世", bos: true); // BOS, " ", E4, B8, 96

        var chunks = ids.Select(decoder.Push).ToList();

        Assert.Equal(["", "", "", "", "世"], chunks);
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Push_WholeText_ConcatenatesToDecode()
    {
        var tokenizer = s_tokenizer.Value;
        const string text = "Lily saw a 🦙 and said \"naïve 世界\".";
        var ids = tokenizer.Encode(text, bos: true, eos: true);
        var decoder = new StreamingTextDecoder(tokenizer);
        var streamed = new StringBuilder();

        foreach (var id in ids)
            streamed.Append(decoder.Push(id));
        streamed.Append(decoder.Flush());

        Assert.Equal(text, streamed.ToString());
        Assert.Equal(tokenizer.Decode(ids), streamed.ToString());
    }

    [Fact]
    public void Flush_IncompleteCharacter_ReturnsReplacementCharacter()
    {
        var decoder = new StreamingTextDecoder(s_tokenizer.Value, previousId: 261);

        Assert.Equal("", decoder.Push(0xE4 + Llama2Tokenizer.ByteTokenOffset));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Push(9999));
    }
}
