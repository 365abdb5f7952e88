using System.CommandLine;
using Rlhf.Configuration.Runs;
using Rlhf.RewardModels;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf eval-reward --model DIR --data FILE [--max-pairs N] [--seed S]</c>: pairwise accuracy of a saved reward model
/// (see <see cref="RewardModelEvaluator"/>); the last line printed is exactly <c>accuracy=0.xxx</c>.
/// </summary>
public static class EvalRewardCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Reward model checkpoint directory: a train-reward run's output_dir (its model/) or output_dir/model, or a PPO run's directory or checkpoints/latest (its critic)", Required = true };
        var data = new Option<FileInfo>("--data") { Description = "Pairs JSONL(.gz) {chosen, rejected}, rankings JSONL {prompt, responses}, or labelled TSV", Required = true };
        var maxPairs = new Option<int?>("--max-pairs") { Description = "Evaluate N seeded random pairs instead of all" };
        var seed = new Option<long>("--seed") { Description = "Seed of the pair sample", DefaultValueFactory = _ => 0L };
        var threads = new Option<int>("--threads") { Description = "Engine threads", DefaultValueFactory = _ => 2 };
        var maxSeqLen = new Option<int?>("--max-seq-len") { Description = "Token budget per sequence (default: the one it was trained with, else the model's)" };
        var command = new Command("eval-reward", "Pairwise accuracy of a reward model; the last line is accuracy=0.xxx.")
        {
            model, data, maxPairs, seed, threads, maxSeqLen,
        };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(model)!;
            if (!given.Exists)
                throw new FileNotFoundException($"--model {given}: no such folder; give a reward model checkpoint directory (e.g. runs/reward-sst2/model)", given.FullName);
            var modelPath = RunDirectory.ResolveModelPath(given.FullName, role: "critic");
            var dataPath = parse.GetValue(data)!.FullName;
            if (!File.Exists(dataPath))
                throw new FileNotFoundException($"--data {parse.GetValue(data)}: no such file; give a pairs JSONL(.gz), rankings JSONL or labelled TSV (e.g. ../shared/data/sst2_dev.tsv)", dataPath);
            var report = RewardModelEvaluator.Evaluate(modelPath, dataPath, parse.GetValue(maxPairs), parse.GetValue(seed),
                parse.GetValue(threads), parse.GetValue(maxSeqLen), progress: ProgressReporter.ForConsole());
            foreach (var line in report.ToLines(modelPath, dataPath))
                Console.WriteLine(line);
            return 0;
        });
        return command;
    }
}
