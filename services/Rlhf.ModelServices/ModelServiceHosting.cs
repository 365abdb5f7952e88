using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Tokenizers;
using Rlhf.Protos.V1;
using Rlhf.ServiceDefaults;

namespace Rlhf.ModelServices;

/// <summary>
/// Builds the host of one model service, used alike by the service's own executable and by the in-process suite of
/// <c>rlhf ppo</c>. Configuration: the <c>Model</c> section (<see cref="ModelOptions"/>), <c>Reward</c>
/// (<see cref="RewardServiceOptions"/>), and the shared sections of <see cref="RlhfServiceHost"/>.
/// </summary>
public static class ModelServiceHosting
{
    /// <summary>Default ports (docs/CONVENTIONS.md).</summary>
    public static int DefaultPort(ModelRole role) => role switch
    {
        ModelRole.Policy => 50051,
        ModelRole.Reference => 50052,
        ModelRole.Critic => 50053,
        ModelRole.Reward => 50054,
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The gRPC service descriptor of a role.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor(ModelRole role) => role switch
    {
        ModelRole.Policy => PolicyServiceReflection.Descriptor.Services[0],
        ModelRole.Reference => ReferenceServiceReflection.Descriptor.Services[0],
        ModelRole.Critic => CriticServiceReflection.Descriptor.Services[0],
        ModelRole.Reward => RewardServiceReflection.Descriptor.Services[0],
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>
    /// Builds (but does not start) the host of <paramref name="role"/>: loads the model named by <c>Model:Checkpoint</c>
    /// and maps the service, health and reflection.
    /// </summary>
    /// <param name="role">The model to serve.</param>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="settings">Configuration applied over appsettings and environment (in-process hosting).</param>
    /// <exception cref="InvalidOperationException">A required key is missing (the message names it).</exception>
    public static WebApplication Build(ModelRole role, string[] args, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var descriptor = Descriptor(role);
        // Reward: every RPC needs `score` except LoadCheckpoint (`train`). Other models: every RPC needs `train` except
        // GetModelInfo, which any valid key may call.
        var trainScopes = role == ModelRole.Reward
            ? new Dictionary<string, string> { [$"/{descriptor.FullName}/LoadCheckpoint"] = "train" }
            : new Dictionary<string, string> { [$"/{descriptor.FullName}/GetModelInfo"] = "" };
        var builder = RlhfServiceHost.CreateBuilder(args,
            new ServiceHostOptions(descriptor.FullName, DefaultPort(role), role == ModelRole.Reward ? "score" : "train", trainScopes,
                role == ModelRole.Reward ? [RewardMetrics.MeterName] : null), settings);
        var options = builder.Configuration.GetSection(ModelOptions.Section).Get<ModelOptions>() ?? new ModelOptions();
        options.Validate();
        var checkpoint = Path.GetFullPath(options.Checkpoint);
        var tokenizerPath = Checkpoints.TokenizerPath(checkpoint, options.Tokenizer);
        var tokenizer = tokenizerPath is null ? null : Llama2Tokenizer.Load(tokenizerPath);
        var model = EngineSequenceModel.Load(checkpoint, new EngineOptions { Threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount }, tokenizerPath: tokenizerPath);
        var host = new ModelHost(descriptor.FullName, role is ModelRole.Policy or ModelRole.Critic, model, tokenizer, Checkpoints.Identify(checkpoint), options);
        var operations = new ModelOperations(host);
        builder.Services.AddSingleton(host);
        builder.Services.AddSingleton(operations);
        switch (role)
        {
            case ModelRole.Policy:
                builder.Services.AddSingleton<PolicyServiceImpl>();
                break;
            case ModelRole.Reference:
                builder.Services.AddSingleton<ReferenceServiceImpl>();
                break;
            case ModelRole.Critic:
                builder.Services.AddSingleton<CriticServiceImpl>();
                break;
            case ModelRole.Reward:
                var rewardOptions = builder.Configuration.GetSection(RewardServiceOptions.Section).Get<RewardServiceOptions>() ?? new RewardServiceOptions();
                rewardOptions.Validate();
                builder.Services.AddSingleton(sp => new RewardMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
                builder.Services.AddSingleton(sp => new RewardServiceImpl(operations, rewardOptions, RewardCalibration.LoadOrIdentity(checkpoint), sp.GetRequiredService<RewardMetrics>()));
                break;
        }

        var app = builder.Build();
        _ = role switch
        {
            ModelRole.Policy => app.MapGrpcService<PolicyServiceImpl>(descriptor),
            ModelRole.Reference => app.MapGrpcService<ReferenceServiceImpl>(descriptor),
            ModelRole.Critic => app.MapGrpcService<CriticServiceImpl>(descriptor),
            _ => app.MapGrpcService<RewardServiceImpl>(descriptor),
        };
        app.MapDefaults(descriptor.FullName);
        return app;
    }
}
