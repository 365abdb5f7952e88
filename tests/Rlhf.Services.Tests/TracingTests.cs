using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Rlhf.Contracts;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Rlhf.Orchestration.Training;
using Rlhf.ServiceDefaults;
using Rlhf.Services.Tests.Infrastructure;

namespace Rlhf.Services.Tests;

/// <summary>
/// Issue 12, item 6: one PPO iteration is one trace whose spans cover every RPC on all four model services, with the
/// trace context carried over the wire (W3C traceparent). The embedded suite runs as <c>rlhf ppo</c> runs it, under the
/// tracer provider <c>rlhf ppo</c> builds (<see cref="SuiteTracing.CreateTracerProvider"/>) with an in-memory exporter.
/// </summary>
public sealed class TracingTests
{
    /// <summary>grpc-dotnet's tag on the server span: <c>/pkg.Service/Method</c>.</summary>
    private const string ServerMethodTag = "grpc.method";

    /// <summary>The gRPC client instrumentation's tag on the client span: <c>pkg.Service/Method</c>.</summary>
    private const string ClientMethodTag = "rpc.method";

    [DataFact]
    public async Task PpoIteration_IsOneTraceWithServerSpansOfAllFourModelServices()
    {
        using var temp = new TempDir();
        var config = EmbeddedRun.Config(temp.Sub("traced"), iterations: 1);
        config.BatchSize = 2;
        config.MiniBatchSize = 2;
        config.PpoEpochs = 1;
        config.MaxNewTokens = 8;
        config.EvalPrompts = 2;
        var spans = new List<Activity>();

        // Disposing the provider after the services have stopped flushes every span.
        using (SuiteTracing.CreateTracerProvider("rlhf-test", otlpEndpoint: null, t => t.AddInMemoryExporter(spans)))
            await EmbeddedRun.RunAsync(config);

        var iteration = Assert.Single(spans, s => s.Source.Name == PpoTelemetry.SourceName && s.OperationName == PpoTelemetry.IterationActivity);
        Assert.Equal(default, iteration.ParentSpanId); // the root of its own trace
        Assert.Equal(1, iteration.GetTagItem(PpoTelemetry.IterationTag));
        var trace = spans.Where(s => s.TraceId == iteration.TraceId).ToList();
        var clients = trace.Where(s => s.Kind == ActivityKind.Client).ToList();
        var servers = trace.Where(s => s.Kind == ActivityKind.Server).ToList();

        // server spans of all four model services, for the rollout, scoring and training RPCs
        Assert.Equal(
            new[] { ServiceCatalog.Policy, ServiceCatalog.Reference, ServiceCatalog.Critic, ServiceCatalog.Reward }.Select(s => s.FullName).Order(),
            servers.Select(s => ServiceOf((string)s.GetTagItem(ServerMethodTag)!)).Distinct().Order());
        foreach (var method in new[] { "PolicyService/Generate", "PolicyService/ComputeLogProbs", "ReferenceService/ComputeLogProbs",
                     "CriticService/ComputeValues", "RewardService/ScoreResponses", "PolicyService/Backward", "PolicyService/OptimizerStep",
                     "CriticService/Backward", "CriticService/OptimizerStep" })
            Assert.Contains(servers, s => (string?)s.GetTagItem(ServerMethodTag) == "/rlhf.v1." + method);

        // every server span's parent is the client span of the same call, received over the wire
        foreach (var server in servers)
        {
            Assert.True(server.HasRemoteParent, $"{server.DisplayName}: the parent did not come from the request's headers");
            var client = Assert.Single(clients, c => c.SpanId == server.ParentSpanId);
            Assert.Equal(server.GetTagItem(ServerMethodTag), "/" + client.GetTagItem(ClientMethodTag));
        }
        Assert.Equal(clients.Count, servers.Count);

        // every call made during the iteration is in its trace
        var during = spans.Where(s => s.Kind == ActivityKind.Client && s.StartTimeUtc >= iteration.StartTimeUtc
            && s.StartTimeUtc + s.Duration <= iteration.StartTimeUtc + iteration.Duration).ToList();
        Assert.Equal(clients.Count, during.Count);
        Assert.All(during, s => Assert.Equal(iteration.TraceId, s.TraceId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddServiceDefaults_EmbeddedHostLeavesTracingToTheProgramThatEmbedsIt(bool embedded)
    {
        var settings = new Dictionary<string, string?>(EmbeddedSuite.HostSettings(new EmbeddedModel(TestData.Data(TestData.Stories260K), TestData.Data(TestData.Tok512)), threads: 1))
        {
            ["Host:Embedded"] = embedded ? "true" : "false",
        };

        // built, never started: the model is not loaded
        await using var app = OrchestratorServiceHost.ModelServiceHosts.Reward(["--urls", "http://127.0.0.1:0"], settings);

        // one tracer provider per process: a provider per embedded host would export every span once per host
        Assert.Equal(!embedded, app.Services.GetService<TracerProvider>() is not null);
    }

    /// <summary><c>/pkg.Service/Method</c> → <c>pkg.Service</c>.</summary>
    private static string ServiceOf(string method) => method.Split('/', StringSplitOptions.RemoveEmptyEntries)[0];
}
