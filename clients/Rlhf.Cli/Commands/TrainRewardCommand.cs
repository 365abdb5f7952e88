using System.CommandLine;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Configuration.Runs;
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
        var command = new Command("train-reward", "Train a reward model on preference pairs, labelled sentences or rankings.") { config, set, overwrite };
        command.SetAction(parse =>
        {
            RewardTrainingConfig cfg;
            try
            {
                var path = parse.GetValue(config)!.FullName;
                cfg = ConfigLoader.Load<RewardTrainingConfig>(path, parse.GetValue(set));
                cfg.OutputDir = RunDirectory.ForNewRun(cfg.OutputDir, parse.GetValue(overwrite), path, Environment.CurrentDirectory, DateTimeOffset.Now).Root;
            }
            catch (RunDirectoryInUseException e) when (!e.Foreign)
            {
                Console.Error.WriteLine($"rlhf train-reward: {e.Message}; replace it with --overwrite, or set output_dir to another folder");
                return 2;
            }
            catch (Exception e) when (e is ConfigException or RunDirectoryInUseException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            var result = new RewardTrainer(cfg, ProgressReporter.ForConsole()).Train();
            Console.WriteLine($"model_dir={result.ModelDirectory}");
            return 0;
        });
        return command;
    }
}
