using Rlhf.Configuration;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Config;
using Rlhf.RewardModels;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// Trains the reward model of a run first when its checkpoint is missing and the config names a reward training
/// config (<c>reward_config</c>), for <c>rlhf ppo</c> and StartRun alike (<see cref="RunEnvironment.StartAsync"/>).
/// </summary>
public static class RewardModelBootstrap
{
    /// <summary>
    /// Why the run's reward model can be neither loaded nor trained, or null when it can: <c>reward_model</c> is
    /// missing and <c>reward_config</c> is unset, or would write another checkpoint. A served reward (<c>reward_url</c>)
    /// needs nothing.
    /// </summary>
    /// <exception cref="ConfigException">reward_config itself is invalid.</exception>
    /// <exception cref="FileNotFoundException">reward_config does not exist.</exception>
    public static string? Problem(PpoConfig ppo)
    {
        if (!NeedsTraining(ppo))
            return null;
        if (ppo.RewardConfig.Length == 0)
            return $"reward_model '{ppo.RewardModel}' does not exist; train it first (rlhf train-reward) or set reward_config";
        var produced = Path.GetFullPath(RewardTrainer.ModelDirectory(ConfigLoader.Load<RewardTrainingConfig>(ppo.RewardConfig).OutputDir));
        return produced == Path.GetFullPath(ppo.RewardModel)
            ? null
            : $"reward_model '{ppo.RewardModel}' does not exist, and reward_config '{ppo.RewardConfig}' would write '{produced}' instead";
    }

    /// <summary>
    /// Ensures <c>reward_model</c> (and a critic initialised from it) exists: when it is missing and
    /// <c>reward_config</c> is set, trains it with that config, whose output directory must produce that checkpoint. A
    /// run already in that directory lacks its checkpoint (it was interrupted), so it is replaced.
    /// </summary>
    /// <exception cref="ConfigException">The checkpoint is missing and cannot be trained (<see cref="Problem"/>).</exception>
    public static Task EnsureAsync(PpoConfig ppo, ProgressReporter progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (!NeedsTraining(ppo))
            return Task.CompletedTask;
        if (Problem(ppo) is { } problem)
            throw new ConfigException(problem);
        var config = ConfigLoader.Load<RewardTrainingConfig>(ppo.RewardConfig);
        progress.WriteLine($"reward model {ppo.RewardModel} is missing: training it with {ppo.RewardConfig} (rlhf train-reward)");
        return Task.Run(() => new RewardTrainer(config, progress, overwrite: true).Train(cancellationToken), cancellationToken);
    }

    private static bool NeedsTraining(PpoConfig ppo) => ppo.RewardUrl.Length == 0 && !Exists(ppo.RewardModel);

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);
}
