namespace Rlhf.Alignment;

/// <summary>Output of <see cref="ValueObjective.Compute"/>.</summary>
/// <param name="Loss">vf_coef·vf_loss: the scalar to minimize.</param>
/// <param name="VfLoss">The clipped value loss before vf_coef: <c>loss/value_avg</c>.</param>
/// <param name="GradValues">∂Loss/∂values_t (vf_coef included): what <c>CriticService.Backward</c> takes.</param>
/// <param name="VfClipFrac">Fraction of tokens where the clipped branch binds: <c>val/clipfrac_avg</c>.</param>
/// <param name="ExplainedVariance">See <see cref="ValueObjective.ExplainedVariance"/>:
/// <c>val/explained_variance</c>.</param>
/// <param name="ValueMean">Mean of the new values: <c>val/mean</c>.</param>
public sealed record ValueLossResult(
    double Loss,
    double VfLoss,
    TokenBatch GradValues,
    double VfClipFrac,
    double ExplainedVariance,
    double ValueMean)
{
    /// <summary>The diagnostics under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        [MetricNames.LossValueAvg] = VfLoss,
        [MetricNames.ValClipFracAvg] = VfClipFrac,
        [MetricNames.ValExplainedVariance] = ExplainedVariance,
        [MetricNames.ValMean] = ValueMean,
    };
}
