using Grpc.Core;
using Rlhf.Contracts.V1;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

/// <summary>A reward service with small limits: 4 sequences, 64-byte texts, 2 KiB messages.</summary>
public sealed class LimitsFixture : IAsyncLifetime
{
    internal ServiceHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await ServiceHost.StartAsync(new Dictionary<string, string?>
    {
        ["Model:MaxBatchSize"] = "4",
        ["Model:MaxTextBytes"] = "64",
        ["Grpc:MaxReceiveMessageBytes"] = "2048",
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class LimitsTests(LimitsFixture fixture) : IClassFixture<LimitsFixture>
{
    [Fact]
    public async Task ScoreResponses_BatchAboveMaxBatchSize_ResourceExhausted()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Host.Reward().ScoreResponsesAsync(ServiceHost.Texts(5)));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("4", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreResponses_TextAboveMaxTextBytes_InvalidArgument()
    {
        var request = new ScoreResponsesRequest();
        request.Sequences.Add(new Sequence { PromptText = "Once upon a time", ResponseText = new string('a', 65) });
        var e = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Host.Reward().ScoreResponsesAsync(request));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task ScoreResponses_MessageAboveMaxReceiveMessageBytes_ResourceExhausted()
    {
        var request = new ScoreResponsesRequest();
        request.Sequences.Add(new Sequence { PromptText = "Once upon a time", ResponseText = new string('a', 3000) });
        var e = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Host.Reward().ScoreResponsesAsync(request));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task ScoreResponses_AtEveryLimit_Ok()
    {
        var request = new ScoreResponsesRequest();
        for (var i = 0; i < 4; i++)
            request.Sequences.Add(new Sequence { PromptText = "Once upon a time", ResponseText = new string((char)('a' + i), 64) });
        var response = await fixture.Host.Reward().ScoreResponsesAsync(request);
        Assert.Equal(4, response.Scores.Count);
    }
}
