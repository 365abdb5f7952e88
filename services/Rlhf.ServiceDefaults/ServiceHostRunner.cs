using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Rlhf.Contracts;
using Serilog.Events;

namespace Rlhf.ServiceDefaults;

/// <summary>
/// The <c>Main</c> of every service host: builds and runs the app, and turns a start-up failure (an unusable setting,
/// a missing checkpoint or tokenizer, a port in use) into one line on stderr, <c>Rlhf.PolicyService: what is wrong and
/// what to do</c>, and the exit code of <see cref="ExitCodePolicy"/>. The stack trace is printed only at Debug logging
/// (<c>--Serilog:MinimumLevel:Default=Debug</c>); <see cref="ServiceDefaultsExtensions.AddServiceDefaults"/> likewise
/// keeps the host's own "Hosting failed to start" log line out for such failures.
/// </summary>
public static class ServiceHostRunner
{
    /// <summary>Runs the host built by <paramref name="build"/> until it stops; returns the process exit code
    /// (<see cref="Environment.ExitCode"/> after a normal stop: 0, or 4 when the model failed to load).</summary>
    public static async Task<int> RunAsync(ServiceEntry service, string[] args, Func<string[], WebApplication> build)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(build);
        try
        {
            await using var app = build(args);
            await app.RunAsync().ConfigureAwait(false);
            return Environment.ExitCode;
        }
        catch (OperationCanceledException) when (Environment.ExitCode != ExitCodes.Success)
        {
            // The host stopped itself while starting (ModelLoader: the model failed to load, reported already).
            return Environment.ExitCode;
        }
        catch (Exception e)
        {
            var failure = ExitCodePolicy.Classify(e);
            await Console.Error.WriteLineAsync(ExitCodePolicy.Format(service.HostProject, failure, e, IsDebugLogging(ReadConfiguration(args))))
                .ConfigureAwait(false);
            return failure.ExitCode;
        }
    }

    /// <summary>Whether the Serilog minimum level (<c>Serilog:MinimumLevel:Default</c> or <c>Serilog:MinimumLevel</c>)
    /// is Debug or Verbose: then start-up failures include their stack traces.</summary>
    public static bool IsDebugLogging(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var level = configuration["Serilog:MinimumLevel:Default"] ?? configuration["Serilog:MinimumLevel"];
        return Enum.TryParse<LogEventLevel>(level, ignoreCase: true, out var parsed) && parsed <= LogEventLevel.Debug;
    }

    /// <summary>The host's configuration sources without the host (the build itself may be what failed).</summary>
    private static IConfiguration ReadConfiguration(string[] args)
    {
        try
        {
            return new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .AddEnvironmentVariables()
                .AddCommandLine(args)
                .Build();
        }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException)
        {
            return new ConfigurationBuilder().Build();
        }
    }
}
