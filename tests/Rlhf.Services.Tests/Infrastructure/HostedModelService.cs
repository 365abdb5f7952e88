using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Contracts.V1;
using Rlhf.Hosts;
using Rlhf.ModelServices;
using Rlhf.ServiceDefaults;

namespace Rlhf.Services.Tests.Infrastructure;

/// <summary>
/// One model service hosted exactly as its executable hosts it (its host's <c>Build</c>) on a free
/// loopback port, with a channel and the typed clients of <c>Rlhf.Client</c> pointed at it.
/// </summary>
internal sealed class HostedModelService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private HostedModelService(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        _channel = GrpcChannel.ForAddress(address);
        Policy = new PolicyService.PolicyServiceClient(_channel);
        Reference = new ReferenceService.ReferenceServiceClient(_channel);
        Critic = new CriticService.CriticServiceClient(_channel);
        Reward = new RewardService.RewardServiceClient(_channel);
    }

    public Uri Address { get; }

    /// <summary>The gRPC service it serves, e.g. <c>rlhf.v1.PolicyService</c>.</summary>
    public string ServiceName => _app.Services.GetRequiredService<ModelHost>().ServiceName;

    public PolicyService.PolicyServiceClient Policy { get; }

    public ReferenceService.ReferenceServiceClient Reference { get; }

    public CriticService.CriticServiceClient Critic { get; }

    public RewardService.RewardServiceClient Reward { get; }

    /// <summary>Starts <paramref name="role"/> on <paramref name="checkpoint"/> (default stories260K.bin) with tok512, one thread.</summary>
    /// <param name="role">The service.</param>
    /// <param name="checkpoint">Weights; null for stories260K.bin.</param>
    /// <param name="settings">Extra configuration, e.g. <c>Model:MaxBatchSize</c>.</param>
    public static async Task<HostedModelService> StartAsync(ModelRole role, string? checkpoint = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Model:Checkpoint"] = checkpoint ?? TestData.Data(TestData.Stories260K),
            ["Model:Tokenizer"] = TestData.Data(TestData.Tok512),
            ["Model:Threads"] = "1",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Auth:Enabled"] = "false",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            all[k] = v;
        var app = OrchestratorServiceHost.ModelServiceHosts[role](["--urls", "http://127.0.0.1:0"], all);
        await app.StartAsync().ConfigureAwait(false);
        await app.Services.GetRequiredService<ModelHost>().Ready.ConfigureAwait(false);
        return new HostedModelService(app, app.BoundAddress());
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
