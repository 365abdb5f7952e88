using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>The four model services a run talks to (generated clients). <see cref="Critic"/> is null for critic-free algorithms (GRPO, RLOO).</summary>
/// <param name="Policy">The actor.</param>
/// <param name="Reference">The frozen reference.</param>
/// <param name="Critic">The value model, or null.</param>
/// <param name="Reward">The reward model.</param>
public sealed record ModelClients(PolicyService.PolicyServiceClient Policy, ReferenceService.ReferenceServiceClient Reference,
    CriticService.CriticServiceClient? Critic, RewardService.RewardServiceClient Reward);
