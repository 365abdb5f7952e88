using System.Diagnostics.Metrics;

namespace Rlhf.ModelServices;

/// <summary>
/// Reward-service metrics (Meter <c>Rlhf.RewardService</c>): the histogram <c>rlhf.reward.batch_size</c> (sequences per
/// forward pass; with micro-batching, per merged batch) and the counter <c>rlhf.reward.sequences</c>. Requests and
/// latency per method come from the server's <c>rlhf.grpc.server.requests</c> and <c>rlhf.grpc.server.duration</c>.
/// </summary>
public sealed class RewardMetrics
{
    /// <summary>Meter name, for OpenTelemetry registration.</summary>
    public const string MeterName = "Rlhf.RewardService";

    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _sequences;

    /// <summary>Creates the instruments.</summary>
    /// <param name="meterFactory">The host's meter factory: it scopes the meter to the host and disposes it with the host.</param>
    public RewardMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _batchSize = meter.CreateHistogram<int>("rlhf.reward.batch_size", "{sequence}", "Sequences per merged forward pass",
            tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _sequences = meter.CreateCounter<long>("rlhf.reward.sequences", "{sequence}", "Sequences scored");
    }

    /// <summary>Records one forward pass over <paramref name="sequences"/> sequences.</summary>
    public void RecordBatch(int sequences)
    {
        _batchSize.Record(sequences);
        _sequences.Add(sequences);
    }
}
