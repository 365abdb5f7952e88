using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Contracts;

namespace Rlhf.ModelServices;

/// <summary>The registrations a model-service host adds after <c>AddServiceDefaults</c>.</summary>
public static class ModelServingExtensions
{
    /// <summary>
    /// Serves one model: binds and validates the <c>Model</c> section (<see cref="ModelOptions"/>), registers the
    /// <see cref="ModelHost"/> (loaded in the background by <see cref="ModelLoader"/>, health NOT_SERVING until then) and
    /// the shared RPC logic (<see cref="ModelOperations"/>).
    /// </summary>
    /// <param name="builder">The host's builder.</param>
    /// <param name="trainable">Whether the model accepts training RPCs (policy, critic).</param>
    /// <exception cref="InvalidOperationException">The section is unusable (the message names the key).</exception>
    public static WebApplicationBuilder AddModel(this WebApplicationBuilder builder, bool trainable)
    {
        var options = builder.Configuration.GetSection(ModelOptions.Section).Get<ModelOptions>() ?? new ModelOptions();
        options.Validate();
        builder.Services.AddSingleton(sp => new ModelHost(sp.GetRequiredService<ServiceEntry>().FullName, trainable, options));
        builder.Services.AddSingleton<ModelOperations>();
        builder.Services.AddHostedService<ModelLoader>();
        builder.Services.AddHealthChecks().AddCheck<ModelLoadedHealthCheck>(ModelLoadedHealthCheck.Name);
        return builder;
    }

    /// <summary>
    /// The reward model's own part: the <c>Reward</c> section (<see cref="RewardServiceOptions"/>: micro-batching,
    /// <c>Reward:RequireCalibration</c>), the served calibration (<see cref="ServedCalibration"/>) with its health check
    /// (NOT_SERVING while the calibration is invalid, or missing when required), and its metrics (<see cref="RewardMetrics"/>).
    /// </summary>
    public static WebApplicationBuilder AddRewardScoring(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RewardServiceOptions.Section).Get<RewardServiceOptions>() ?? new RewardServiceOptions();
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<RewardMetrics>();
        builder.Services.AddSingleton<ServedCalibration>();
        builder.Services.AddHealthChecks().AddCheck<RewardCalibrationHealthCheck>(RewardCalibrationHealthCheck.Name);
        return builder;
    }
}
