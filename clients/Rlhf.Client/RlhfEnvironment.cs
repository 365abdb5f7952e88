namespace Rlhf.Client;

/// <summary>Environment variables the command line and the orchestrator read for their clients.</summary>
public static class RlhfEnvironment
{
    /// <summary>The API key sent to the services when none is given explicitly (<c>rlhf score</c>, <c>rlhf ppo</c>, the orchestrator's runs).</summary>
    public const string ApiKeyVariable = "RLHF_API_KEY";
}
