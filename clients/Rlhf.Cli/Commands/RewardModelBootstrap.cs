using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Configuration.Runs;
using Rlhf.RewardModels;

namespace Rlhf.Cli.Commands;

/// <summary>Trains the reward model of a PPO run first when its checkpoint is missing and the config names a reward training config.</summary>
internal static class RewardModelBootstrap
{
    /// <summary>
    /// Ensures <c>reward_model</c> (and a critic initialised from it) exists: when it is missing and
    /// <c>reward_config</c> is set, trains it with that config, whose output directory must produce that checkpoint. A
    /// run already in that directory lacks its checkpoint (it was interrupted), so it is replaced.
    /// </summary>
    /// <exception cref="ConfigException">The checkpoint is missing and cannot be trained.</exception>
    public static Task EnsureAsync(PpoConfig ppo, ProgressReporter progress, CancellationToken cancellationToken)
    {
        if (ppo.RewardUrl.Length > 0 || Exists(ppo.RewardModel))
            return Task.CompletedTask;
        if (ppo.RewardConfig.Length == 0)
            throw new ConfigException($"reward_model '{ppo.RewardModel}' does not exist; train it first (rlhf train-reward) or set reward_config");
        var config = ConfigLoader.Load<RewardTrainingConfig>(ppo.RewardConfig);
        var produced = Path.GetFullPath(RewardTrainer.ModelDirectory(config.OutputDir));
        if (produced != Path.GetFullPath(ppo.RewardModel))
            throw new ConfigException($"reward_model '{ppo.RewardModel}' does not exist, and reward_config '{ppo.RewardConfig}' would write '{produced}' instead");
        Console.WriteLine($"reward model {ppo.RewardModel} is missing: training it with {ppo.RewardConfig} (rlhf train-reward)");
        return Task.Run(() => new RewardTrainer(config, progress, overwrite: true).Train(cancellationToken), cancellationToken);
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);
}
