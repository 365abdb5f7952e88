namespace Rlhf.Configuration;

/// <summary>
/// The usual name of a config key in TRL or verl where theirs differs from ours, listed in the config reference
/// (<see cref="ConfigReference"/>), e.g. <c>ppo_epochs</c>: TRL <c>num_ppo_epochs</c>, verl
/// <c>actor_rollout_ref.actor.ppo_epochs</c>. A name may carry a short note in parentheses.
/// </summary>
/// <param name="trl">TRL's name (PPOConfig, GRPOConfig, RewardConfig; older PPOConfig names say "old"), or null.</param>
/// <param name="verl">verl's dotted trainer-config name, or null.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigAliasAttribute(string? trl = null, string? verl = null) : Attribute
{
    /// <summary>TRL's name, or null.</summary>
    public string? Trl { get; } = trl;

    /// <summary>verl's name, or null.</summary>
    public string? Verl { get; } = verl;
}
