namespace Rlhf.Tokenizers.Tests;

/// <summary>llama2.c's tokenizer through <see cref="ITokenizer"/>.</summary>
public sealed class Llama2TokenizerContractTests
{
    private static readonly Lazy<ITokenizer> s_tokenizer = new(() => TokenizerFiles.Load(TestData.Data("tok512.bin")));

    [Fact]
    public void Contract_Tok512_SameAsTheConcreteType()
    {
        var tokenizer = s_tokenizer.Value;
        var concrete = Llama2Tokenizer.Load(TestData.Data("tok512.bin"));

        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(new SpecialTokenIds(1, 2, null, 0), tokenizer.SpecialTokens);
        Assert.Equal([2], tokenizer.SpecialTokens.StopIds);
        Assert.Equal(concrete.Encode("Once upon a time", bos: true), tokenizer.Encode("Once upon a time"));
        Assert.Equal(concrete.Encode("Once upon a time", bos: false), tokenizer.Encode("Once upon a time", addBos: false));
        Assert.True(tokenizer.TryGetTokenId(" Once", out var once));
        Assert.Equal(concrete.PieceToId(" Once"u8), once);
        Assert.False(tokenizer.TryGetTokenId("<|im_start|>", out _));
    }

    [Fact]
    public void CreateStreamingDecoder_AfterBos_MatchesDecode()
    {
        var tokenizer = s_tokenizer.Value;
        var ids = tokenizer.Encode("Lily saw a 🦙.", addBos: false);
        var decoder = tokenizer.CreateStreamingDecoder(previousId: 1);

        var streamed = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();

        Assert.IsType<StreamingTextDecoder>(decoder);
        Assert.Equal(tokenizer.Decode([1, .. ids]), streamed);
    }
}
