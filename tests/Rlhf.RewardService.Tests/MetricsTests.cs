using Rlhf.RewardService.Tests.Infrastructure;
using Rlhf.ServiceDefaults;

namespace Rlhf.RewardService.Tests;

/// <summary>
/// Runs alone: a host's meter provider sees every meter of the process by name, so hosts of tests running beside it
/// would add their calls to its counts.
/// </summary>
[Collection(MetricsCollection.Name)]
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
        // OpenTelemetry's Prometheus exporter: our meters with their method/status tags, after the scope label
        Assert.Contains("# TYPE rlhf_grpc_server_requests_total counter", text, StringComparison.Ordinal);
        Assert.Matches("""rlhf_grpc_server_requests_total\{[^}]*method="/rlhf\.v1\.RewardService/ScoreResponses",status="OK"\} 2\n""", text);
        Assert.Contains("# TYPE rlhf_grpc_server_duration_milliseconds histogram", text, StringComparison.Ordinal);
        Assert.Matches("""rlhf_grpc_server_duration_milliseconds_count\{[^}]*method="/rlhf\.v1\.RewardService/ScoreResponses",status="OK"\} 2\n""", text);
        Assert.Matches("""rlhf_reward_sequences_total\{[^}]*\} 3\n""", text);
        Assert.Contains("rlhf_reward_batch_size_bucket{", text, StringComparison.Ordinal);
    }
}

/// <summary>The collection of <see cref="MetricsTests"/>, run after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "metrics";
}
