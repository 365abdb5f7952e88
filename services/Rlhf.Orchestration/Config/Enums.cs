using Rlhf.Configuration;
namespace Rlhf.Orchestration.Config;

/// <summary>The policy-gradient algorithm the orchestrator runs (config key <c>algorithm</c>).</summary>
public enum PpoAlgorithm
{
    /// <summary><c>ppo</c>: clipped surrogate with a learned critic and GAE (Schulman et al. 2017; Ouyang et al. 2022).</summary>
    Ppo,

    /// <summary><c>grpo</c>: group-relative advantages, no critic (Shao et al. 2024, DeepSeekMath §4.1).</summary>
    Grpo,

    /// <summary><c>rloo</c>: REINFORCE leave-one-out baseline, no critic (Ahmadian et al. 2024).</summary>
    Rloo,
}

/// <summary>What the reward model scores.</summary>
public enum RewardInput
{
    /// <summary>The whole sequence, prompt ++ response (standard RLHF).</summary>
    PromptAndResponse,

    /// <summary>BOS ++ response only (a reward model trained on stand-alone sentences, e.g. SST-2).</summary>
    Response,
}
