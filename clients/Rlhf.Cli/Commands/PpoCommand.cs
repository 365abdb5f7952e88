using System.CommandLine;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Gates;
using Rlhf.Orchestration.Hosting;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Training;
using Rlhf.Hosts;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf ppo</c>: the main job. Loads a YAML config (TRL-style keys, <c>--set key=value</c> overrides), hosts every
/// model service without a URL in this process behind real gRPC on loopback ports, runs the iterations, writes the run
/// directory, and turns failed <c>--gate</c> expressions into exit code 1 with one line per failed gate. A new run
/// never writes into a directory holding another run: it refuses at once (exit 2) unless <c>--overwrite</c>; with
/// output_dir unset it gets a fresh timestamped one (<see cref="RunDirectory.ForNewRun"/>).
/// </summary>
public static class PpoCommand
{
    /// <summary>Exit code when a gate fails.</summary>
    public const int GateFailedExitCode = 1;

    /// <summary>Exit code for an unusable configuration or gate expression.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code when the policy or critic service restarted mid-run (the message names the resume command).</summary>
    public const int ServiceRestartedExitCode = 3;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML run configuration (see examples/tinystories-positive.yaml)" };
        var sets = new Option<string[]>("--set") { Description = "Override a config key: --set key=value (repeatable)" };
        var gates = new Option<string[]>("--gate") { Description = "Expectation on summary.json, e.g. \"score_gain>=0.5\" (repeatable); a failed gate exits 1" };
        var resume = new Option<DirectoryInfo>("--resume") { Description = "Resume the run in this directory from its latest checkpoint (uses its config.yaml unless --config is given); a runs/<name>/latest link works" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start over in output_dir, deleting the run already there (without it a new run refuses a directory that holds one)" };
        var command = new Command("ppo", "Run RLHF (PPO, GRPO or RLOO) against the policy, reference, critic and reward services.")
        {
            config, sets, gates, resume, overwrite,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            PpoConfig ppo;
            IReadOnlyList<Gate> gateList;
            var resumeDir = parse.GetValue(resume) is { } r ? new DirectoryInfo(new RunDirectory(r.FullName).Root) : null;
            try
            {
                if (resumeDir is not null && parse.GetValue(overwrite))
                    throw new ConfigException("--resume continues a run and --overwrite replaces one: give only one");
                var configPath = parse.GetValue(config)?.FullName
                    ?? (resumeDir is not null ? Path.Combine(resumeDir.FullName, "config.yaml") : throw new ConfigException("--config is required (or --resume DIR with its config.yaml)"));
                var overrides = (parse.GetValue(sets) ?? []).ToList();
                if (resumeDir is not null)
                    overrides.Add($"output_dir={resumeDir.FullName}");
                ppo = ConfigLoader.Load<PpoConfig>(configPath, overrides, Environment.CurrentDirectory);
                gateList = GateEvaluator.ParseAll(parse.GetValue(gates) ?? []);
                if (resumeDir is null)
                    ppo.OutputDir = RunDirectory.ForNewRun(ppo.OutputDir, parse.GetValue(overwrite), configPath, Environment.CurrentDirectory, DateTimeOffset.Now).Root;
            }
            catch (RunDirectoryInUseException e) when (!e.Foreign)
            {
                Console.Error.WriteLine($"rlhf ppo: {e.Message}; continue it with --resume {e.Root}, or start over with --overwrite (deletes it)");
                return UsageExitCode;
            }
            catch (Exception e) when (e is ConfigException or FormatException or ArgumentException or RunDirectoryInUseException)
            {
                Console.Error.WriteLine($"rlhf ppo: {e.Message}");
                return UsageExitCode;
            }
            return await RunAsync(ppo, gateList, resumeDir is not null, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(PpoConfig ppo, IReadOnlyList<Gate> gates, bool resume, CancellationToken cancellationToken)
    {
        var reporter = ProgressReporter.ForConsole();
        await using var environment = await RunEnvironment.StartAsync(ppo, OrchestratorServiceHost.ModelServiceHosts, apiKey: null, reporter, cancellationToken).ConfigureAwait(false);
        PpoRunResult result;
        try
        {
            result = await environment.RunAsync(new PpoRunOptions(Gates: gates, Resume: resume, Reporter: reporter), cancellationToken).ConfigureAwait(false);
        }
        catch (ModelServiceRestartedException e)
        {
            Console.Error.WriteLine($"rlhf ppo: {e.Message}");
            return ServiceRestartedExitCode;
        }
        Console.WriteLine($"run directory: {result.RunDirectory.Root} (summary.json, metrics.jsonl, samples.jsonl, eval_samples.jsonl, report.html)");
        foreach (var (key, value) in result.Summary)
            Console.WriteLine($"  {key} = {value:G6}");
        foreach (var gate in result.Gates)
            (gate.Passed ? Console.Out : Console.Error).WriteLine(gate.Reason);
        return result.Passed ? 0 : GateFailedExitCode;
    }
}
