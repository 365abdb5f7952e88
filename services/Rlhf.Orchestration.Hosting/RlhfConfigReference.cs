using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Hosting.Topology;
using Rlhf.RewardModels;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// The product's configuration reference (<c>docs/configuration.md</c>, <c>rlhf ppo --help-config</c>): the keys of
/// <see cref="PpoConfig"/> and <see cref="RewardTrainingConfig"/>, then the topology file's (<see cref="TopologyConfig.Reference"/>).
/// </summary>
public static class RlhfConfigReference
{
    /// <summary>The config classes of the reference, in its order.</summary>
    public static IReadOnlyList<ConfigReference.ConfigClass> Classes { get; } =
    [
        new("`rlhf ppo`", typeof(PpoConfig), "The main job (`examples/tinystories-positive.yaml`); the run directory's `config.yaml` holds every key with its value."),
        new("`rlhf train-reward`", typeof(RewardTrainingConfig), "Reward-model training (`examples/reward-sst2.yaml`, `examples/reward-hh-helpful.yaml`; `reward_config` of `rlhf ppo`)."),
    ];

    /// <summary>The whole reference as Markdown.</summary>
    public static string Markdown() => ConfigReference.Markdown(Classes, TopologyConfig.Reference);
}
