using Rlhf.Alignment;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Gates;
using Rlhf.Configuration.Runs;

namespace Rlhf.Orchestration.Reporting;

/// <summary>Everything <see cref="HtmlReport"/> shows.</summary>
/// <param name="Title">Page title, e.g. the run name.</param>
/// <param name="Metrics">metrics.jsonl records.</param>
/// <param name="Summary">summary.json values; null or empty = no summary table content.</param>
/// <param name="Gates">Gate results; null or empty = "no gates".</param>
/// <param name="Samples">Sample responses; the last <see cref="HtmlReport.MaxSamples"/> are shown.</param>
public sealed record ReportData(
    string Title,
    IReadOnlyList<MetricsRecord> Metrics,
    IReadOnlyDictionary<string, double>? Summary = null,
    IReadOnlyList<GateResult>? Gates = null,
    IReadOnlyList<SampleRecord>? Samples = null)
{
    /// <summary>The config keys shown at the top of the report, in this order, when the run's config has them.</summary>
    public static IReadOnlyList<string> KeyConfigKeys { get; } =
    [
        "algorithm", "iterations", "batch_size", "num_samples_per_prompt", "mini_batch_size", "ppo_epochs",
        "learning_rate", "critic_learning_rate", "kl_coef", "target_kl", "kl_estimator", "cliprange", "vf_coef",
        "max_new_tokens", "temperature", "top_p", "reward_input", "eval_prompts", "eval_samples_per_prompt", "seed",
        "threads", "policy_model", "reference_model", "reward_model", "critic_model", "prompts.path",
    ];

    /// <summary>
    /// Each held-out metric of metrics.jsonl with the summary.json keys of its value before the first iteration and
    /// after the last: the two points of the eval curve that metrics.jsonl does not hold.
    /// </summary>
    public static IReadOnlyList<(string Metric, string Initial, string Final)> EvalEndpointKeys { get; } =
    [
        (MetricNames.EvalScore, SummaryKeys.InitialScore, SummaryKeys.FinalScore),
        (MetricNames.EvalKl, SummaryKeys.KlInitial, SummaryKeys.Kl),
        (MetricNames.EvalRefNll, SummaryKeys.RefNllInitial, SummaryKeys.RefNllFinal),
        (MetricNames.EvalResponseLength, SummaryKeys.ResponseLengthInitial, SummaryKeys.ResponseLengthFinal),
    ];

    /// <summary>The plots to draw; defaults to <see cref="PlotSpec.Ppo"/>.</summary>
    public IReadOnlyList<PlotSpec> Plots { get; init; } = PlotSpec.Ppo;

    /// <summary>Key config values shown at the top (key → value as config.yaml writes it); empty = none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Config { get; init; } = [];

    /// <summary>The initial and final evaluation's responses (eval_samples.jsonl), for the before/after panel.</summary>
    public IReadOnlyList<EvalSampleRecord> EvalSamples { get; init; } = [];

    /// <summary>
    /// The evaluations outside metrics.jsonl, from <see cref="Summary"/> (<see cref="EvalEndpointKeys"/>): one record at
    /// iteration 0 (before training) and one at the summary's <c>iterations</c> (after the last); empty without a
    /// summary.
    /// </summary>
    public IReadOnlyList<MetricsRecord> EvalEndpoints
    {
        get
        {
            if (Summary is null || !Summary.TryGetValue(SummaryKeys.Iterations, out var iterations) || !double.IsFinite(iterations))
                return [];
            var initial = new Dictionary<string, double>();
            var final = new Dictionary<string, double>();
            foreach (var (metric, initialKey, finalKey) in EvalEndpointKeys)
            {
                if (Summary.TryGetValue(initialKey, out var a))
                    initial[metric] = a;
                if (Summary.TryGetValue(finalKey, out var b))
                    final[metric] = b;
            }
            return [new MetricsRecord(0, initial), new MetricsRecord((int)iterations, final)];
        }
    }

    /// <summary>Reads metrics, summary (when present), samples, eval samples and the key config values of a run directory.</summary>
    public static ReportData FromRun(RunDirectory run, string title, IReadOnlyList<GateResult>? gates = null) =>
        new(title, run.ReadMetrics(), File.Exists(run.SummaryPath) ? run.ReadSummary() : null, gates, run.ReadSamples())
        {
            Config = File.Exists(run.ConfigPath) ? KeyConfig(File.ReadAllText(run.ConfigPath), run.Root) : [],
            EvalSamples = run.ReadEvalSamples(),
        };

    /// <summary>The <see cref="KeyConfigKeys"/> present in config YAML text, in that order (null values as "null").</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> KeyConfig(string yaml, string baseDirectory)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in ConfigYaml.ReadScalars(yaml, "config.yaml", baseDirectory))
            values[key] = value;
        return [.. KeyConfigKeys.Where(values.ContainsKey).Select(k => new KeyValuePair<string, string>(k, values[k]))];
    }
}
