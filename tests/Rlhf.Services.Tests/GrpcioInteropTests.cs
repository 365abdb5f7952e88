using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Rlhf.Contracts.V1;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Rlhf.ServiceDefaults;
using Rlhf.Services.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Rlhf.Services.Tests;

/// <summary>
/// An independently written client, Debian's python3-grpcio with hand-encoded messages
/// (tests/interop/grpcio_services_check.py), against every service of the suite hosted as its executable hosts it:
/// health for "" and the service's name, the reflection listing, UNIMPLEMENTED for an unknown method, a unary call, an
/// error whose status and message must equal what our own client sees, a server stream (StreamGenerate; WatchRun of a
/// finished run) and a deadline that ends DEADLINE_EXCEEDED (a large batch; WatchRun of a running run).
/// </summary>
public sealed class GrpcioInteropTests(ITestOutputHelper output)
{
    private static readonly string[] ModelServiceNames =
        ["rlhf.v1.PolicyService", "rlhf.v1.ReferenceService", "rlhf.v1.CriticService", "rlhf.v1.RewardService"];

    [GrpcioDataFact]
    public async Task GrpcioClient_EveryService_HealthReflectionUnaryErrorStreamAndDeadline()
    {
        var roles = new[] { ModelRole.Policy, ModelRole.Reference, ModelRole.Critic, ModelRole.Reward };
        var hosts = new List<HostedModelService>();
        using var runs = new TempDir();
        WebApplication? orchestrator = null;
        try
        {
            foreach (var role in roles)
                hosts.Add(await HostedModelService.StartAsync(role));
            orchestrator = OrchestratorServiceHost.Build(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string?>
            {
                ["Orchestrator:PolicyUrl"] = hosts[0].Address.ToString(),
                ["Orchestrator:ReferenceUrl"] = hosts[1].Address.ToString(),
                ["Orchestrator:CriticUrl"] = hosts[2].Address.ToString(),
                ["Orchestrator:RewardUrl"] = hosts[3].Address.ToString(),
                ["Orchestrator:RunsDirectory"] = runs.Path,
                ["Orchestrator:MaxConcurrentRuns"] = "2",
                ["Serilog:MinimumLevel:Default"] = "Warning",
                ["Auth:Enabled"] = "false",
            });
            await orchestrator.StartAsync();
            using var channel = GrpcChannel.ForAddress(orchestrator.BoundAddress());
            var control = new OrchestratorService.OrchestratorServiceClient(channel);
            // a finished run for WatchRun to replay, and a running one for the deadline
            await control.StartRunAsync(new StartRunRequest { RunId = "interop-done", Config = SmallRun(iterations: 1) });
            using (var watch = control.WatchRun(new WatchRunRequest { RunId = "interop-done" }))
                await foreach (var _ in watch.ResponseStream.ReadAllAsync()) { }
            await control.StartRunAsync(new StartRunRequest { RunId = "interop-running", Config = SmallRun(iterations: 500) });
            using (var watch = control.WatchRun(new WatchRunRequest { RunId = "interop-running" }))
                Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));

            var targets = roles.Select((r, i) => $"{hosts[i].ServiceName}={hosts[i].Address.Authority}")
                .Append($"rlhf.v1.OrchestratorService={orchestrator.BoundAddress().Authority}");
            var script = Path.Combine(RepositoryData.RepoRoot, "tests", "interop", "grpcio_services_check.py");
            var (exitCode, stdout) = await Task.Run(() => RepositoryPython.Run(
                [script, "--watch", "interop-done:1", "--running", "interop-running", .. targets], TimeSpan.FromMinutes(5)));
            output.WriteLine(stdout);
            await control.CancelRunAsync(new CancelRunRequest { RunId = "interop-running" });

            using var report = JsonDocument.Parse(stdout[stdout.IndexOf('{')..]);
            var checks = report.RootElement.GetProperty("checks").EnumerateArray()
                .Select(c => (Service: c.GetProperty("service").GetString()!, Check: c.GetProperty("check").GetString()!, Ok: c.GetProperty("ok").GetBoolean(),
                    Detail: c.GetProperty("detail").GetString()))
                .ToList();
            Assert.True(exitCode == 0, stdout);
            Assert.All(checks, c => Assert.True(c.Ok, $"{c.Service} {c.Check}: {c.Detail}"));
            string[] common = ["health((server))", "reflection", "unknown", "unary", "error", "deadline"];
            foreach (var service in ModelServiceNames.Append("rlhf.v1.OrchestratorService"))
            {
                var expected = common.Prepend($"health({service})").Concat(service is "rlhf.v1.PolicyService" or "rlhf.v1.OrchestratorService" ? ["stream"] : []);
                Assert.Equal(expected.Order(), checks.Where(c => c.Service == service).Select(c => c.Check).Order());
            }

            // grpcio saw exactly the status and message our client sees for the same bad request
            var errors = report.RootElement.GetProperty("errors");
            var ours = new Dictionary<string, RpcException>
            {
                ["rlhf.v1.PolicyService"] = await OursAsync(() => hosts[0].Policy.GenerateAsync(new GenerateRequest()).ResponseAsync),
                ["rlhf.v1.ReferenceService"] = await OursAsync(() => hosts[1].Reference.ComputeLogProbsAsync(new ComputeLogProbsRequest()).ResponseAsync),
                ["rlhf.v1.CriticService"] = await OursAsync(() => hosts[2].Critic.ComputeValuesAsync(new ComputeValuesRequest()).ResponseAsync),
                ["rlhf.v1.RewardService"] = await OursAsync(() => hosts[3].Reward.ScoreResponsesAsync(new ScoreResponsesRequest()).ResponseAsync),
                ["rlhf.v1.OrchestratorService"] = await OursAsync(() => control.GetRunAsync(new GetRunRequest { RunId = "no-such-run" }).ResponseAsync),
            };
            foreach (var (service, e) in ours)
            {
                var seen = errors.GetProperty(service);
                Assert.Equal(service == "rlhf.v1.OrchestratorService" ? StatusCode.NotFound : StatusCode.InvalidArgument, e.StatusCode);
                Assert.Equal(Rlhf.Contracts.ExitCodePolicy.StatusName(e.StatusCode), seen.GetProperty("code").GetString());
                Assert.Equal(e.Status.Detail, seen.GetProperty("details").GetString());
            }
        }
        finally
        {
            if (orchestrator is not null)
            {
                await orchestrator.StopAsync();
                await orchestrator.DisposeAsync();
            }
            foreach (var host in hosts)
                await host.DisposeAsync();
        }
    }

    private static async Task<RpcException> OursAsync(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

    private static RunConfig SmallRun(int iterations) => new()
    {
        Algorithm = Algorithm.Ppo,
        BatchSize = 2,
        MiniBatchSize = 2,
        PpoEpochs = 1,
        Iterations = iterations,
        MaxNewTokens = 8,
        Temperature = 1f,
        Seed = 5,
        PromptsPath = TestData.Data(TestData.TinyStories),
        Extra =
        {
            ["tokenizer"] = TestData.Data(TestData.Tok512),
            ["eval_prompts"] = "2",
            ["eval_every"] = "0",
            ["sample_every"] = "0",
            ["save_every"] = "0",
            ["prompts.max_prompts"] = "16",
        },
    };
}
