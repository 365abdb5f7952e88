using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Rlhf.Configuration;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Gates;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Hosting.Topology;
using Rlhf.Orchestration.Training;
using Rlhf.Hosts;
using Rlhf.Contracts;
using Rlhf.ServiceDefaults;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf ppo</c>: the main job. Loads a YAML config (TRL-style keys, <c>--set key=value</c> overrides), hosts every
/// model service without a URL in this process behind real gRPC on loopback ports, runs the iterations, writes the run
/// directory, and turns failed <c>--gate</c> expressions into exit code 1 with one line per failed gate. Everything that
/// can be checked before the run is: the config, the gates (syntax, and their metrics against
/// <see cref="SummaryKeys.All"/>), the input files, the run directory. A new run never writes into a directory holding
/// another run: it refuses at once (exit 2) unless <c>--overwrite</c>; with output_dir unset it gets a fresh
/// timestamped one (<see cref="RunDirectory.ForNewRun"/>). A model service lost mid-run exits 3, Ctrl-C 130, both
/// with the <c>--resume</c> command. Exit codes: <see cref="ExitCodes"/>. With
/// <c>Telemetry__OtlpEndpoint</c> in the environment, the process's traces (one per PPO iteration, spanning the
/// in-process services) go to that OTLP endpoint; an unusable value exits 2.
/// </summary>
public static class PpoCommand
{
    /// <summary>The config keys whose files must exist before a run starts (the reward model and the critic are
    /// checked after <see cref="RewardModelBootstrap"/> had the chance to train them).</summary>
    private static readonly string[] Inputs = ["policy_model", "reference_model", "tokenizer", "prompts.path"];

    /// <summary>The <c>service.name</c> of this process's spans (the orchestration and the in-process services).</summary>
    public const string TracingServiceName = "rlhf";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "YAML run configuration (see examples/tinystories-positive.yaml; every key: --help-config)" };
        var sets = new Option<string[]>("--set") { Description = "Override a config key: --set key=value (repeatable)" };
        var gates = new Option<string[]>("--gate") { Description = $"Expectation on summary.json, e.g. \"score_gain>=0.5\" (repeatable); a failed gate exits {ExitCodes.GateFailed}; metrics: {string.Join(", ", SummaryKeys.All)}" };
        var resume = new Option<DirectoryInfo>("--resume") { Description = "Resume the run in this directory from its latest checkpoint (uses its config.yaml unless --config is given); a runs/<name>/latest link works" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start over in output_dir, deleting the run already there (without it a new run refuses a directory that holds one)" };
        var helpConfig = new Option<bool>("--help-config") { Description = "Print every config key of rlhf ppo and rlhf train-reward (type, default, range, meaning; docs/configuration.md) and exit" };
        var backend = new Option<string>("--backend") { Description = "Backend of the in-process model services: native or torch (= --set model_backend=…)" };
        var device = new Option<string>("--device") { Description = "Device of the in-process model services: cpu, cuda or cuda:N (= --set model_device=…)" };
        var command = new Command("ppo", "Run RLHF (PPO, GRPO or RLOO) against the policy, reference, critic and reward services.")
        {
            config, sets, gates, resume, overwrite, helpConfig, backend, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(helpConfig))
            {
                await parse.InvocationConfiguration.Output.WriteAsync(RlhfConfigReference.Markdown()).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            if (parse.GetValue(resume) is not null && parse.GetValue(overwrite))
                throw new ConfigException("--resume continues a run and --overwrite replaces one: give only one");
            var resumeDir = parse.GetValue(resume) is { } r ? ResumeDirectory(r.ToString()) : null;
            var configPath = parse.GetValue(config)?.FullName
                ?? (resumeDir is not null ? Path.Combine(resumeDir, "config.yaml") : throw new ConfigException("--config FILE is required (or --resume DIR, which uses DIR/config.yaml)"));
            var overrides = (parse.GetValue(sets) ?? []).ToList();
            if (parse.GetValue(backend) is { } b)
                overrides.Add($"model_backend={b}");
            if (parse.GetValue(device) is { } d)
                overrides.Add($"model_device={d}");
            if (resumeDir is not null)
                overrides.Add($"output_dir={resumeDir}");
            var ppo = ConfigLoader.Load<PpoConfig>(configPath, overrides, Environment.CurrentDirectory);
            var gateList = GateEvaluator.ParseAll(parse.GetValue(gates) ?? [], SummaryKeys.All);
            ConfigLoader.RequireInputs(ppo, Inputs);
            if (resumeDir is null)
            {
                try
                {
                    ppo.OutputDir = RunDirectory.ForNewRun(ppo.OutputDir, parse.GetValue(overwrite), configPath, Environment.CurrentDirectory, DateTimeOffset.Now).Root;
                }
                catch (RunDirectoryInUseException e) when (!e.Foreign)
                {
                    throw new ConfigException($"{e.Message}; continue it with --resume {e.Root}, or start over with --overwrite (deletes it)");
                }
            }
            Uri? otlp;
            try
            {
                otlp = SuiteTracing.OtlpEndpoint(new ConfigurationBuilder().AddEnvironmentVariables().Build());
            }
            catch (InvalidOperationException e)
            {
                throw new ConfigException(e.Message);
            }
            try
            {
                return await RunAsync(ppo, gateList, resumeDir is not null, otlp, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not ModelServiceRestartedException
                && ExitCodePolicy.Classify(e) is { ExitCode: ExitCodes.ServiceLost or ExitCodes.Interrupted } failure)
            {
                throw new ResumableRunException($"{failure.Message}; resume with: rlhf ppo --resume {ppo.OutputDir}", failure.ExitCode, e);
            }
        });
        return command;
    }

    /// <summary>The run directory of <c>--resume</c> (a <c>latest</c> link resolved), refused in one line when it is not one.</summary>
    private static string ResumeDirectory(string given)
    {
        var root = new RunDirectory(Path.GetFullPath(given)).Root;
        if (!Directory.Exists(root))
            throw new ConfigException($"--resume {given}: no such run directory ({root}); give the folder of an earlier run (it holds config.yaml and checkpoints/), e.g. runs/tinystories-positive/latest");
        if (!File.Exists(Path.Combine(root, "config.yaml")))
            throw new ConfigException($"--resume {given}: {root} is not a run directory (it has no config.yaml); give the folder of an earlier run, or --config FILE to start a new one");
        return root;
    }

    /// <summary>A run stopped by a lost model service (exit code 3) or Ctrl-C (130); the message names the resume command.</summary>
    private sealed class ResumableRunException(string message, int exitCode, Exception inner) : Exception(message, inner), IExitCodeException
    {
        public int ExitCode { get; } = exitCode;
    }

    private static async Task<int> RunAsync(PpoConfig ppo, IReadOnlyList<Gate> gates, bool resume, Uri? otlp, CancellationToken cancellationToken)
    {
        // The in-process services leave tracing to this process: one provider for all of its spans (each iteration one
        // trace across the four services), exporting by OTLP when Telemetry__OtlpEndpoint is set.
        using var tracing = otlp is null ? null : SuiteTracing.CreateTracerProvider(TracingServiceName, otlp);
        var reporter = ProgressReporter.ForConsole();
        await using var environment = await RunEnvironment.StartAsync(ppo, OrchestratorServiceHost.ModelServiceHosts, apiKey: null, reporter, cancellationToken).ConfigureAwait(false);
        // A ModelServiceRestartedException carries its exit code and resume hint to RlhfCommandLine.
        var result = await environment.RunAsync(new PpoRunOptions(Gates: gates, Resume: resume, Reporter: reporter), cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"run directory: {result.RunDirectory.Root} (summary.json, metrics.jsonl, samples.jsonl, eval_samples.jsonl, report.html)");
        foreach (var (key, value) in result.Summary)
            Console.WriteLine($"  {key} = {value:G6}");
        foreach (var gate in result.Gates)
            (gate.Passed ? Console.Out : Console.Error).WriteLine(gate.Reason);
        return result.Passed ? ExitCodes.Success : ExitCodes.GateFailed;
    }
}
