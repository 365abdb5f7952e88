using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Training;
using Rlhf.Topology.Tests.Infrastructure;

namespace Rlhf.Topology.Tests;

/// <summary>
/// Issue 7 item 5: restarts of one service process during a PPO run over the process topology. The reward and
/// reference services are stateless, so the orchestrator's retries carry the run through; the policy holds the run's
/// training state, so its restart fails the run fast with the resume command, and the resume completes it. Every test
/// checks that metrics.jsonl holds iterations 1..N exactly once.
/// </summary>
[Collection(TopologyCollection.Name)]
public sealed class RestartFailureTests(TopologyFixture fixture)
{
    private const int Iterations = 6;
    private const int KillAfterIteration = 2;

    [Fact]
    public async Task RunAsync_RewardProcessKilledAndRestarted_CompletesWithEveryIterationOnce()
    {
        await AssertRunRidesThroughRestartAsync("reward");
    }

    [Fact]
    public async Task RunAsync_ReferenceProcessKilledAndRestarted_CompletesWithEveryIterationOnce()
    {
        await AssertRunRidesThroughRestartAsync("reference");
    }

    [Fact]
    public async Task RunAsync_PolicyProcessKilledAndRestarted_FailsWithResumeMessageAndResumeCompletes()
    {
        using var dir = new TempDir();
        var config = fixture.RunConfig(Path.Combine(dir.Path, "run"), Iterations);
        Task? restart = null;
        var oldPid = fixture.Topology["policy"].ProcessId;

        var failure = await Assert.ThrowsAsync<ModelServiceRestartedException>(() => RunAsync(config, resume: false, (iteration, _) =>
        {
            if (iteration == KillAfterIteration)
            {
                fixture.Topology.Kill("policy");
                restart = Task.Run(() => fixture.Topology.RestartAsync("policy", CancellationToken.None));
            }
        }));

        Assert.Equal("policy", failure.Service);
        Assert.Equal($"policy service restarted ({failure.Reason}); resume with: rlhf ppo --resume {Path.GetFullPath(config.OutputDir)}", failure.Message);
        Assert.NotNull(restart);
        await restart;
        Assert.NotEqual(oldPid, fixture.Topology["policy"].ProcessId);
        Assert.Equal(KillAfterIteration, new RunDirectory(config.OutputDir).LatestCheckpoint()?.Iteration);
        Assert.Equal(Enumerable.Range(1, KillAfterIteration), MetricIterations(config));

        var resumed = await RunAsync(config, resume: true, (_, _) => { });

        Assert.Equal(Iterations, resumed.Summary["iterations"]);
        Assert.Equal(Enumerable.Range(1, Iterations), MetricIterations(config));
    }

    private async Task AssertRunRidesThroughRestartAsync(string service)
    {
        using var dir = new TempDir();
        var config = fixture.RunConfig(Path.Combine(dir.Path, "run"), Iterations);
        var oldPid = fixture.Topology[service].ProcessId;
        Task? restart = null;

        var result = await RunAsync(config, resume: false, (iteration, _) =>
        {
            if (iteration == KillAfterIteration)
            {
                fixture.Topology.Kill(service);
                restart = Task.Run(() => fixture.Topology.RestartAsync(service, CancellationToken.None));
            }
        });

        Assert.NotNull(restart);
        await restart;
        Assert.NotEqual(oldPid, fixture.Topology[service].ProcessId);
        Assert.Equal(Iterations, result.Summary["iterations"]);
        Assert.Equal(Enumerable.Range(1, Iterations), MetricIterations(config));
    }

    private static async Task<PpoRunResult> RunAsync(PpoConfig config, bool resume, Action<int, IReadOnlyDictionary<string, double>> iterationCompleted)
    {
        await using var environment = await RunEnvironment.StartAsync(config, Rlhf.Hosts.OrchestratorServiceHost.ModelServiceHosts, apiKey: null, progress: null, CancellationToken.None);
        Assert.Empty(environment.EmbeddedRoles);
        return await environment.RunAsync(new PpoRunOptions(Resume: resume, IterationCompleted: iterationCompleted), CancellationToken.None);
    }

    private static int[] MetricIterations(PpoConfig config) =>
        [.. new RunDirectory(config.OutputDir).ReadMetrics().Select(m => m.Iteration)];
}
