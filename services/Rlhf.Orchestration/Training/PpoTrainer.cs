using System.Diagnostics;
using Rlhf.Alignment;
using Rlhf.Data;
using Grpc.Core;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Training;

/// <summary>
/// One RLHF iteration over the four model services, as README.md draws it: rollouts, KL-penalized per-token rewards
/// (Ouyang et al. 2022, eq. 2; Ziegler et al. 2019), GAE (Schulman et al. 2015) and the PPO clipped surrogate
/// (Schulman et al. 2017), pushed back as ∂loss/∂logprobs and ∂loss/∂values. GRPO (Shao et al. 2024) and RLOO
/// (Ahmadian et al. 2024) replace the critic and GAE by group baselines over the same services.
/// Every random choice (prompts, sampling seeds, minibatch order) is a function of the seed and the iteration, so a
/// resumed run repeats an uninterrupted one exactly.
/// </summary>
public sealed class PpoTrainer
{
    private readonly PpoConfig _config;
    private readonly ModelClients _clients;
    private readonly IReadOnlyList<string> _trainPrompts;
    private readonly IReadOnlyList<string> _evalPrompts;
    private readonly string _runId;
    private readonly bool _rewardByText;
    private IKlController _kl;

    /// <summary>Beginning-of-sequence token of the llama2.c tokenizer.</summary>
    private const int BosId = 1;

    /// <param name="config">The run's configuration.</param>
    /// <param name="clients">The services.</param>
    /// <param name="trainPrompts">Training prompts (texts).</param>
    /// <param name="evalPrompts">Held-out prompts for evaluation.</param>
    /// <param name="runId">Run id: the training lease held on the policy and critic.</param>
    /// <param name="rewardByText">Send text rather than token ids to the reward service (its tokenizer differs).</param>
    /// <exception cref="ArgumentException">No training prompts, PPO without a critic service, or GRPO/RLOO with
    /// num_samples_per_prompt &lt; 2 (what <see cref="PpoConfig.Validate"/> reports).</exception>
    public PpoTrainer(PpoConfig config, ModelClients clients, IReadOnlyList<string> trainPrompts, IReadOnlyList<string> evalPrompts,
        string runId, bool rewardByText = false)
    {
        if (trainPrompts.Count == 0)
            throw new ArgumentException("no training prompts", nameof(trainPrompts));
        if (config.UsesCritic && clients.Critic is null)
            throw new ArgumentException("PPO needs a critic service", nameof(clients));
        if (config.GroupSizeError() is { } groupSize)
            throw new ArgumentException(groupSize, nameof(config));
        _config = config;
        _clients = clients;
        _trainPrompts = trainPrompts;
        _evalPrompts = evalPrompts;
        _runId = runId;
        _rewardByText = rewardByText;
        _kl = config.TargetKl is { } target
            ? new AdaptiveKlController(config.KlCoef, target, config.KlHorizon)
            : new FixedKlController(config.KlCoef);
    }

    /// <summary>The KL controller's current coefficient β.</summary>
    public double KlCoef => _kl.KlCoef;

    /// <summary>The KL controller's state (for checkpoints).</summary>
    public KlControllerState KlControllerState => _kl.GetState();

    /// <summary>Restores the KL controller (resume).</summary>
    public void RestoreKlController(KlControllerState state) => _kl = KlControllers.FromState(state);

    /// <summary>
    /// Runs iteration <paramref name="iteration"/> (from 1) and returns its metrics. Its stages are trace spans
    /// (<see cref="PpoTelemetry"/>) under the current activity, e.g. the iteration span of <see cref="PpoRun"/>.
    /// </summary>
    public async Task<IterationOutcome> RunIterationAsync(int iteration, CancellationToken cancellationToken)
    {
        var call = new CallOptions(cancellationToken: cancellationToken);
        var metrics = new Dictionary<string, double>();
        var total = Stopwatch.StartNew();

        // 1. prompts of this iteration (a seeded permutation per pass over the prompt set)
        var prompts = PromptsFor(iteration);

        // 2-3. rollouts: sample, then old logprobs, ref_logprobs, values and scores, concurrently
        var watch = Stopwatch.StartNew();
        IReadOnlyList<Generation> generations;
        using (PpoTelemetry.Source.StartActivity(PpoTelemetry.GenerateActivity))
            generations = await GenerateAsync(prompts, GenerationSeed(iteration), call).ConfigureAwait(false);
        metrics["timing/generate_s"] = watch.Elapsed.TotalSeconds;
        watch.Restart();
        Rollout rollout;
        using (PpoTelemetry.Source.StartActivity(PpoTelemetry.ScoreActivity))
            rollout = await ScoreAsync(prompts, generations, call).ConfigureAwait(false);
        metrics["timing/score_s"] = watch.Elapsed.TotalSeconds;

        // 4. per-token KL and KL-penalized rewards (score on the last response token)
        watch.Restart();
        var kl = KlPenalty.Compute(rollout.Logprobs, rollout.RefLogprobs, _config.KlEstimator);
        var rewardOptions = new RewardOptions { MissingEosPenalty = _config.MissingEosPenalty, ScoreClip = _config.ScoreClip };
        var rewards = PerTokenRewards.Compute(kl, rollout.Scores, _kl.KlCoef, rollout.ContainsEos, rewardOptions);
        foreach (var (k, v) in rewards.ToMetrics())
            metrics[k] = v;

        // 5. advantages (and returns for the critic)
        var (advantages, returns, advantagesMean) = Advantages(rollout, rewards);
        metrics[MetricNames.ValAdvantagesMean] = advantagesMean;
        metrics["timing/math_s"] = watch.Elapsed.TotalSeconds;

        // 6. ppo_epochs × minibatches: push ∂loss/∂logprobs to the policy and ∂loss/∂values to the critic
        watch.Restart();
        Dictionary<string, double> optimization;
        using (PpoTelemetry.Source.StartActivity(PpoTelemetry.OptimizeActivity))
            optimization = await OptimizeAsync(iteration, rollout, advantages, returns, call).ConfigureAwait(false);
        foreach (var (k, v) in optimization)
            metrics[k] = v;
        metrics["timing/optimize_s"] = watch.Elapsed.TotalSeconds;

        // 7. KL controller update with the mean KL per response
        _kl.Update(rewards.MeanKl, rollout.Count);
        metrics[MetricNames.ObjectiveKlCoef] = _kl.KlCoef;
        metrics[MetricNames.ObjectiveEntropy] = RolloutStatistics.SequenceEntropy(rollout.Logprobs);
        metrics[MetricNames.ObjectiveTokenEntropy] = rollout.Entropy.Data.Average();
        metrics["env/response_length"] = (double)rollout.ResponseTokens / rollout.Count;
        metrics["env/eos_fraction"] = rollout.ContainsEos.Count(e => e) / (double)rollout.Count;
        metrics["timing/iteration_s"] = total.Elapsed.TotalSeconds;
        metrics["throughput/tokens_per_s"] = rollout.ResponseTokens * (1 + _config.PpoEpochs) / Math.Max(1e-9, total.Elapsed.TotalSeconds);
        return new IterationOutcome(iteration, metrics, rollout, rewards.KlPerResponse);
    }

    /// <summary>
    /// Held-out evaluation: sample <c>eval_samples_per_prompt</c> responses per eval prompt with a fixed seed, score it, and measure the KL to the
    /// reference (Σ_t logprobs − ref_logprobs at the sampling temperature) and the reference's per-token NLL at
    /// temperature 1. Also returns the rollout and the KL of each response (Σ_t, nats; shape (N,)).
    /// </summary>
    public async Task<(EvaluationResult Result, Rollout Rollout, double[] KlPerResponse)> EvaluateAsync(CancellationToken cancellationToken)
    {
        using var activity = PpoTelemetry.Source.StartActivity(PpoTelemetry.EvaluateActivity);
        var call = new CallOptions(cancellationToken: cancellationToken);
        var prompts = _evalPrompts.Count > 0 ? _evalPrompts : _trainPrompts.Take(_config.EvalPrompts).ToList();
        var generations = await GenerateAsync(prompts, (ulong)_config.Seed * 7919UL + 17UL, call, samplesPerPrompt: _config.EvalSamplesPerPrompt).ConfigureAwait(false);
        var rollout = await ScoreAsync(prompts, generations, call, withValues: false).ConfigureAwait(false);
        var klPerResponse = KlPenalty.Compute(rollout.Logprobs, rollout.RefLogprobs, KlEstimator.K1).SequenceSums();
        var nllRequest = new ComputeLogProbsRequest { Temperature = 1f };
        nllRequest.Sequences.Add(rollout.Sequences);
        var refAtOne = (await _clients.Reference.ComputeLogProbsAsync(nllRequest, call).ConfigureAwait(false)).Logprobs.ToTokenBatch();
        var result = new EvaluationResult(
            Score: rollout.Scores.Average(),
            Kl: klPerResponse.Average(),
            RefNll: -refAtOne.Data.Average(),
            ResponseLength: (double)rollout.ResponseTokens / rollout.Count,
            EosFraction: rollout.ContainsEos.Count(e => e) / (double)rollout.Count);
        return (result, rollout, klPerResponse);
    }

    private IReadOnlyList<string> PromptsFor(int iteration)
    {
        var n = _trainPrompts.Count;
        var result = new string[_config.BatchSize];
        var cache = new Dictionary<int, int[]>();
        for (var j = 0; j < result.Length; j++)
        {
            var g = (long)(iteration - 1) * _config.BatchSize + j;
            var pass = (int)(g / n);
            if (!cache.TryGetValue(pass, out var perm))
                cache[pass] = perm = Permutation(n, StreamSeed(_config.Seed, 0x5eed, pass, 0));
            result[j] = _trainPrompts[perm[(int)(g % n)]];
        }
        return result;
    }

    private ulong GenerationSeed(int iteration) => (ulong)_config.Seed * 1_000_003UL + (ulong)iteration;

    /// <summary>
    /// The seed of one random stream of the run (a purpose, then two indices), the same in every process: a resumed run
    /// in a new process draws exactly what the uninterrupted one drew. (HashCode.Combine is randomized per process.)
    /// </summary>
    internal static long StreamSeed(int seed, int purpose, int a, int b) =>
        unchecked((long)new DeterministicRandom(((long)seed << 32) ^ ((long)purpose << 48) ^ ((long)a << 16) ^ b).NextUInt64());

    internal static int[] Permutation(int n, long seed)
    {
        var perm = Enumerable.Range(0, n).ToArray();
        new DeterministicRandom(seed).Shuffle(perm);
        return perm;
    }

    private async Task<IReadOnlyList<Generation>> GenerateAsync(IReadOnlyList<string> prompts, ulong seed, CallOptions call,
        int? samplesPerPrompt = null)
    {
        var request = new GenerateRequest
        {
            Sampling = new SamplingParams
            {
                Temperature = (float)_config.Temperature,
                TopP = (float)_config.TopP,
                TopK = _config.TopK,
                MaxNewTokens = _config.MaxNewTokens,
                Seed = seed,
                NumSamplesPerPrompt = samplesPerPrompt ?? _config.NumSamplesPerPrompt,
            },
        };
        foreach (var p in prompts)
            request.Prompts.Add(new Sequence { PromptText = p });
        var response = await _clients.Policy.GenerateAsync(request, call).ConfigureAwait(false);
        return response.Generations;
    }

    private async Task<Rollout> ScoreAsync(IReadOnlyList<string> prompts, IReadOnlyList<Generation> generations, CallOptions call,
        bool withValues = true)
    {
        var sequences = generations.Select(g => new Sequence { PromptIds = { g.PromptIds }, ResponseIds = { g.ResponseIds } }).ToList();
        var promptTexts = generations.Select(g => prompts[g.PromptIndex]).ToArray();
        var responseTexts = generations.Select(g => g.ResponseText).ToArray();

        var policyRequest = new ComputeLogProbsRequest { Temperature = (float)_config.Temperature, ComputeEntropy = true };
        policyRequest.Sequences.Add(sequences);
        var referenceRequest = new ComputeLogProbsRequest { Temperature = (float)_config.Temperature };
        referenceRequest.Sequences.Add(sequences);
        var scoreRequest = new ScoreResponsesRequest();
        var responseOnly = _config.RewardInput == RewardInput.Response;
        scoreRequest.Sequences.Add(_rewardByText
            ? generations.Select((g, i) => new Sequence { PromptText = responseOnly ? "" : promptTexts[i], ResponseText = g.ResponseText })
            : responseOnly
                ? generations.Select(g => new Sequence { PromptIds = { BosId }, ResponseIds = { g.ResponseIds } })
                : sequences);

        var policyTask = _clients.Policy.ComputeLogProbsAsync(policyRequest, call).ResponseAsync;
        var referenceTask = _clients.Reference.ComputeLogProbsAsync(referenceRequest, call).ResponseAsync;
        var scoreTask = _clients.Reward.ScoreResponsesAsync(scoreRequest, call).ResponseAsync;
        Task<ComputeValuesResponse>? valuesTask = null;
        if (_config.UsesCritic && withValues)
        {
            var valuesRequest = new ComputeValuesRequest();
            valuesRequest.Sequences.Add(sequences);
            valuesTask = _clients.Critic!.ComputeValuesAsync(valuesRequest, call).ResponseAsync;
        }
        await Task.WhenAll(new Task[] { policyTask, referenceTask, scoreTask, valuesTask ?? Task.CompletedTask }).ConfigureAwait(false);

        var policy = policyTask.Result;
        return new Rollout(
            sequences,
            promptTexts,
            responseTexts,
            generations.Select(g => g.FinishReason == Contracts.V1.FinishReason.Stop).ToArray(),
            policy.Logprobs.ToTokenBatch(),
            referenceTask.Result.Logprobs.ToTokenBatch(),
            policy.Entropies.ToTokenBatch(),
            valuesTask?.Result.Values.ToTokenBatch(),
            scoreTask.Result.Scores.Select(s => (double)s).ToArray());
    }

    /// <summary>
    /// The per-token advantages the policy loss uses, the critic's returns (PPO only) and the token mean of the
    /// advantages before whitening (<see cref="MetricNames.ValAdvantagesMean"/>): PPO whitens its GAE advantages, so
    /// their mean is taken first; GRPO and RLOO advantages are not whitened.
    /// </summary>
    private (TokenBatch Advantages, TokenBatch? Returns, double MeanBeforeWhitening) Advantages(Rollout rollout, RewardsResult rewards)
    {
        switch (_config.Algorithm)
        {
            case PpoAlgorithm.Ppo:
            {
                var r = _config.WhitenRewards ? Whitening.MaskedWhiten(rewards.Rewards, shiftMean: false) : rewards.Rewards;
                var (advantages, returns) = Gae.Compute(r, rollout.Values!, _config.Gamma, _config.Lam);
                return (Whitening.MaskedWhiten(advantages), returns, advantages.Data.Average());
            }
            case PpoAlgorithm.Grpo:
            {
                var advantages = rollout.Logprobs.Broadcast(GroupAdvantages.Grpo(rewards.Scores, _config.NumSamplesPerPrompt, scaleRewards: _config.ScaleRewards));
                return (advantages, null, advantages.Data.Average());
            }
            case PpoAlgorithm.Rloo:
            {
                var penalized = rewards.Scores.Select((s, i) => s - _kl.KlCoef * rewards.KlPerResponse[i]).ToArray();
                var advantages = rollout.Logprobs.Broadcast(GroupAdvantages.Rloo(penalized, _config.NumSamplesPerPrompt));
                return (advantages, null, advantages.Data.Average());
            }
            default:
                throw new InvalidOperationException($"unknown algorithm {_config.Algorithm}");
        }
    }

    private async Task<Dictionary<string, double>> OptimizeAsync(int iteration, Rollout rollout, TokenBatch advantages, TokenBatch? returns,
        CallOptions call)
    {
        var stats = new MinibatchMetrics();
        GradNorms? last = null;
        var n = rollout.Count;
        var accumulation = Math.Max(1, _config.GradientAccumulationSteps);
        var pending = 0;
        for (var epoch = 0; epoch < _config.PpoEpochs; epoch++)
        {
            var order = Permutation(n, StreamSeed(_config.Seed, 0xb47c, iteration, epoch));
            for (var start = 0; start < n; start += _config.MiniBatchSize)
            {
                call.CancellationToken.ThrowIfCancellationRequested();
                var idx = order[start..Math.Min(n, start + _config.MiniBatchSize)];
                var policyPart = PolicyMinibatchAsync(rollout, advantages, idx, call);
                var criticPart = _config.UsesCritic ? CriticMinibatchAsync(rollout, returns!, idx, call) : Task.FromResult(new Dictionary<string, double>());
                await Task.WhenAll(policyPart, criticPart).ConfigureAwait(false);
                stats.Add(policyPart.Result.Concat(criticPart.Result));
                if (++pending == accumulation)
                {
                    last = await StepAsync(1f / accumulation, call).ConfigureAwait(false);
                    pending = 0;
                }
            }
        }
        if (pending > 0)
            last = await StepAsync(1f / pending, call).ConfigureAwait(false);

        // minibatch metrics: mean over minibatches (val/ratio_var across them, as TRL); gradient norms: the last step's
        var metrics = stats.ToMetrics();
        if (last is { } norms)
        {
            metrics["policy/grad_norm"] = norms.Policy;
            if (norms.Critic is { } critic)
                metrics["val/grad_norm"] = critic;
        }
        return metrics;
    }

    private async Task<Dictionary<string, double>> PolicyMinibatchAsync(Rollout rollout, TokenBatch advantages, int[] idx, CallOptions call)
    {
        var request = new ComputeLogProbsRequest
        {
            Temperature = (float)_config.Temperature,
            KeepForBackward = true,
            ComputeEntropy = _config.EntCoef > 0,
            RunId = _runId,
        };
        request.Sequences.Add(idx.Select(i => rollout.Sequences[i]));
        var forward = await _clients.Policy.ComputeLogProbsAsync(request, call).ConfigureAwait(false);
        var logprobs = forward.Logprobs.ToTokenBatch();
        var oldLogprobs = rollout.Logprobs.Select(idx);
        var mbAdvantages = advantages.Select(idx);
        var lossOptions = _config.PolicyLossOptions(_kl.KlCoef);
        var included = _config.MaskTruncatedCompletions ? idx.Select(i => rollout.ContainsEos[i]).ToArray() : null;
        var loss = PpoObjective.Compute(logprobs, oldLogprobs, mbAdvantages, lossOptions,
            lossOptions.UseKlLoss ? rollout.RefLogprobs.Select(idx) : null, included);
        var backward = new BackwardRequest { RunId = _runId, ForwardId = forward.ForwardId, GradLogprobs = loss.GradLogprobs.ToPacked() };
        var metrics = new Dictionary<string, double>(loss.ToMetrics());
        if (_config.EntCoef > 0)
        {
            var bonus = EntropyBonus.Compute(forward.Entropies.ToTokenBatch(), _config.EntCoef);
            backward.GradEntropies = bonus.GradEntropy.ToPacked();
            foreach (var (k, v) in bonus.ToMetrics())
                metrics[k] = v;
        }
        await _clients.Policy.BackwardAsync(backward, call).ConfigureAwait(false);
        return metrics;
    }

    private async Task<Dictionary<string, double>> CriticMinibatchAsync(Rollout rollout, TokenBatch returns, int[] idx, CallOptions call)
    {
        var request = new ComputeValuesRequest { KeepForBackward = true, RunId = _runId };
        request.Sequences.Add(idx.Select(i => rollout.Sequences[i]));
        var forward = await _clients.Critic!.ComputeValuesAsync(request, call).ConfigureAwait(false);
        var loss = ValueObjective.Compute(forward.Values.ToTokenBatch(), rollout.Values!.Select(idx), returns.Select(idx),
            new ValueLossOptions { CliprangeValue = _config.CliprangeValue, VfCoef = _config.VfCoef });
        await _clients.Critic.BackwardAsync(new BackwardRequest { RunId = _runId, ForwardId = forward.ForwardId, GradValues = loss.GradValues.ToPacked() },
            call).ConfigureAwait(false);
        return new Dictionary<string, double>(loss.ToMetrics());
    }

    /// <summary>Global gradient norms (before clipping) reported by one optimizer step; no critic norm without a critic.</summary>
    private readonly record struct GradNorms(double Policy, double? Critic);

    private async Task<GradNorms> StepAsync(float gradientScale, CallOptions call)
    {
        var maxGradNorm = (float)(_config.MaxGradNorm ?? 0);
        var policyStep = _clients.Policy.OptimizerStepAsync(new OptimizerStepRequest
        {
            RunId = _runId, LearningRate = (float)_config.LearningRate, MaxGradNorm = maxGradNorm, GradientScale = gradientScale,
        }, call).ResponseAsync;
        var criticStep = _config.UsesCritic
            ? _clients.Critic!.OptimizerStepAsync(new OptimizerStepRequest
            {
                RunId = _runId, LearningRate = (float)_config.EffectiveCriticLearningRate, MaxGradNorm = maxGradNorm, GradientScale = gradientScale,
            }, call).ResponseAsync
            : Task.FromResult(new OptimizerStepResponse());
        await Task.WhenAll(policyStep, criticStep).ConfigureAwait(false);
        return new GradNorms(policyStep.Result.GradNorm, _config.UsesCritic ? criticStep.Result.GradNorm : null);
    }
}

/// <summary>The result of one iteration.</summary>
/// <param name="Iteration">Iteration number, from 1.</param>
/// <param name="Metrics">Standard metric names → values.</param>
/// <param name="Rollout">The iteration's rollouts (for samples.jsonl).</param>
/// <param name="KlPerResponse">Σ_t KL per rollout. Shape: (N,). Unit: nats.</param>
public sealed record IterationOutcome(int Iteration, IReadOnlyDictionary<string, double> Metrics, Rollout Rollout, double[] KlPerResponse);
