using System.Diagnostics.Metrics;
using Rlhf.RewardService.Tests.Infrastructure;
using Rlhf.ServiceDefaults;

namespace Rlhf.RewardService.Tests;

public sealed class MetricsTests
{
    [Fact]
    public async Task MetricsEndpoint_AfterScoring_PrometheusTextWithRequestLatencyAndBatchMetrics()
    {
        var port = ServiceHost.FreePort();
        await using var host = await ServiceHost.StartAsync(new Dictionary<string, string?> { ["Telemetry:MetricsPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await host.Reward().ScoreResponsesAsync(ServiceHost.Texts(2));
        await host.Reward().ScoreResponsesAsync(ServiceHost.Texts(1));

        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE rlhf_grpc_server_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("rlhf_grpc_server_requests_total{method=\"/rlhf.v1.RewardService/ScoreResponses\",status=\"OK\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE rlhf_grpc_server_duration_milliseconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("rlhf_grpc_server_duration_milliseconds_count{method=\"/rlhf.v1.RewardService/ScoreResponses\",status=\"OK\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("rlhf_reward_sequences_total 3\n", text, StringComparison.Ordinal);
        Assert.Contains("rlhf_reward_batch_size_bucket{le=\"+Inf\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_CounterAndHistogram_PrometheusTextFormat()
    {
        using var meter = new Meter("Rlhf.Test.Exporter." + Guid.NewGuid().ToString("N"));
        using var exporter = new PrometheusTextExporter([meter.Name]);
        var calls = meter.CreateCounter<long>("test.calls", "{call}", "Calls.");
        var latency = meter.CreateHistogram<double>("test.latency", "ms", "Latency.", tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] });
        calls.Add(2, new KeyValuePair<string, object?>("method", "a\"b"));
        calls.Add(3, new KeyValuePair<string, object?>("method", "a\"b"));
        latency.Record(0.5);
        latency.Record(5);
        latency.Record(50);

        var text = exporter.Scrape();

        Assert.Contains("# HELP test_calls_total Calls.\n# TYPE test_calls_total counter\ntest_calls_total{method=\"a\\\"b\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("""
            # TYPE test_latency_milliseconds histogram
            test_latency_milliseconds_bucket{le="1"} 1
            test_latency_milliseconds_bucket{le="10"} 2
            test_latency_milliseconds_bucket{le="+Inf"} 3
            test_latency_milliseconds_sum 55.5
            test_latency_milliseconds_count 3
            """.ReplaceLineEndings("\n"), text, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrape_SameLabelsInAnotherOrderOrTypeAndManyTagSets_OneSeriesPerLabelSet()
    {
        using var meter = new Meter("Rlhf.Test.Exporter." + Guid.NewGuid().ToString("N"));
        using var exporter = new PrometheusTextExporter([meter.Name]);
        var calls = meter.CreateCounter<long>("test.calls", "{call}", "Calls.");
        var size = meter.CreateHistogram<int>("test.size", "{item}", "Sizes.", tags: null,
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4] });
        KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
        for (var i = 0; i < 3; i++)
        {
            calls.Add(1, Tag("method", "m"), Tag("status", "OK"));
            calls.Add(10, Tag("status", "OK"), Tag("method", "m")); // same labels, other order
            calls.Add(100, Tag("method", "m"), Tag("status", 7)); // another label set
            calls.Add(1000, Tag("method", "m"), Tag("status", "7")); // the same one, as a string
        }
        for (var i = 0; i < 100; i++) // more tag sets than the exporter remembers
        {
            calls.Add(1, Tag("method", "n" + i));
            calls.Add(2, Tag("method", "n" + i));
        }
        foreach (var v in new[] { 0, 1, 2, 3, 4, 5 })
            size.Record(v, Tag("k", "a"));

        var text = exporter.Scrape();

        Assert.Contains("test_calls_total{method=\"m\",status=\"OK\"} 33\n", text, StringComparison.Ordinal);
        Assert.Contains("test_calls_total{method=\"m\",status=\"7\"} 3300\n", text, StringComparison.Ordinal);
        for (var i = 0; i < 100; i++)
            Assert.Contains($"test_calls_total{{method=\"n{i}\"}} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("""
            test_size_bucket{k="a",le="1"} 2
            test_size_bucket{k="a",le="2"} 3
            test_size_bucket{k="a",le="4"} 5
            test_size_bucket{k="a",le="+Inf"} 6
            test_size_sum{k="a"} 15
            test_size_count{k="a"} 6
            """.ReplaceLineEndings("\n"), text, StringComparison.Ordinal);
    }
}
