using Rlhf.Models;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;
using Rlhf.Engine.IO;
using Rlhf.ModelServices;
using Rlhf.Orchestration.Hosting;
using Rlhf.ServiceDefaults.Tests.Infrastructure;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Rlhf.ServiceDefaults.Tests;

/// <summary>
/// grpc.health.v1 (Grpc.AspNetCore.HealthChecks) over real HTTP/2, for <c>""</c> and the service's own name: NOT_SERVING
/// while the model loads, while the host drains, while the reward calibration is unusable, and while the
/// orchestrator's configured model services are unreachable; SERVING otherwise.
/// </summary>
public sealed class HealthTests
{
    [DataFact]
    public async Task ModelLoading_NotServingUntilLoadedThenServing()
    {
        var load = new GatedModelLoad();
        await using var policy = await RunningService.StartAsync(ServiceCatalog.Policy, replace: load.Replace, waitForModel: false);
        var client = new PolicyService.PolicyServiceClient(policy.Channel);

        var whileLoading = (await policy.HealthAsync(), await policy.HealthAsync(ServiceCatalog.Policy.FullName));
        var call = await Assert.ThrowsAsync<RpcException>(async () => await client.GetModelInfoAsync(new GetModelInfoRequest()));
        load.Open();
        await policy.App.Services.GetRequiredService<ModelHost>().Ready;
        var loaded = (await policy.HealthAsync(), await policy.HealthAsync(ServiceCatalog.Policy.FullName));

        Assert.Equal((ServingStatus.NotServing, ServingStatus.NotServing), whileLoading);
        Assert.Equal(StatusCode.Unavailable, call.StatusCode);
        Assert.Contains("still loading", call.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((ServingStatus.Serving, ServingStatus.Serving), loaded);
    }

    [DataFact]
    public async Task UnknownServiceName_NotFound()
    {
        await using var reference = await RunningService.StartAsync(ServiceCatalog.Reference);
        var e = await Assert.ThrowsAsync<RpcException>(() => reference.HealthAsync("rlhf.v1.NoSuchService"));
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    /// <summary>
    /// SIGTERM (the console lifetime's StopApplication) turns health NOT_SERVING at once while the server still
    /// accepts new connections and calls; the stop then waits Host:DrainSeconds on the host's clock before the port
    /// closes.
    /// </summary>
    [DataFact]
    public async Task Drain_NotServingWhileStillAcceptingForDrainSecondsThenStops()
    {
        var clock = new FakeTimeProvider();
        var reference = await RunningService.StartAsync(ServiceCatalog.Reference,
            new Dictionary<string, string?> { ["Host:DrainSeconds"] = "5" },
            configure: builder => builder.Services.AddSingleton<TimeProvider>(clock));
        var before = await reference.HealthAsync(ServiceCatalog.Reference.FullName);

        reference.App.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication(); // what SIGTERM does
        var draining = (await reference.HealthAsync(), await reference.HealthAsync(ServiceCatalog.Reference.FullName));
        var stop = reference.App.StopAsync();
        var delayed = !stop.IsCompleted;
        using (var fresh = GrpcChannel.ForAddress(reference.Address)) // a new connection is still accepted
            await new ReferenceService.ReferenceServiceClient(fresh).GetModelInfoAsync(new GetModelInfoRequest());
        var stillDelayed = !stop.IsCompleted;
        clock.Advance(TimeSpan.FromSeconds(5));
        await stop;

        Assert.Equal(ServingStatus.Serving, before);
        Assert.Equal((ServingStatus.NotServing, ServingStatus.NotServing), draining);
        Assert.True(delayed && stillDelayed, "the stop did not wait for Host:DrainSeconds");
        using var after = GrpcChannel.ForAddress(reference.Address);
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            await new ReferenceService.ReferenceServiceClient(after).GetModelInfoAsync(new GetModelInfoRequest()));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        await reference.App.DisposeAsync();
    }

    [Fact]
    public void DrainSeconds_Negative_RefusedNamingTheKey()
    {
        var e = Assert.Throws<InvalidOperationException>(() => RunningService.Build(ServiceCatalog.Reference, new Dictionary<string, string?> { ["Host:DrainSeconds"] = "-1" }));
        Assert.Contains("Host:DrainSeconds", e.Message, StringComparison.Ordinal);
    }

    [DataFact]
    public async Task RewardCalibrationInvalid_NotServingAndFailedPreconditionUntilAValidOneIsLoaded()
    {
        using var dir = new TempDir();
        var broken = TestData.CheckpointDirectory(dir.Sub("broken"));
        File.WriteAllText(Path.Combine(broken, RewardCalibration.FileName), """{"mean": 0.5, "std": 0, "count": 10}""");
        var good = TestData.CheckpointDirectory(dir.Sub("good"));
        File.WriteAllText(Path.Combine(good, RewardCalibration.FileName), new RewardCalibration(0.5, 2, 10, "test").ToJson());
        await using var reward = await RunningService.StartAsync(ServiceCatalog.Reward, new Dictionary<string, string?> { ["Model:Checkpoint"] = broken });
        var client = new RewardService.RewardServiceClient(reward.Channel);

        var unhealthy = (await reward.HealthAsync(), await reward.HealthAsync(ServiceCatalog.Reward.FullName));
        var score = await Assert.ThrowsAsync<RpcException>(async () => await client.ScoreResponsesAsync(Texts()));
        var report = await reward.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var info = await client.GetModelInfoAsync(new GetModelInfoRequest());
        var reloadBroken = await Assert.ThrowsAsync<RpcException>(async () => await client.LoadCheckpointAsync(new LoadCheckpointRequest { Path = broken }));
        await client.LoadCheckpointAsync(new LoadCheckpointRequest { Path = good });
        var healthy = (await reward.HealthAsync(), await reward.HealthAsync(ServiceCatalog.Reward.FullName));
        var scored = await client.ScoreResponsesAsync(Texts());

        Assert.Equal((ServingStatus.NotServing, ServingStatus.NotServing), unhealthy);
        Assert.Equal(StatusCode.FailedPrecondition, score.StatusCode);
        Assert.Contains("calibration.json", score.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("std", score.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[RewardCalibrationHealthCheck.Name].Status);
        Assert.Contains(broken, report.Entries[RewardCalibrationHealthCheck.Name].Description, StringComparison.Ordinal);
        Assert.Equal("rlhf.v1.RewardService", info.Service);
        Assert.Equal(StatusCode.FailedPrecondition, reloadBroken.StatusCode);
        Assert.Equal((ServingStatus.Serving, ServingStatus.Serving), healthy);
        Assert.Single(scored.Scores);
    }

    [DataFact]
    public async Task RewardCalibrationMissing_RequiredNotServing_OtherwiseServingRaw()
    {
        using var dir = new TempDir();
        var uncalibrated = TestData.CheckpointDirectory(dir.Sub("uncalibrated"));
        await using var required = await RunningService.StartAsync(ServiceCatalog.Reward, new Dictionary<string, string?>
        {
            ["Model:Checkpoint"] = uncalibrated,
            ["Reward:RequireCalibration"] = "true",
        });
        await using var optional = await RunningService.StartAsync(ServiceCatalog.Reward, new Dictionary<string, string?> { ["Model:Checkpoint"] = uncalibrated });

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await new RewardService.RewardServiceClient(required.Channel).ScoreResponsesAsync(Texts()));
        var raw = await new RewardService.RewardServiceClient(optional.Channel).ScoreResponsesAsync(Texts(includeRawScores: true));

        Assert.Equal(ServingStatus.NotServing, await required.HealthAsync(ServiceCatalog.Reward.FullName));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("Reward:RequireCalibration", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(ServingStatus.Serving, await optional.HealthAsync(ServiceCatalog.Reward.FullName));
        Assert.Equal(raw.RawScores, raw.Scores);
    }

    /// <summary>
    /// The orchestrator is SERVING only while the model services it is configured to use answer SERVING: an
    /// unreachable one (nothing listens on its port) or one still loading its model makes it NOT_SERVING, naming it.
    /// </summary>
    [DataFact]
    public async Task Orchestrator_ModelServiceUnreachableOrNotServing_NotServingNamingIt()
    {
        var load = new GatedModelLoad();
        await using var reference = await RunningService.StartAsync(ServiceCatalog.Reference);
        await using var loadingPolicy = await RunningService.StartAsync(ServiceCatalog.Policy, replace: load.Replace, waitForModel: false);
        var closed = $"http://127.0.0.1:{FreePort()}";

        await using var reachable = await RunningService.StartAsync(ServiceCatalog.Orchestrator, new Dictionary<string, string?>
        {
            ["Orchestrator:ReferenceUrl"] = reference.Address.ToString(),
        });
        await using var unreachable = await RunningService.StartAsync(ServiceCatalog.Orchestrator, new Dictionary<string, string?>
        {
            ["Orchestrator:ReferenceUrl"] = reference.Address.ToString(),
            ["Orchestrator:RewardUrl"] = closed,
            ["Orchestrator:PolicyUrl"] = loadingPolicy.Address.ToString(),
        });

        var down = (await unreachable.HealthAsync(), await unreachable.HealthAsync(ServiceCatalog.Orchestrator.FullName));
        var report = await unreachable.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var why = report.Entries[ModelServicesHealthCheck.Name].Description ?? "";

        Assert.Equal(ServingStatus.Serving, await reachable.HealthAsync(ServiceCatalog.Orchestrator.FullName));
        Assert.Equal((ServingStatus.NotServing, ServingStatus.NotServing), down);
        Assert.Contains($"rlhf.v1.RewardService at {closed} is unreachable: Unavailable", why, StringComparison.Ordinal);
        Assert.Contains($"rlhf.v1.PolicyService at {loadingPolicy.Address} is NotServing", why, StringComparison.Ordinal);
        Assert.DoesNotContain("ReferenceService", why, StringComparison.Ordinal);

        load.Open();
        await loadingPolicy.App.Services.GetRequiredService<ModelHost>().Ready;
        Assert.Equal(ServingStatus.NotServing, await unreachable.HealthAsync()); // the reward service is still down
    }

    [Fact]
    public void Orchestrator_HealthProbeSecondsNotPositive_RefusedNamingTheKey()
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => RunningService.Build(ServiceCatalog.Orchestrator, new Dictionary<string, string?> { ["Orchestrator:HealthProbeSeconds"] = "0" }));
        Assert.Contains("Orchestrator:HealthProbeSeconds", e.Message, StringComparison.Ordinal);
    }

    private static ScoreResponsesRequest Texts(bool includeRawScores = false) => new()
    {
        IncludeRawScores = includeRawScores,
        Sequences = { new Sequence { PromptText = "Once upon a time", ResponseText = " there was a cat." } },
    };

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
