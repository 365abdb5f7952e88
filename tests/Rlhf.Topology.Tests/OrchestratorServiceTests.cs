using Grpc.Core;
using Grpc.Net.Client;
using Rlhf.Contracts.V1;
using Rlhf.Topology.Tests.Infrastructure;

namespace Rlhf.Topology.Tests;

/// <summary>
/// rlhf.v1.OrchestratorService over gRPC, as its own process beside the four model processes (the five-process
/// topology of <c>rlhf up</c>): a run started with StartRun trains against the model processes, WatchRun streams its
/// iterations, and every error is a precise status.
/// </summary>
[Collection(TopologyCollection.Name)]
public sealed class OrchestratorServiceTests(TopologyFixture fixture) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(fixture.Url("orchestrator"));

    private OrchestratorService.OrchestratorServiceClient Client => new(_channel);

    public void Dispose() => _channel.Dispose();

    [Fact]
    public async Task StartRun_SmallRun_WatchRunStreamsEveryIterationAndRunSucceedsWithGates()
    {
        var runId = "e2e-" + Guid.NewGuid().ToString("N")[..6];

        var started = await Client.StartRunAsync(new StartRunRequest { RunId = runId, Config = SmallRun(iterations: 2), Gates = { "iterations>=2" } });
        var streamed = new List<IterationMetrics>();
        using (var watch = Client.WatchRun(new WatchRunRequest { RunId = runId }))
        {
            await foreach (var metrics in watch.ResponseStream.ReadAllAsync())
                streamed.Add(metrics);
        }
        var run = await Client.GetRunAsync(new GetRunRequest { RunId = runId });

        Assert.Equal(RunState.Pending, started.State);
        Assert.Equal(4, started.Config.BatchSize);
        Assert.Equal([1, 2], streamed.Select(m => m.Iteration));
        Assert.All(streamed, m => Assert.True(m.Metrics.ContainsKey("objective/kl")));
        Assert.Equal(RunState.Succeeded, run.State);
        Assert.Equal(2, run.IterationsDone);
        Assert.Equal(2, run.Latest.Iteration);
        Assert.Equal(["PASS iterations>=2 (2)"], run.GateResults);
        Assert.True(run.Summary.ContainsKey("score_gain"));
        Assert.Equal(Path.Combine(fixture.RunsDirectory, runId), run.OutputDir);
        Assert.True(File.Exists(Path.Combine(run.OutputDir, "summary.json")));

        var duplicate = await Assert.ThrowsAsync<RpcException>(async () => await Client.StartRunAsync(new StartRunRequest { RunId = runId, Config = SmallRun(iterations: 2) }));
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        var cancelEnded = await Assert.ThrowsAsync<RpcException>(async () => await Client.CancelRunAsync(new CancelRunRequest { RunId = runId }));
        Assert.Equal(StatusCode.FailedPrecondition, cancelEnded.StatusCode);
        using var again = Client.WatchRun(new WatchRunRequest { RunId = runId });
        var replayed = new List<int>();
        await foreach (var metrics in again.ResponseStream.ReadAllAsync())
            replayed.Add(metrics.Iteration);
        Assert.Equal([1, 2], replayed);
    }

    [Fact]
    public async Task CancelRun_RunningRun_EndsCancelled()
    {
        var runId = "cancel-" + Guid.NewGuid().ToString("N")[..6];
        await Client.StartRunAsync(new StartRunRequest { RunId = runId, Config = SmallRun(iterations: 200) });
        using (var watch = Client.WatchRun(new WatchRunRequest { RunId = runId }))
            Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));

        await Client.CancelRunAsync(new CancelRunRequest { RunId = runId });
        using (var rest = Client.WatchRun(new WatchRunRequest { RunId = runId }))
        {
            await foreach (var _ in rest.ResponseStream.ReadAllAsync())
            {
            }
        }
        var run = await Client.GetRunAsync(new GetRunRequest { RunId = runId });

        Assert.Equal(RunState.Cancelled, run.State);
        Assert.InRange(run.IterationsDone, 1, 199);
    }

    [Fact]
    public async Task StartRun_UnknownExtraKey_InvalidArgumentNamingTheKey()
    {
        var config = SmallRun(iterations: 1);
        config.Extra["kl_coeff"] = "0.1";

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.StartRunAsync(new StartRunRequest { Config = config }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("unknown key 'kl_coeff'", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("kl_coef", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartRun_OutOfRangeFieldAndBadGate_InvalidArgument()
    {
        var config = SmallRun(iterations: 1);
        config.Cliprange = 2f;
        var badGate = new StartRunRequest { Config = SmallRun(iterations: 1), Gates = { "score_gain>>1" } };
        var unknownMetric = new StartRunRequest { Config = SmallRun(iterations: 1), Gates = { "score_gian>=1" } };

        var range = await Assert.ThrowsAsync<RpcException>(async () => await Client.StartRunAsync(new StartRunRequest { Config = config }));
        var gate = await Assert.ThrowsAsync<RpcException>(async () => await Client.StartRunAsync(badGate));
        var metric = await Assert.ThrowsAsync<RpcException>(async () => await Client.StartRunAsync(unknownMetric));

        Assert.Equal(StatusCode.InvalidArgument, range.StatusCode);
        Assert.Contains("cliprange", range.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, gate.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, metric.StatusCode);
        Assert.Contains("unknown metric 'score_gian'; nearest valid metrics: score_gain", metric.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartRun_ResumeFromDirectoryWithoutCheckpoint_FailedPrecondition()
    {
        using var dir = new TempDir();

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.StartRunAsync(new StartRunRequest { Config = SmallRun(iterations: 1), ResumeFrom = dir.Path }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Fact]
    public async Task GetWatchCancel_UnknownRun_NotFound()
    {
        var get = await Assert.ThrowsAsync<RpcException>(async () => await Client.GetRunAsync(new GetRunRequest { RunId = "no-such-run" }));
        var cancel = await Assert.ThrowsAsync<RpcException>(async () => await Client.CancelRunAsync(new CancelRunRequest { RunId = "no-such-run" }));
        using var watch = Client.WatchRun(new WatchRunRequest { RunId = "no-such-run" });
        var stream = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.NotFound, get.StatusCode);
        Assert.Equal(StatusCode.NotFound, cancel.StatusCode);
        Assert.Equal(StatusCode.NotFound, stream.StatusCode);
    }

    [Fact]
    public async Task ListRuns_PageSizeOne_PagesNewestFirstAndRejectsForeignToken()
    {
        var older = "list-a-" + Guid.NewGuid().ToString("N")[..6];
        var newer = "list-b-" + Guid.NewGuid().ToString("N")[..6];
        await Client.StartRunAsync(new StartRunRequest { RunId = older, Config = SmallRun(iterations: 200) });
        await Client.StartRunAsync(new StartRunRequest { RunId = newer, Config = SmallRun(iterations: 200) });
        await Client.CancelRunAsync(new CancelRunRequest { RunId = newer });
        await Client.CancelRunAsync(new CancelRunRequest { RunId = older });

        var first = await Client.ListRunsAsync(new ListRunsRequest { PageSize = 1 });
        var second = await Client.ListRunsAsync(new ListRunsRequest { PageSize = 1, PageToken = first.NextPageToken });
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.ListRunsAsync(new ListRunsRequest { PageToken = "not-a-token" }));
        await WaitEndedAsync(older);
        await WaitEndedAsync(newer);

        Assert.Equal(newer, Assert.Single(first.Runs).RunId);
        Assert.Equal(older, Assert.Single(second.Runs).RunId);
        Assert.NotEqual("", first.NextPageToken);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private async Task WaitEndedAsync(string runId)
    {
        using var watch = Client.WatchRun(new WatchRunRequest { RunId = runId });
        await foreach (var _ in watch.ResponseStream.ReadAllAsync())
        {
        }
    }

    /// <summary>A tiny run: the proto fields for the batch shape, the YAML keys without a field in <c>extra</c>.</summary>
    private static RunConfig SmallRun(int iterations) => new()
    {
        Algorithm = Algorithm.Ppo,
        BatchSize = 4,
        MiniBatchSize = 2,
        PpoEpochs = 1,
        Iterations = iterations,
        MaxNewTokens = 12,
        Temperature = 1f,
        Seed = 3,
        PromptsPath = TestData.Data("tinystories_train_head.txt"),
        Extra =
        {
            ["tokenizer"] = TestData.Data("tok512.bin"),
            ["eval_prompts"] = "4",
            ["eval_every"] = "0",
            ["sample_every"] = "0",
            ["save_every"] = "1",
            ["prompts.max_prompts"] = "64",
        },
    };
}
