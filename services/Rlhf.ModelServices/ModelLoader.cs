using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rlhf.Contracts;

namespace Rlhf.ModelServices;

/// <summary>
/// Loads the host's model in the background once the server has started, so that health can answer NOT_SERVING
/// meanwhile. A load that fails logs one line naming the file and the problem, writes the same line to stderr, and
/// stops the host, which then exits with the code of <see cref="ExitCodePolicy"/> (4 for a missing or corrupt file).
/// </summary>
public sealed partial class ModelLoader(ModelHost host, IHostApplicationLifetime lifetime, ILogger<ModelLoader> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            host.Load();
            LogLoaded(logger, host.ServiceName, host.Options.Checkpoint);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            var failure = ExitCodePolicy.Classify(e);
            LogLoadFailed(logger, host.ServiceName, host.Options.Checkpoint, failure.Message);
            await Console.Error.WriteLineAsync($"{host.ServiceName}: cannot load {host.Options.Checkpoint}: {failure.Message}").ConfigureAwait(false);
            Environment.ExitCode = failure.ExitCode;
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(300, LogLevel.Information, "{Service} loaded {Checkpoint}")]
    private static partial void LogLoaded(ILogger logger, string service, string checkpoint);

    [LoggerMessage(301, LogLevel.Critical, "{Service} cannot load {Checkpoint}: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string service, string checkpoint, string reason);
}

/// <summary>Healthy once the model is loaded.</summary>
public sealed class ModelLoadedHealthCheck(ModelHost host) : IHealthCheck
{
    /// <summary>The check's name.</summary>
    public const string Name = "model";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(host.IsLoaded ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"loading {host.Options.Checkpoint}"));
}
