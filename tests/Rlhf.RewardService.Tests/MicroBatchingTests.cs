using Rlhf.Contracts.V1;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.ModelServices;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

public sealed class MicroBatchingTests
{
    [Fact]
    public async Task ScoreResponses_ConcurrentCalls_MergedIntoLargerBatchesWithUnbatchedScores()
    {
        await using var batched = await ServiceHost.StartAsync(new Dictionary<string, string?>
        {
            ["Reward:Batching"] = "true",
            ["Reward:MaxWaitMs"] = "500",
            ["Reward:MaxBatchSize"] = "64",
        });
        await using var unbatched = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Reward:Batching"] = "false" });
        using var batchSizes = new BatchSizeRecorder(batched);
        var client = batched.Reward();
        await client.GetModelInfoAsync(new GetModelInfoRequest()); // connect first, so the calls below arrive together

        var requests = Enumerable.Range(0, 8).Select(i =>
        {
            var request = ServiceHost.Texts(0);
            request.Sequences.Add(new Rlhf.Contracts.V1.Sequence { PromptText = "Once upon a time", ResponseText = ServiceHost.Responses[i] });
            return request;
        }).ToList();
        var merged = await Task.WhenAll(requests.Select(r => client.ScoreResponsesAsync(r).ResponseAsync));
        var alone = new List<float>();
        foreach (var request in requests)
            alone.Add((await unbatched.Reward().ScoreResponsesAsync(request)).Scores.Single());

        Assert.True(batchSizes.Max > 1, $"largest merged batch {batchSizes.Max}: concurrent calls were not merged");
        Assert.True(batchSizes.Count < 8, $"{batchSizes.Count} forward passes for 8 calls");
        for (var i = 0; i < requests.Count; i++)
            Assert.Equal(alone[i], merged[i].Scores.Single(), 4);
        Assert.True(alone.Distinct().Count() > 1, "the scores do not depend on the text: the test could not see a mix-up");
    }

    /// <summary>Records <c>rlhf.reward.batch_size</c> of one host (its meter factory's scope).</summary>
    private sealed class BatchSizeRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentBag<int> _sizes = [];

        public BatchSizeRecorder(ServiceHost host)
        {
            var scope = host.App.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RewardMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Name == "rlhf.reward.batch_size")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, size, _, _) => _sizes.Add(size));
            _listener.Start();
        }

        public int Max => _sizes.IsEmpty ? 0 : _sizes.Max();

        public int Count => _sizes.Count;

        public void Dispose() => _listener.Dispose();
    }
}
