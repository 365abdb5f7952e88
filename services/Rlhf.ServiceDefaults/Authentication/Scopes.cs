namespace Rlhf.ServiceDefaults.Authentication;

/// <summary>
/// The API-key scopes, each also the name of the ASP.NET Core authorization policy that requires it. Services put
/// <c>[Authorize(Scopes.Score)]</c> or <c>[Authorize(Scopes.Train)]</c> on their RPCs; health and reflection carry none.
/// </summary>
public static class Scopes
{
    /// <summary>Scoring: RewardService.ScoreResponses and GetModelInfo.</summary>
    public const string Score = "score";

    /// <summary>Training and model management: Backward, OptimizerStep, leases, checkpoints, generation for training, runs.</summary>
    public const string Train = "train";

    /// <summary>Any valid key (GetModelInfo of the trainable services).</summary>
    public const string AnyKey = "any-key";

    /// <summary>The claim type that carries a granted scope.</summary>
    public const string ClaimType = "scope";
}
