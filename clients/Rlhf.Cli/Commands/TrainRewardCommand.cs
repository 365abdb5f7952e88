using System.CommandLine;
using Rlhf.Configuration;
using Rlhf.Configuration.Runs;
using Rlhf.Contracts;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting;
using Rlhf.Orchestration.Hosting.Topology;
using Rlhf.RewardModels;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf train-reward --config FILE [--set key=value …] [--overwrite]</c>: trains a reward model (see
/// <see cref="RewardTrainer"/>). It refuses an output_dir that holds another run unless <c>--overwrite</c>; with
/// output_dir unset it makes a fresh timestamped one (<see cref="RunDirectory.ForNewRun"/>).
/// </summary>
public static class TrainRewardCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "Reward training YAML (see examples/reward-*.yaml)", Required = true };
        var set = new Option<string[]>("--set")
        {
            Description = "Override a key, e.g. --set max_steps=100 --set dataset.max_pairs=2000 (repeatable)",
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => [],
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the run already in output_dir (without it, train-reward refuses a directory that holds one)" };
        var helpConfig = new Option<bool>("--help-config") { Description = "Print every config key of rlhf ppo and rlhf train-reward (type, default, range, meaning; docs/configuration.md) and exit" };
        var command = new Command("train-reward", "Train a reward model on preference pairs, labelled sentences or rankings.") { config, set, overwrite, helpConfig };
        config.Required = false;
        command.SetAction(parse =>
        {
            if (parse.GetValue(helpConfig))
            {
                parse.InvocationConfiguration.Output.Write(RlhfConfigReference.Markdown());
                return ExitCodes.Success;
            }
            var path = parse.GetValue(config)?.FullName ?? throw new ConfigException("--config FILE is required (e.g. examples/reward-sst2.yaml)");
            var cfg = ConfigLoader.Load<RewardTrainingConfig>(path, parse.GetValue(set));
            ConfigLoader.RequireInputs(cfg, "base_model", "tokenizer", "dataset.train", "dataset.eval");
            try
            {
                cfg.OutputDir = RunDirectory.ForNewRun(cfg.OutputDir, parse.GetValue(overwrite), path, Environment.CurrentDirectory, DateTimeOffset.Now).Root;
            }
            catch (RunDirectoryInUseException e) when (!e.Foreign)
            {
                throw new ConfigException($"{e.Message}; replace it with --overwrite, or set output_dir to another folder");
            }
            var result = new RewardTrainer(cfg, ProgressReporter.ForConsole()).Train();
            Console.WriteLine($"model_dir={result.ModelDirectory}");
            return ExitCodes.Success;
        });
        return command;
    }
}
