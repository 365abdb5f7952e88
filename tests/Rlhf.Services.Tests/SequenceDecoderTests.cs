using Google.Protobuf.Collections;
using Rlhf.Models;
using Grpc.Core;
using Rlhf.ModelServices;
using Rlhf.Contracts.V1;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>Request validation and text encoding of the model services' sequences.</summary>
public sealed class SequenceDecoderTests
{
    private static readonly Rlhf.Models.ModelArchitecture Stories260KConfig = new("llama", Dim: 64, HiddenDim: 172, NLayers: 5, NHeads: 8, NKvHeads: 4, VocabSize: 512, MaxSeqLen: 512);

    private static SequenceDecoder Decoder(bool withTokenizer = true, int maxTextBytes = 1000) =>
        new(Stories260KConfig, withTokenizer ? Probes.Tokenizer : null, MaxBatchSize: 8, MaxTextBytes: maxTextBytes);

    private static RepeatedField<Sequence> Batch(params Sequence[] sequences) => [.. sequences];

    private static Sequence Ids(IEnumerable<int> prompt, IEnumerable<int> response) => new() { PromptIds = { prompt }, ResponseIds = { response } };

    [DataFact]
    public void Decode_Text_PromptWithBosAndResponseAsTailOfJointEncoding()
    {
        var prompt = Probes.Prompts[0];
        var response = Probes.Responses[0];

        var seq = Decoder().Decode(Batch(new Sequence { PromptText = prompt, ResponseText = response }), SequenceKind.PromptAndResponse).Single();

        Assert.Equal(Probes.Tokenizer.Encode(prompt, bos: true), seq.PromptIds);
        Assert.Equal(Probes.Tokenizer.Encode(prompt + response, bos: true), seq.PromptIds.Concat(seq.ResponseIds));
        Assert.Equal(response, Probes.Tokenizer.Decode(seq.ResponseIds));
    }

    [DataFact]
    public void Decode_ResponseTextOnly_EncodedWithoutBos()
    {
        var seq = Decoder().Decode(Batch(new Sequence { PromptText = "", ResponseText = "The cat sat." }), SequenceKind.PromptAndResponse).Single();

        Assert.Equal([1], seq.PromptIds);
        Assert.Equal(Probes.Tokenizer.Encode("The cat sat.", bos: false), seq.ResponseIds);
    }

    [Fact]
    public void Decode_TextWithoutTokenizer_FailedPrecondition()
    {
        var e = Assert.Throws<RpcException>(() =>
            Decoder(withTokenizer: false).Decode(Batch(new Sequence { PromptText = "Hi" }), SequenceKind.PromptOnly));

        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
    }

    [DataFact]
    public void Decode_TextOverMaxTextBytes_InvalidArgumentNamingTheField()
    {
        var e = Assert.Throws<RpcException>(() =>
            Decoder(maxTextBytes: 10).Decode(Batch(new Sequence { PromptText = "Hi", ResponseText = "ééééééé" }), SequenceKind.PromptAndResponse));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("response_text", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OverlongPrompt_TruncatedKeepingTheEnd()
    {
        var prompt = Enumerable.Range(0, 400).Select(i => i % 500 + 3).ToArray();
        var response = Enumerable.Range(0, 200).Select(i => i % 7 + 3).ToArray();

        var seq = Decoder(withTokenizer: false).Decode(Batch(Ids(prompt, response)), SequenceKind.PromptAndResponse, truncateKeepEnd: true).Single();

        Assert.Equal(512, seq.Length);
        Assert.Equal(response, seq.ResponseIds);
        Assert.Equal(prompt[88..], seq.PromptIds);
    }

    [Fact]
    public void Decode_OverlongResponse_TruncatedKeepingItsEnd()
    {
        var prompt = new[] { 1, 5, 6 };
        var response = Enumerable.Range(0, 600).Select(i => i % 500 + 3).ToArray();

        var seq = Decoder(withTokenizer: false).Decode(Batch(Ids(prompt, response)), SequenceKind.PromptAndResponse, truncateKeepEnd: true).Single();

        Assert.Equal(512, seq.Length);
        Assert.Single(seq.PromptIds);
        Assert.Equal(response[^512..], seq.PromptIds.Concat(seq.ResponseIds));
    }

    [Fact]
    public void Decode_OverlongWithoutTruncation_OutOfRange()
    {
        var e = Assert.Throws<RpcException>(() =>
            Decoder(withTokenizer: false).Decode(Batch(Ids(Enumerable.Repeat(5, 300), Enumerable.Repeat(6, 213))), SequenceKind.PromptAndResponse));

        Assert.Equal(StatusCode.OutOfRange, e.StatusCode);
        Assert.Equal(512, Decoder(withTokenizer: false).Decode(Batch(Ids(Enumerable.Repeat(5, 300), Enumerable.Repeat(6, 212))), SequenceKind.PromptAndResponse).Single().Length);
    }

    [Theory]
    [InlineData("no prompt ids")]
    [InlineData("response in a prompt-only request")]
    [InlineData("ids and text")]
    public void Decode_MalformedSequence_InvalidArgumentNamingTheSequence(string what)
    {
        var bad = what switch
        {
            "no prompt ids" => Ids([], [5, 6]),
            "response in a prompt-only request" => Ids([1], [5]),
            _ => new Sequence { PromptIds = { 1 }, PromptText = "Hi" },
        };
        var kind = what.Contains("prompt-only", StringComparison.Ordinal) ? SequenceKind.PromptOnly : SequenceKind.PromptAndResponse;

        var e = Assert.Throws<RpcException>(() => Decoder(withTokenizer: false).Decode(Batch(Ids([1], []), bad), kind));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("sequence 1", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_MoreThanMaxBatchSize_ResourceExhausted()
    {
        var batch = Batch(Enumerable.Range(0, 9).Select(_ => Ids([1], [5])).ToArray());

        var e = Assert.Throws<RpcException>(() => Decoder(withTokenizer: false).Decode(batch, SequenceKind.PromptAndResponse));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }
}
