namespace Rlhf.Alignment;

/// <summary>Output of <see cref="DpoObjective.Compute"/>.</summary>
/// <param name="Loss">Mean loss over pairs: <c>loss/dpo</c>.</param>
/// <param name="GradChosenLogprobs">∂Loss/∂logprobs of every chosen token.</param>
/// <param name="GradRejectedLogprobs">∂Loss/∂logprobs of every rejected token.</param>
/// <param name="Metrics">TRL's reward and log-prob metrics.</param>
public sealed record DpoResult(
    double Loss,
    TokenBatch GradChosenLogprobs,
    TokenBatch GradRejectedLogprobs,
    DpoMetrics Metrics)
{
    /// <summary>The loss and <see cref="DpoMetrics.ToMetrics"/> under their <see cref="MetricNames"/>.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics()
    {
        var metrics = new Dictionary<string, double>(Metrics.ToMetrics()) { [MetricNames.LossDpo] = Loss };
        return metrics;
    }
}
