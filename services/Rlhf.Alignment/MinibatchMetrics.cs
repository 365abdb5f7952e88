using Rlhf.Alignment.Internal;

namespace Rlhf.Alignment;

/// <summary>
/// Reduces the per-minibatch metrics of one iteration (the <c>ToMetrics()</c> of <see cref="PolicyLossResult"/>,
/// <see cref="ValueLossResult"/>, <see cref="EntropyBonusResult"/>, …) the way TRL's PPOTrainer does: every name is
/// averaged over the minibatches that reported it (its <c>*_avg</c> and <c>val/ratio</c>), and
/// <see cref="MetricNames.ValRatioVar"/> is the unbiased variance of the per-minibatch <see cref="MetricNames.ValRatio"/>
/// values (<c>ratio_stats.var()</c>), NaN with fewer than two.
/// </summary>
public sealed class MinibatchMetrics
{
    private readonly Dictionary<string, (double Sum, int Count)> _sums = [];
    private readonly List<double> _ratios = [];

    /// <summary>Number of <see cref="Add"/> calls.</summary>
    public int Count { get; private set; }

    /// <summary>Adds one minibatch's metrics (several result dictionaries of the same minibatch may be added
    /// separately; each name is averaged over the calls that carried it).</summary>
    public void Add(IEnumerable<KeyValuePair<string, double>> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Count++;
        foreach (var (name, value) in metrics)
        {
            var (sum, count) = _sums.GetValueOrDefault(name);
            _sums[name] = (sum + value, count + 1);
            if (name == MetricNames.ValRatio)
            {
                _ratios.Add(value);
            }
        }
    }

    /// <summary>The iteration's values: means per name, plus <see cref="MetricNames.ValRatioVar"/> when any
    /// minibatch reported <see cref="MetricNames.ValRatio"/>.</summary>
    public Dictionary<string, double> ToMetrics()
    {
        var metrics = _sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Count);
        if (_ratios.Count > 0)
        {
            metrics[MetricNames.ValRatioVar] = Aggregation.MeanVariance(_ratios.ToArray(), unbiased: true).Variance;
        }

        return metrics;
    }
}
