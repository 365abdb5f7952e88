using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Rlhf.Contracts.V1;
using Rlhf.ServiceDefaults;

namespace Rlhf.RewardService.Tests.Infrastructure;

/// <summary>
/// A model service host started in-process exactly as its executable starts it
/// (its host's <c>Build</c>), on 127.0.0.1 with a free port, with a channel to it.
/// </summary>
internal sealed class ServiceHost : IAsyncDisposable
{
    private ServiceHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Channel = GrpcChannel.ForAddress(address);
    }

    /// <summary>The host.</summary>
    public WebApplication App { get; }

    /// <summary>The gRPC address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>A channel to <see cref="Address"/>.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>
    /// Starts <paramref name="role"/> serving <paramref name="checkpoint"/> (default: the shared reward checkpoint) with
    /// <paramref name="settings"/> over the test defaults (one engine thread, warnings only, auth off).
    /// </summary>
    public static async Task<ServiceHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, ModelRole role = ModelRole.Reward, string? checkpoint = null)
    {
        var merged = new Dictionary<string, string?>
        {
            ["Model:Checkpoint"] = checkpoint ?? (role == ModelRole.Reward ? TestData.RewardCheckpoint : TestData.Model),
            ["Model:Tokenizer"] = TestData.Tokenizer,
            ["Model:Threads"] = "1",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Auth:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            merged[key] = value;
        var app = OrchestratorServiceHost.ModelServiceHosts[role](["--urls", "http://127.0.0.1:0"], merged);
        await app.StartAsync();
        await app.Services.GetRequiredService<ModelHost>().Ready;
        return new ServiceHost(app, app.BoundAddress());
    }

    /// <summary>A reward client without retries (statuses surface unchanged), sending <paramref name="apiKey"/> if given.</summary>
    public Rlhf.Contracts.V1.RewardService.RewardServiceClient Reward(string? apiKey = null) => new(Invoker(apiKey));

    /// <summary>A policy client sending <paramref name="apiKey"/> if given.</summary>
    public PolicyService.PolicyServiceClient Policy(string? apiKey = null) => new(Invoker(apiKey));

    /// <summary>The channel's invoker, adding <c>authorization: Bearer apiKey</c> to every call when a key is given.</summary>
    public CallInvoker Invoker(string? apiKey) => apiKey is null
        ? Channel.CreateCallInvoker()
        : Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + apiKey);
            return metadata;
        });

    /// <summary>A request scoring <paramref name="count"/> distinct short (prompt, response) texts.</summary>
    public static ScoreResponsesRequest Texts(int count, bool includeRawScores = false)
    {
        var request = new ScoreResponsesRequest { IncludeRawScores = includeRawScores };
        for (var i = 0; i < count; i++)
            request.Sequences.Add(new Sequence { PromptText = "Once upon a time", ResponseText = Responses[i % Responses.Length] });
        return request;
    }

    /// <summary>Distinct responses, so scores differ between sequences.</summary>
    public static readonly string[] Responses =
    [
        " there was a little girl named Lily.", " a dog ran to the park.", " the sun was hot and bright.", " Tom had a red ball.",
        " they all laughed and played.", " the cat was sad.", " a big tree fell down.", " she found a shiny stone.",
    ];

    /// <summary>A TCP port that was free a moment ago on 127.0.0.1.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
