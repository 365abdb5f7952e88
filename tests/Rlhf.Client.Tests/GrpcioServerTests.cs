using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;

namespace Rlhf.Client.Tests;

/// <summary>
/// Our client (the generated RewardService client through AddRlhfClient) against a grpcio server: Debian's
/// python3-grpcio serving RewardService with clients/python's stubs (tests/interop/grpcio_reward_server.py).
/// </summary>
public sealed class GrpcioServerTests : IAsyncLifetime
{
    private const string ApiKey = "interop-key-7";

    private Process? _server;
    private ServiceProvider? _provider;

    private RewardService.RewardServiceClient Client => _provider!.GetRequiredService<RewardService.RewardServiceClient>();

    public async Task InitializeAsync()
    {
        if (new PythonGrpcFactAttribute().Skip is not null)
            return;
        var start = new ProcessStartInfo(RepositoryPython.Interpreter)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
        };
        start.ArgumentList.Add(Path.Combine(RepositoryData.RepoRoot, "tests", "interop", "grpcio_reward_server.py"));
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        _server = Process.Start(start)!;
        var line = await _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
            throw new InvalidOperationException($"grpcio_reward_server.py printed '{line}' instead of PORT n");
        var services = new ServiceCollection();
        services.AddRlhfClient<RewardService.RewardServiceClient>(ServiceCatalog.Reward, $"http://127.0.0.1:{line[5..]}",
            new RlhfClientOptions { ApiKey = ApiKey, RetryPatience = TimeSpan.FromSeconds(1), DefaultDeadline = TimeSpan.FromSeconds(30) });
        _provider = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
            await _provider.DisposeAsync();
        if (_server is not null)
        {
            _server.StandardInput.Close();
            if (!_server.WaitForExit(30_000))
                _server.Kill(entireProcessTree: true);
            _server.Dispose();
        }
    }

    [PythonGrpcFact]
    public async Task ScoreResponses_GrpcioServer_AnswersAndReceivesTheBearerKey()
    {
        var request = new ScoreResponsesRequest { Sequences = { Text("ok", "four"), Text("ok", "sixsix") } };

        var scored = await Client.ScoreResponsesAsync(request);

        Assert.Equal([4f, 6f], scored.Scores);
        Assert.Equal("Bearer " + ApiKey, scored.ModelVersion.CheckpointId);
        Assert.Equal("grpcio", scored.ModelVersion.InstanceId);
    }

    [PythonGrpcFact]
    public async Task ScoreResponses_GrpcioAborts_StatusAndMessageArriveIntact()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.ScoreResponsesAsync(new ScoreResponsesRequest { Sequences = { Text("invalid", "") } }));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("sequence 0: response_text must not be empty", e.Status.Detail);
    }

    [PythonGrpcFact]
    public async Task ScoreResponses_Deadline_ReachesTheGrpcioHandlerAndEndsDeadlineExceeded()
    {
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ScoreResponsesAsync(new ScoreResponsesRequest { Sequences = { Text("slow", "x") } }, deadline: DateTime.UtcNow.AddMilliseconds(300)));

        // INTERNAL would mean grpcio never saw the deadline (grpc-timeout) and ran its 30 s out
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
    }

    [PythonGrpcFact]
    public async Task ScoreResponses_GrpcioUnavailableTwice_RetriedUntilItAnswers()
    {
        var key = "unavailable:2:" + Guid.NewGuid().ToString("N")[..8];

        var scored = await Client.ScoreResponsesAsync(new ScoreResponsesRequest { Sequences = { Text(key, "abc") } });

        Assert.Equal([3f], scored.Scores);
        Assert.Equal(3, scored.ModelVersion.Step);
    }

    [PythonGrpcFact]
    public async Task GetModelInfo_GrpcioServer_Answers()
    {
        var info = await Client.GetModelInfoAsync(new GetModelInfoRequest());

        Assert.Equal("rlhf.v1.RewardService", info.Service);
        Assert.Equal("grpcio-fake", info.Architecture);
    }

    private static Sequence Text(string prompt, string response) => new() { PromptText = prompt, ResponseText = response };
}
