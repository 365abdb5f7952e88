using System.Reflection;

namespace Rlhf.Configuration.Runs;

/// <summary>
/// The keys of <c>summary.json</c> that every PPO run writes: the catalogue that gates name (e.g. <c>kl&lt;=8</c>) and
/// are checked against before a run starts (<c>GateEvaluator.ParseAll</c> in Rlhf.Orchestration).
/// </summary>
public static class SummaryKeys
{
    /// <summary>Mean reward-model score on the eval prompts before training.</summary>
    public const string InitialScore = "initial_score";

    /// <summary>Mean reward-model score on the eval prompts after training.</summary>
    public const string FinalScore = "final_score";

    /// <summary>final_score − initial_score; should be &gt; 0 when training helped.</summary>
    public const string ScoreGain = "score_gain";

    /// <summary>Final mean per-sequence KL(policy ‖ reference) in nats; large values mean reward hacking risk.</summary>
    public const string Kl = "kl";

    /// <summary>Mean per-sequence KL(policy ‖ reference) in nats on the eval prompts before training (0 when the
    /// reference is the initial policy); written as an extra key, after the standard ones.</summary>
    public const string KlInitial = "kl_initial";

    /// <summary>Reference-model negative log-likelihood per token of eval responses before training (fluency).</summary>
    public const string RefNllInitial = "ref_nll_initial";

    /// <summary>Reference-model NLL per token after training; a big rise means the text drifted off-distribution.</summary>
    public const string RefNllFinal = "ref_nll_final";

    /// <summary>Mean held-out response length before training, tokens (extra key).</summary>
    public const string ResponseLengthInitial = "response_length_initial";

    /// <summary>Mean held-out response length after training, tokens (extra key).</summary>
    public const string ResponseLengthFinal = "response_length_final";

    /// <summary>Iterations completed.</summary>
    public const string Iterations = "iterations";

    /// <summary>Wall-clock seconds of the run (resumed runs: summed over segments).</summary>
    public const string WallSeconds = "wall_seconds";

    /// <summary>Share of held-out responses that ended with EOS after training (extra key).</summary>
    public const string EosFractionFinal = "eos_fraction_final";

    /// <summary>ref_nll_final / ref_nll_initial (extra key); well above 1 means the text drifted off-distribution.</summary>
    public const string RefNllRatio = "ref_nll_ratio";

    /// <summary>Every key (the constants of this class), in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. typeof(SummaryKeys)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .OrderBy(f => f.MetadataToken)
        .Select(f => (string)f.GetRawConstantValue()!)];
}
