using Google.Protobuf;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;
using Rlhf.ServiceDefaults.Authentication;
using Rlhf.ServiceDefaults.Tests.Infrastructure;
using Serilog.Events;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Rlhf.ServiceDefaults.Tests;

/// <summary>
/// API keys, scopes and the request log line on real hosts over HTTP/2: scopes on the training RPCs of policy and
/// critic, health and reflection open without a key, secrets never in the log, and one structured line per call
/// (method, status, duration, peer) for every outcome.
/// </summary>
public sealed class AuthAndLoggingTests
{
    private const string ScoreSecret = "sk-score-3b9e7c11d2";
    private const string TrainSecret = "sk-train-8f41aa90c7";
    private const string UnknownSecret = "sk-unknown-55d0e2b1a4";

    private static Dictionary<string, string?> Keys(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "true",
            ["Auth:Keys:0:Name"] = "team-score",
            ["Auth:Keys:0:Key"] = ScoreSecret,
            ["Auth:Keys:0:Scopes:0"] = "score",
            ["Auth:Keys:1:Name"] = "trainer",
            ["Auth:Keys:1:Key"] = TrainSecret,
            ["Auth:Keys:1:Scopes:0"] = "train",
        };
        foreach (var (key, value) in more ?? [])
            settings[key] = value;
        return settings;
    }

    /// <summary>
    /// A key with only <c>score</c> is refused every training RPC of policy and critic with PERMISSION_DENIED naming
    /// <c>train</c>; a <c>train</c> key gets past authorization to the service's own checks (here: no lease).
    /// </summary>
    [DataTheory]
    [InlineData("policy")]
    [InlineData("critic")]
    public async Task TrainingRpcs_WithoutTrainScope_PermissionDenied(string name)
    {
        var service = ServiceCatalog.Find(name)!;
        await using var host = await RunningService.StartAsync(service, Keys());
        var training = new[] { "Backward", "OptimizerStep", "AcquireTrainingLease", "ReleaseTrainingLease", "SaveCheckpoint", "LoadCheckpoint" };

        foreach (var method in training)
        {
            var denied = await Assert.ThrowsAsync<RpcException>(() => Raw.UnaryAsync(host.Invoker(ScoreSecret), service.FullName, method));
            Assert.True(denied.StatusCode == StatusCode.PermissionDenied, $"{method}: {denied.Status}");
            Assert.Contains("'team-score' lacks the scope 'train'", denied.Status.Detail, StringComparison.Ordinal);
            Assert.Contains(method, denied.Status.Detail, StringComparison.Ordinal);
        }
        var backward = await Assert.ThrowsAsync<RpcException>(() => Raw.UnaryAsync(host.Invoker(TrainSecret), service.FullName, "Backward",
            new BackwardRequest { RunId = "run-1", ForwardId = "f" }.ToByteArray()));
        Assert.Equal(StatusCode.FailedPrecondition, backward.StatusCode);
    }

    [DataFact]
    public async Task HealthAndReflection_OpenWithoutAKey()
    {
        await using var reward = await RunningService.StartAsync(ServiceCatalog.Reward, Keys());

        var health = await reward.HealthAsync(ServiceCatalog.Reward.FullName);
        var reflection = new ServerReflection.ServerReflectionClient(reward.Channel).ServerReflectionInfo();
        await reflection.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await reflection.RequestStream.CompleteAsync();
        Assert.True(await reflection.ResponseStream.MoveNext(CancellationToken.None));
        var listed = reflection.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        var anonymous = await Assert.ThrowsAsync<RpcException>(async () => await new RewardService.RewardServiceClient(reward.Channel).GetModelInfoAsync(new GetModelInfoRequest()));

        Assert.Equal(ServingStatus.Serving, health);
        Assert.Contains(ServiceCatalog.Reward.FullName, listed);
        Assert.Contains("grpc.health.v1.Health", listed);
        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
    }

    /// <summary>
    /// With every logger at Verbose (ASP.NET Core's authentication and gRPC's own included), calls with a valid key,
    /// an unknown key and a malformed header leave no secret anywhere in the log: not in a message, not in a property.
    /// </summary>
    [DataFact]
    public async Task ApiKeys_NeverLogged()
    {
        await using var reward = await RunningService.StartAsync(ServiceCatalog.Reward, Keys(new()
        {
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Grpc"] = "Verbose",
        }));
        var client = (string? key) => new RewardService.RewardServiceClient(reward.Invoker(key));

        await client(ScoreSecret).GetModelInfoAsync(new GetModelInfoRequest());
        await Assert.ThrowsAsync<RpcException>(async () => await client(UnknownSecret).GetModelInfoAsync(new GetModelInfoRequest()));
        await Assert.ThrowsAsync<RpcException>(async () => await client(TrainSecret).ScoreResponsesAsync(new ScoreResponsesRequest()));
        var malformed = new Metadata { { "authorization", "Basic " + UnknownSecret } };
        await Assert.ThrowsAsync<RpcException>(async () => await new RewardService.RewardServiceClient(reward.Channel).GetModelInfoAsync(new GetModelInfoRequest(), malformed));
        await reward.Log.WaitUntilAsync(events => events.Count(e => e.Properties.ContainsKey(ServiceDefaultsExtensions.MethodProperty)
            && CapturedLog.Scalar(e, ServiceDefaultsExtensions.MethodProperty) as string != "/grpc.health.v1.Health/Check") >= 4);

        Assert.Contains(reward.Log.Events, e => e.MessageTemplate.Text.Contains("API key refused", StringComparison.Ordinal)); // the failures were logged
        foreach (var e in reward.Log.Events)
        {
            var text = e.RenderMessage() + " " + string.Join(" ", e.Properties.Values) + " " + e.Exception;
            foreach (var secret in new[] { ScoreSecret, TrainSecret, UnknownSecret })
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"secret logged in: {text}");
        }
    }

    /// <summary>
    /// One Information line per call with the method, the status code name as grpc-dotnet recorded it, the duration
    /// and the peer: for a success, an unknown method (UNIMPLEMENTED), a missing key (UNAUTHENTICATED), a missing
    /// scope (PERMISSION_DENIED), an oversized message (RESOURCE_EXHAUSTED) and a refusal by the service itself.
    /// </summary>
    [DataFact]
    public async Task RequestLog_OneStructuredLinePerCall_ForEveryOutcome()
    {
        await using var reference = await RunningService.StartAsync(ServiceCatalog.Reference, Keys(new()
        {
            ["Serilog:MinimumLevel:Default"] = "Information",
            ["Grpc:MaxReceiveMessageBytes"] = "4096",
        }));
        var service = ServiceCatalog.Reference.FullName;
        var calls = new (string Method, string Status, Func<Task> Call)[]
        {
            ($"/{service}/GetModelInfo", "OK", () => Raw.UnaryAsync(reference.Invoker(ScoreSecret), service, "GetModelInfo")),
            ($"/{service}/NoSuchMethod", "Unimplemented", () => Raw.UnaryAsync(reference.Invoker(ScoreSecret), service, "NoSuchMethod")),
            ("/rlhf.v9.NoSuchService/Call", "Unimplemented", () => Raw.UnaryAsync(reference.Invoker(ScoreSecret), "rlhf.v9.NoSuchService", "Call")),
            ($"/{service}/ComputeLogProbs", "Unauthenticated", () => Raw.UnaryAsync(reference.Invoker(), service, "ComputeLogProbs")),
            ($"/{service}/ComputeLogProbs", "PermissionDenied", () => Raw.UnaryAsync(reference.Invoker(ScoreSecret), service, "ComputeLogProbs")),
            ($"/{service}/ComputeLogProbs", "ResourceExhausted", () => Raw.UnaryAsync(reference.Invoker(TrainSecret), service, "ComputeLogProbs", new byte[8192])),
            ($"/{service}/ComputeLogProbs", "InvalidArgument", () => Raw.UnaryAsync(reference.Invoker(TrainSecret), service, "ComputeLogProbs")),
        };
        foreach (var (method, status, call) in calls)
        {
            var answered = status == "OK" ? StatusCode.OK : await StatusOfAsync(call);
            if (status == "OK")
                await call();
            Assert.Equal(status, answered.ToString());
        }

        foreach (var (method, status, _) in calls)
        {
            var line = await reference.Log.RequestLineAsync(method, status);
            Assert.Equal(LogEventLevel.Information, line.Level);
            Assert.IsType<double>(CapturedLog.Scalar(line, "Elapsed"));
            Assert.StartsWith("127.0.0.1:", CapturedLog.Scalar(line, ServiceDefaultsExtensions.PeerProperty) as string, StringComparison.Ordinal);
            Assert.Contains($"gRPC {method} {status} in ", line.RenderMessage(), StringComparison.Ordinal);
        }
        Assert.Equal(calls.Length, reference.Log.RequestLines.Count(e => CapturedLog.Scalar(e, ServiceDefaultsExtensions.MethodProperty) as string != "/grpc.health.v1.Health/Check"));
    }

    /// <summary>
    /// Hosts sharing a process (the embedded suite of <c>rlhf ppo</c>, tests) each write their request lines to their own
    /// logger: none to another host's sinks, as happened while Serilog's request logging used the static logger.
    /// </summary>
    [DataFact]
    public async Task RequestLog_HostsInOneProcess_EachLineOnItsOwnHostsLogger()
    {
        await using var policy = await RunningService.StartAsync(ServiceCatalog.Policy, new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Information" });
        await using var reference = await RunningService.StartAsync(ServiceCatalog.Reference, new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Information" });

        await Raw.UnaryAsync(policy.Invoker(), ServiceCatalog.Policy.FullName, "GetModelInfo");
        await Raw.UnaryAsync(reference.Invoker(), ServiceCatalog.Reference.FullName, "GetModelInfo");
        await policy.Log.RequestLineAsync($"/{ServiceCatalog.Policy.FullName}/GetModelInfo", "OK");
        await reference.Log.RequestLineAsync($"/{ServiceCatalog.Reference.FullName}/GetModelInfo", "OK");

        Assert.All(policy.Log.Events, e => Assert.Equal(ServiceCatalog.Policy.FullName, CapturedLog.Scalar(e, "service")));
        Assert.All(reference.Log.Events, e => Assert.Equal(ServiceCatalog.Reference.FullName, CapturedLog.Scalar(e, "service")));
    }

    /// <summary>The constant-time lookup matches a key exactly: never a prefix, an extension, another key or an empty secret.</summary>
    [Fact]
    public void KeyLookup_MatchesExactlyOneWholeKey()
    {
        var keys = new List<ApiKey>
        {
            new() { Name = "empty", Key = "", Scopes = ["score"] },
            new() { Name = "a", Key = "secret-a", Scopes = ["score"] },
            new() { Name = "b", Key = "secret-b-longer", Scopes = ["train"] },
        };

        Assert.Equal("a", ApiKeyAuthenticationHandler.Find(keys, "secret-a")?.Name);
        Assert.Equal("b", ApiKeyAuthenticationHandler.Find(keys, "secret-b-longer")?.Name);
        foreach (var wrong in new[] { "", "secret-", "secret-a ", "secret-ab", "secret-b", "SECRET-A", "secret-b-longer-still" })
            Assert.Null(ApiKeyAuthenticationHandler.Find(keys, wrong));
    }

    private static async Task<StatusCode> StatusOfAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        return e.StatusCode;
    }
}

/// <summary>Calls any method with raw message bytes (default: the empty message).</summary>
internal static class Raw
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    public static async Task UnaryAsync(CallInvoker invoker, string service, string method, byte[]? request = null, CallOptions options = default) =>
        await invoker.AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, service, method, Bytes, Bytes), null, options, request ?? []);
}
