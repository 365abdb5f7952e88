using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.TestHost;
using Rlhf.Contracts;
using Rlhf.Hosts;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Hosting.Topology;
using Rlhf.Orchestration.Training;
using Rlhf.Contracts.V1;
using Rlhf.Topology.Tests.Infrastructure;

namespace Rlhf.Topology.Tests;

/// <summary>The pieces without processes: topology files, the RunConfig mapping, retry patience and restart detection.</summary>
public sealed class UnitTests
{
    [Fact]
    public async Task TopologyConfigParse_FiveServices_OrdersThemAndGivesTheOrchestratorTheUrls()
    {
        var services = TopologyConfig.Parse("""
            services:
              orchestrator: { port: 6005 }
              reward: { port: 6004, checkpoint: r.bin }
              policy: { port: 6001, checkpoint: p.bin, tokenizer: t.bin, settings: { "Model:Threads": "1" } }
            """, "/base");

        var specs = await TopologyConfig.ResolveAsync(services.Select(s => s with { Host = "/x/" + s.Name + ".dll" }).ToList(), "Release", false, null, CancellationToken.None);

        Assert.Equal(["policy", "reward", "orchestrator"], services.Select(s => s.Name));
        Assert.Equal("/base/p.bin", services[0].Checkpoint);
        Assert.Equal(["/x/policy.dll", "--urls", "http://127.0.0.1:6001", "--Model:Checkpoint=/base/p.bin", "--Model:Tokenizer=/base/t.bin", "--Model:Threads=1"],
            specs[0].Arguments());
        Assert.Equal("http://127.0.0.1:6001", specs[2].Settings["Orchestrator:PolicyUrl"]);
        Assert.Equal("http://127.0.0.1:6004", specs[2].Settings["Orchestrator:RewardUrl"]);
        Assert.Equal("rlhf.v1.OrchestratorService", specs[2].GrpcService);
    }

    [Fact]
    public void TopologyConfigParse_UnknownServiceKeyAndSharedPort_ReportsEveryProblem()
    {
        var error = Assert.Throws<ConfigException>(() => TopologyConfig.Parse("""
            services:
              policy: { port: 7001, checkpoint: p.bin, threads: 2 }
              critic: { port: 7001, checkpoint: c.bin }
              actor: { port: 7003 }
              reference: { port: 7004 }
            """, "/base"));

        Assert.Contains("unknown key services.policy.threads", error.Message, StringComparison.Ordinal);
        Assert.Contains("port 7001 is used by policy and critic", error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown service 'actor'", error.Message, StringComparison.Ordinal);
        Assert.Contains("services.reference.checkpoint is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToOverrides_SetFieldsAndExtra_OnlySetKeysInFieldOrderThenExtra()
    {
        var config = new RunConfig { Algorithm = Algorithm.Grpo, BatchSize = 8, Cliprange = 0.1f, PromptsPath = "p.txt", Extra = { ["threads"] = "2" } };

        var overrides = RunConfigMapping.ToOverrides(config);

        Assert.Equal(["algorithm=grpo", "batch_size=8", "cliprange=0.1", "prompts.path=p.txt", "threads=2"], overrides);
    }

    [Fact]
    public void ToOverrides_ExtraKeyThatIsAField_ConfigException()
    {
        var config = new RunConfig { Extra = { ["batch_size"] = "8" } };

        var error = Assert.Throws<ConfigException>(() => RunConfigMapping.ToOverrides(config));

        Assert.Contains("extra key 'batch_size' is a RunConfig field", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromPpoConfig_Defaults_EveryFieldFilledIn()
    {
        var ppo = ConfigLoader.Parse<PpoConfig>("policy_model: p.bin\nreward_model: r.bin\ntokenizer: t.bin\nprompts:\n  path: s.txt\n", "/base");

        var wire = RunConfigMapping.FromPpoConfig(ppo);

        Assert.Equal(Algorithm.Ppo, wire.Algorithm);
        Assert.Equal(ppo.BatchSize, wire.BatchSize);
        Assert.Equal((float)ppo.LearningRate, wire.CriticLearningRate);
        Assert.Equal("k1", wire.KlEstimator);
        Assert.Equal("/base/s.txt", wire.PromptsPath);
        Assert.False(wire.HasTargetKl);
    }

    /// <summary>
    /// StartRun builds its run as <c>rlhf ppo</c> does (RunEnvironment with RewardModelBootstrap): a reward_model that
    /// does not exist and cannot be trained (no reward_config) is refused before the run starts, with the fix named.
    /// </summary>
    [Fact]
    public async Task StartRun_MissingRewardModelWithoutRewardConfig_FailedPreconditionNamingTheFix()
    {
        using var dir = new TempDir();
        var prompts = dir.File("prompts.txt", "Once upon a time there was a cat. It sat on the mat.\n");
        await using var app = OrchestratorServiceHost.Build([], new Dictionary<string, string?>
        {
            ["Orchestrator:RunsDirectory"] = dir.Dir("runs"),
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }, builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });
        var client = new OrchestratorService.OrchestratorServiceClient(channel);
        var config = new RunConfig
        {
            PromptsPath = prompts,
            Extra = { ["policy_model"] = dir.Sub("p.bin"), ["reward_model"] = dir.Sub("missing-reward"), ["tokenizer"] = dir.Sub("t.bin") },
        };

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.StartRunAsync(new StartRunRequest { RunId = "no-reward", Config = config }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("missing-reward' does not exist; train it first (rlhf train-reward) or set reward_config", error.Status.Detail);
    }

    /// <summary>
    /// The defaults that orchestrator_service.proto's RunConfig comments state ("Default 16.", "unset = none") are the
    /// ones StartRun applies: an empty RunConfig sent to the OrchestratorService (in-process invoker, the same handler as
    /// over HTTP/2; no base YAML, as the shipped appsettings.json) comes back in Run.config with each documented value.
    /// Every field must be documented one way or the other or be checked explicitly here.
    /// </summary>
    [Fact]
    public async Task StartRun_EmptyRunConfig_EffectiveConfigMatchesTheDefaultsTheProtoDocuments()
    {
        using var dir = new TempDir();
        var runs = dir.Dir("runs");
        var prompts = dir.File("prompts.txt", "Once upon a time there was a cat. It sat on the mat.\n");
        await using var app = OrchestratorServiceHost.Build([], new Dictionary<string, string?>
        {
            ["Orchestrator:RunsDirectory"] = runs,
            ["Serilog:MinimumLevel:Default"] = "Warning",
        }, builder => builder.WebHost.UseTestServer());
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });
        var client = new OrchestratorService.OrchestratorServiceClient(channel);
        // No field set; the keys without a built-in default come in extra (the paths need not be models: the run fails
        // in the background, after StartRun has answered; a missing reward_model without reward_config is refused first).
        RunConfig Unset() => new()
        {
            PromptsPath = prompts,
            Extra = { ["policy_model"] = dir.Sub("p.bin"), ["reward_model"] = dir.File("r.bin", ""), ["tokenizer"] = dir.Sub("t.bin") },
        };

        var effective = (await client.StartRunAsync(new StartRunRequest { RunId = "defaults", Config = Unset() })).Config;

        var documented = RunConfigComments(File.ReadAllText(Path.Combine(TestData.RepoRoot, "protos", "rlhf", "v1", "orchestrator_service.proto")));
        Assert.Equal(RunConfig.Descriptor.Fields.InFieldNumberOrder().Select(f => f.Name), documented.Keys);
        var checkedExplicitly = new[] { "critic_learning_rate", "output_dir", "prompts_path", "policy_url", "reference_url", "critic_url", "reward_url", "extra" };
        var disagreements = new List<string>();
        var undocumented = new List<string>();
        foreach (var (name, comment) in documented)
        {
            var field = RunConfig.Descriptor.FindFieldByName(name);
            if (Regex.Match(comment, @"\bDefault ([^\s:]+?)\.(?:\s|$)") is { Success: true } match)
            {
                var expected = Parse(field, match.Groups[1].Value);
                var actual = field.Accessor.GetValue(effective);
                if (field.FieldType == FieldType.Enum)
                    actual = Convert.ToInt32(actual, CultureInfo.InvariantCulture);
                if (!expected.Equals(actual))
                    disagreements.Add($"{name}: documented {match.Groups[1].Value}, applied {actual}");
            }
            else if (Regex.IsMatch(comment, @"\bunset\b"))
            {
                if (field.Accessor.HasValue(effective))
                    disagreements.Add($"{name}: documented unset, applied {field.Accessor.GetValue(effective)}");
            }
            else if (!checkedExplicitly.Contains(name))
            {
                undocumented.Add(name);
            }
        }
        Assert.Empty(disagreements);
        Assert.Empty(undocumented);

        // "Default: learning_rate" (followed when learning_rate is set); "" addresses fall back to the options' URLs,
        // here empty (in-process); "" output_dir is RunsDirectory/run_id.
        Assert.Equal(effective.LearningRate, effective.CriticLearningRate);
        var learningRate = Unset();
        learningRate.LearningRate = 3e-4f;
        var followed = (await client.StartRunAsync(new StartRunRequest { RunId = "lr", Config = learningRate })).Config;
        Assert.Equal(3e-4f, followed.CriticLearningRate);
        Assert.Equal(["", "", "", ""], new[] { effective.PolicyUrl, effective.ReferenceUrl, effective.CriticUrl, effective.RewardUrl });
        Assert.Equal(Path.Combine(runs, "defaults"), effective.OutputDir);
        Assert.Equal(prompts, effective.PromptsPath);
        // num_samples_per_prompt stays 1 for GRPO, which needs 2 or more: such a run must set it.
        var grpoConfig = Unset();
        grpoConfig.Algorithm = Algorithm.Grpo;
        var grpo = await Assert.ThrowsAsync<RpcException>(async () => await client.StartRunAsync(new StartRunRequest { RunId = "grpo", Config = grpoConfig }));
        Assert.Equal(StatusCode.InvalidArgument, grpo.StatusCode);
        Assert.Contains("num_samples_per_prompt must be ≥ 2 for algorithm grpo (got 1)", grpo.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>Each field of message RunConfig with its comment lines joined, in file order.</summary>
    private static Dictionary<string, string> RunConfigComments(string proto)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var comment = new List<string>();
        var lines = proto.Split('\n').Select(l => l.Trim()).SkipWhile(l => l != "message RunConfig {").Skip(1).TakeWhile(l => l != "}");
        foreach (var line in lines)
        {
            if (line.StartsWith("//", StringComparison.Ordinal))
                comment.Add(line[2..].Trim());
            else if (Regex.Match(line, @"^(?:optional\s+)?(?:map<[^>]*>|\S+)\s+(\w+)\s*=\s*\d+;") is { Success: true } field)
            {
                fields[field.Groups[1].Value] = string.Join(' ', comment);
                comment.Clear();
            }
        }
        return fields;
    }

    /// <summary>A documented default as the value the field's accessor returns (an enum as its number).</summary>
    private static object Parse(FieldDescriptor field, string text) => field.FieldType switch
    {
        FieldType.Float => float.Parse(text, CultureInfo.InvariantCulture),
        FieldType.Int32 => int.Parse(text, CultureInfo.InvariantCulture),
        FieldType.UInt64 => ulong.Parse(text, CultureInfo.InvariantCulture),
        FieldType.Bool => bool.Parse(text),
        FieldType.String => text.Trim('"'),
        FieldType.Enum => field.EnumType.Values.Single(v => v.Name.EndsWith("_" + text.ToUpperInvariant(), StringComparison.Ordinal)).Number,
        _ => throw new NotSupportedException($"{field.Name}: no parser for {field.FieldType}"),
    };

    [Fact]
    public void Attempts_ThirtySeconds_BackoffAddsUpToAtLeastThePatience()
    {
        var attempts = RetryPolicies.Attempts(TimeSpan.FromSeconds(30));

        var retries = attempts - 1;
        var total = Enumerable.Range(0, retries).Sum(k => Math.Min(RetryPolicies.InitialBackoff.TotalSeconds * Math.Pow(2, k), RetryPolicies.MaxBackoff.TotalSeconds));
        Assert.InRange(total, 30, 30 + RetryPolicies.MaxBackoff.TotalSeconds);
        Assert.Equal(1, RetryPolicies.Attempts(TimeSpan.Zero));
    }

    [Fact]
    public async Task TrainingServiceGuard_NewInstanceId_ThrowsRestartedWithResumeCommand()
    {
        var inner = new Scripted();
        var guard = new TrainingServiceGuard(ServiceCatalog.Policy, "/runs/a");
        var client = new PolicyService.PolicyServiceClient(inner.Invoker.Intercept(guard));
        inner.Next = Response(new AcquireTrainingLeaseResponse { ModelVersion = new ModelVersion { InstanceId = "one" } });
        await client.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest());
        inner.Next = Response(new GenerateResponse { ModelVersion = new ModelVersion { InstanceId = "two" } });

        var error = await Assert.ThrowsAsync<ModelServiceRestartedException>(() =>
            client.GenerateAsync(new GenerateRequest()).ResponseAsync);

        Assert.Equal("policy service restarted (new instance two, was one); resume with: rlhf ppo --resume /runs/a", error.Message);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Fact]
    public async Task TrainingServiceGuard_FailedPreconditionAfterLease_ThrowsLeaseLost()
    {
        var inner = new Scripted();
        var guard = new TrainingServiceGuard(ServiceCatalog.Critic, "/runs/b");
        var client = new CriticService.CriticServiceClient(inner.Invoker.Intercept(guard));
        inner.Next = Response(new AcquireTrainingLeaseResponse());
        await client.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest());
        inner.Next = Failure<BackwardResponse>(StatusCode.FailedPrecondition);

        var error = await Assert.ThrowsAsync<ModelServiceRestartedException>(() =>
            client.BackwardAsync(new BackwardRequest()).ResponseAsync);

        Assert.Equal("critic service restarted (lease lost); resume with: rlhf ppo --resume /runs/b", error.Message);
    }

    [Fact]
    public async Task TrainingServiceGuard_Unavailable_IdempotentPassesThroughNonIdempotentFailsFast()
    {
        var inner = new Scripted();
        var guard = new TrainingServiceGuard(ServiceCatalog.Policy, "/runs/c");
        var client = new PolicyService.PolicyServiceClient(inner.Invoker.Intercept(guard));
        inner.Next = Response(new AcquireTrainingLeaseResponse());
        await client.AcquireTrainingLeaseAsync(new AcquireTrainingLeaseRequest());

        inner.Next = Failure<GenerateResponse>(StatusCode.Unavailable);
        var retryable = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(new GenerateRequest()).ResponseAsync);
        inner.Next = Failure<OptimizerStepResponse>(StatusCode.Unavailable);
        var lost = await Assert.ThrowsAsync<ModelServiceRestartedException>(() =>
            client.OptimizerStepAsync(new OptimizerStepRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, retryable.StatusCode);
        Assert.IsNotType<ModelServiceRestartedException>(retryable);
        Assert.Equal("connection lost during OptimizerStep", lost.Reason);
    }

    [Fact]
    public async Task ModelConnections_RewardDownThenUp_IdempotentCallWaitsForIt()
    {
        // A reward "service" that refuses connections for a while: the retry policy keeps trying until it answers.
        var port = FreePorts.Take(1)[0];
        using var connections = new ModelConnections(new ModelEndpoints("http://127.0.0.1:1", "http://127.0.0.1:1", null, $"http://127.0.0.1:{port}"), "/runs/d",
            TimeSpan.FromSeconds(20), apiKey: null);

        var call = connections.Clients.Reward.GetModelInfoAsync(new GetModelInfoRequest()).ResponseAsync;
        await Task.Delay(1500);
        Assert.False(call.IsCompleted);
        var app = OrchestratorServiceHost.ModelServiceHosts.Reward(["--urls", $"http://127.0.0.1:{port}"],
            new Dictionary<string, string?> { ["Model:Checkpoint"] = TestData.Data("stories260K.bin"), ["Model:Threads"] = "1", ["Serilog:MinimumLevel:Default"] = "Warning" });
        await app.StartAsync();
        try
        {
            var info = await call;
            Assert.Equal("rlhf.v1.RewardService", info.Service);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static Func<object> Response<T>(T response) => () => response!;

    private static Func<object> Failure<T>(StatusCode code) => () => throw new RpcException(new Status(code, "scripted"));

    /// <summary>Answers each unary call with <see cref="Next"/>.</summary>
    private sealed class Scripted
    {
        public Scripted() => Invoker = new FakeCallInvoker((_, _, _) => Next());

        public Func<object> Next { get; set; } = () => throw new InvalidOperationException("no scripted response");

        public FakeCallInvoker Invoker { get; }
    }
}
