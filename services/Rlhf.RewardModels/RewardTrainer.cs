using Rlhf.Models;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rlhf.Alignment;
using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Tokenizers;
using Rlhf.Engine.Training;
using Rlhf.Configuration;
using Rlhf.Configuration.Runs;
using AtomicFile = Rlhf.Configuration.Runs.AtomicFile;
using Rlhf.RewardModels.Internal;

namespace Rlhf.RewardModels;

/// <summary>
/// Trains a reward model (Ouyang et al. 2022 §3.5; Stiennon et al. 2020 §3.4): the engine's Llama backbone loaded from
/// <see cref="RewardTrainingConfig.BaseModel"/> with its scalar head <c>r = score.weight · h_last + score.bias</c> read at
/// the last token of <c>prompt ++ response</c>. The head starts at zero (unless the base checkpoint carries one), so every
/// first score is 0 and the first loss is exactly log 2; the backbone starts receiving gradient once the head moves.
/// <para>Each optimizer step (numbered steps in <see cref="Train"/>):</para>
/// <list type="number">
/// <item>takes <c>batch_size</c> groups (pairs, or K-wise rankings) and runs ALL their sequences in one forward pass
/// that keeps activations;</item>
/// <item>computes the loss on the last-token scores: Bradley–Terry <c>−log σ(r_c − r_r − m)</c>
/// (<see cref="RewardModelObjective.Pairwise"/>), or the K-wise loss of Ouyang et al. 2022 eq. 1, the mean over the
/// C(K,2) ordered pairs of each ranking (<see cref="RewardModelObjective.KWise"/>), averaged over all pairs of the batch;</item>
/// <item>back-propagates ∂loss/∂r through the engine (<see cref="LlamaModel.Backward"/>), clips the global gradient
/// norm and takes an AdamW step (the head may have its own learning rate);</item>
/// <item>every <c>eval_every</c> steps and at the end: held-out pairwise accuracy and mean margin; the parameters of
/// the best accuracy so far are kept in memory; after <c>early_stopping_patience</c> evaluations without improvement
/// training stops.</item>
/// </list>
/// At the end the best parameters are restored and saved to <c>output_dir/model/</c> (safetensors checkpoint, tokenizer
/// copy, <see cref="RewardCalibration"/> on held-out sequences). <c>output_dir</c> also gets <c>metrics.jsonl</c>
/// (step, loss, accuracy, margin, lr, grad_norm, tokens_per_s, and eval/* at evaluation steps), <c>summary.json</c> and
/// <c>config.yaml</c>; HH runs without an eval file also get <c>eval_pairs.jsonl</c>, the held-out pairs, for
/// <c>rlhf eval-reward</c>. Same config and seed ⇒ the same bytes (the engine is deterministic for a thread count).
/// <c>output_dir</c> must not hold another run (<see cref="RunDirectory.Open"/>; <c>overwrite</c> replaces it).
/// Progress: a line per evaluation and at the end, each with elapsed time and ETA, and a bar on a terminal
/// (<see cref="ProgressReporter"/>).
/// </summary>
public sealed class RewardTrainer
{
    /// <summary>The checkpoint's folder name inside the output directory.</summary>
    public const string ModelFolder = "model";

    /// <summary>Key of the training token budget in the checkpoint's <c>trainer_state.json</c> "extra" object.</summary>
    public const string MaxSeqLenKey = "max_seq_len";

    /// <summary>
    /// The token budget a saved reward model was trained with (<c>trainer_state.json</c> extra.max_seq_len), or null when
    /// the checkpoint does not record it. Score with the same budget (truncating keeping the end) to match training.
    /// </summary>
    public static int? TrainedMaxSeqLen(string modelDirectory) =>
        CheckpointDirectory.ReadTrainerState(modelDirectory)?.Extra?[MaxSeqLenKey]?.GetValue<int>();

    private static readonly ForwardOptions TrainForward = new() { ComputeLogprobs = false, KeepForBackward = true };
    private readonly RewardTrainingConfig _config;
    private readonly ProgressReporter _log;
    private readonly bool _overwrite;

    /// <summary>Creates a trainer for a validated config (see <see cref="ConfigLoader"/>).</summary>
    /// <param name="config">The run's configuration.</param>
    /// <param name="progress">Progress lines and bars (null = none).</param>
    /// <param name="overwrite">Delete another run's files in <c>output_dir</c> instead of refusing.</param>
    public RewardTrainer(RewardTrainingConfig config, ProgressReporter? progress = null, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        ConfigLoader.Validate(config);
        _config = config;
        _log = progress ?? ProgressReporter.None;
        _overwrite = overwrite;
    }

    /// <summary>The checkpoint directory a run with output directory <paramref name="outputDir"/> writes.</summary>
    public static string ModelDirectory(string outputDir) => Path.Combine(outputDir, ModelFolder);

    /// <summary>Runs the training; see the class summary.</summary>
    /// <exception cref="FileNotFoundException">The base model, tokenizer or a data file is missing.</exception>
    /// <exception cref="InvalidDataException">A model file is malformed.</exception>
    /// <exception cref="FormatException">A data file is malformed.</exception>
    /// <exception cref="InvalidOperationException">There are no training groups.</exception>
    /// <exception cref="RunDirectoryInUseException"><c>output_dir</c> holds another run (and overwrite is off), or files that are not a run's.</exception>
    public RewardTrainingResult Train(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var c = _config;
        var outputDir = RunDirectory.Open(c.OutputDir, _overwrite ? RunStart.Overwrite : RunStart.New).Root;
        AtomicFile.WriteAllText(Path.Combine(outputDir, "config.yaml"), ConfigYaml.Serialize(c));

        // 1. the backbone with its scalar head, the tokenizer and the data
        var threads = c.Threads > 0 ? c.Threads : Environment.ProcessorCount;
        var model = ModelFiles.Load(c.BaseModel, new EngineOptions { Threads = threads });
        var tokenizer = Llama2Tokenizer.Load(c.Tokenizer, model.Config.VocabSize);
        var maxSeqLen = Math.Min(c.MaxSeqLen, model.Config.MaxSeqLen);
        var data = RewardDataset.Load(c, new RewardSequenceBuilder(tokenizer, maxSeqLen));
        if (data.GroupsPerEpoch == 0)
            throw new InvalidOperationException($"no training data in {c.Dataset.Train}");
        if (data.EvalText.Count > 0)
            WriteEvalPairs(Path.Combine(outputDir, "eval_pairs.jsonl"), data.EvalText);
        var stepsPerEpoch = (data.GroupsPerEpoch + c.BatchSize - 1) / c.BatchSize;
        var totalSteps = c.MaxSteps ?? stepsPerEpoch * c.Epochs;
        _log.WriteLine($"model: {c.BaseModel} ({model.ParameterCount} parameters, {threads} threads); max_seq_len {maxSeqLen}");
        _log.WriteLine($"train: {data.Description}; eval: {data.EvalDescription}");
        _log.WriteLine($"steps: {totalSteps} ({stepsPerEpoch} per epoch, batch {c.BatchSize}); loss {ConfigNames.ToSnakeCase(c.Loss.ToString())}");

        // 2. optimizers: the backbone and the scalar head, each AdamW (Loshchilov & Hutter 2019)
        var adamOptions = new AdamWOptions { WeightDecay = (float)c.WeightDecay };
        var headIndices = Enumerable.Range(0, model.Parameters.Count).Where(i => TensorBinding.IsScalarHead(model.Parameters[i].Name)).ToArray();
        var bodyIndices = Enumerable.Range(0, model.Parameters.Count).Except(headIndices).ToArray();
        var body = new AdamW([.. bodyIndices.Select(i => model.Parameters[i])], adamOptions);
        var head = new AdamW([.. headIndices.Select(i => model.Parameters[i])], adamOptions);
        NamedTensor[] bodyGrads = [.. bodyIndices.Select(i => model.Gradients[i])];
        NamedTensor[] headGrads = [.. headIndices.Select(i => model.Gradients[i])];
        var schedule = CreateSchedule(c.LearningRate, totalSteps);
        var headScale = (c.HeadLearningRate ?? c.LearningRate) / c.LearningRate;

        var best = Snapshot(model);
        int bestStep = 0, evalsWithoutImprovement = 0, step = 0;
        PairwiseEvaluation? bestEval = null;
        var stoppedEarly = false;
        using (var metrics = new StepMetricsWriter(Path.Combine(outputDir, "metrics.jsonl")))
        using (var pass = _log.Start("train-reward", totalSteps))
        {
            for (var epoch = 0; step < totalSteps && !stoppedEarly; epoch++)
            {
                var groups = data.Epoch(epoch);
                for (var start = 0; start < groups.Count && step < totalSteps && !stoppedEarly; start += c.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var stepClock = Stopwatch.StartNew();
                    var batch = groups.Skip(start).Take(c.BatchSize).ToArray();

                    // 3. one forward over every sequence of the batch, the loss and ∂loss/∂score
                    var (sequences, tokens) = Flatten(batch);
                    var forward = model.Forward(sequences, TrainForward);
                    var (loss, accuracy, margin, gradScores) = Loss(batch, forward.LastScalar);

                    // 4. back-propagate, clip, step
                    model.ZeroGrad();
                    model.Backward(forward.State!, new OutputGradients(LastScalar: gradScores));
                    var gradNorm = c.MaxGradNorm > 0
                        ? GradientClipping.ClipByGlobalNorm(model.Gradients, c.MaxGradNorm)
                        : GradientClipping.GlobalNorm(model.Gradients);
                    var lr = schedule.At(step);
                    if (double.IsFinite(gradNorm))
                    {
                        body.Step(bodyGrads, (float)lr);
                        head.Step(headGrads, (float)(lr * headScale));
                    }
                    step++;
                    var line = new List<KeyValuePair<string, double>>
                    {
                        new("epoch", epoch), new("loss", loss), new("accuracy", accuracy), new("margin", margin),
                        new("lr", lr), new("grad_norm", gradNorm), new("tokens_per_s", tokens / stepClock.Elapsed.TotalSeconds),
                    };

                    // 5. held-out evaluation, best parameters, early stopping
                    string? progressLine = null;
                    if (data.Eval.Count > 0 && ((c.EvalEvery > 0 && step % c.EvalEvery == 0) || step == totalSteps))
                    {
                        var eval = PairwiseEvaluation.Run(model, data.Eval, c.BatchSize, _log);
                        line.Add(new("eval/loss", eval.Loss));
                        line.Add(new("eval/accuracy", eval.Accuracy));
                        line.Add(new("eval/margin", eval.MeanMargin));
                        if (bestEval is null || eval.Accuracy > bestEval.Accuracy)
                        {
                            (bestEval, bestStep, evalsWithoutImprovement) = (eval, step, 0);
                            best = Snapshot(model);
                        }
                        else if (c.EarlyStoppingPatience > 0 && ++evalsWithoutImprovement >= c.EarlyStoppingPatience && step < totalSteps)
                            stoppedEarly = true;
                        progressLine = string.Create(CultureInfo.InvariantCulture,
                            $"step {step}/{totalSteps} epoch {epoch} loss {loss:F4} eval_accuracy {eval.Accuracy:F3} eval_margin {eval.MeanMargin:F3} best {bestEval.Accuracy:F3}@{bestStep}");
                    }
                    metrics.Append(step, line);
                    pass.Report(step, progressLine);
                }
            }
        }
        if (bestEval is null)
        {
            best = Snapshot(model);
            bestStep = step;
        }

        // 6. restore the best parameters, calibrate on held-out sequences, save
        Restore(model, best);
        var (calibrationSequences, referenceSet) = CalibrationSet(data);
        var calibration = calibrationSequences.Count > 0
            ? RewardCalibration.FromScores(RewardScorer.Score(model, calibrationSequences), referenceSet)
            : new RewardCalibration(0, 1, 0, referenceSet);
        var modelDir = ModelDirectory(outputDir);
        CheckpointDirectory.Save(modelDir, model.Config, model.Parameters,
            trainerState: new TrainerState(bestStep, bestStep, [], new System.Text.Json.Nodes.JsonObject
            {
                [MaxSeqLenKey] = maxSeqLen,
                ["dataset_kind"] = ConfigNames.ToSnakeCase(c.Dataset.Kind.ToString()),
            }), tokenizerPath: c.Tokenizer);
        AtomicFile.WriteAllText(Path.Combine(modelDir, RewardCalibration.FileName), calibration.ToJson() + "\n");
        var wall = clock.Elapsed;
        WriteSummary(Path.Combine(outputDir, "summary.json"), step, bestStep, bestEval, stoppedEarly, calibration, wall);
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"saved {modelDir}: step {bestStep}, eval_accuracy {bestEval?.Accuracy ?? double.NaN:F3}, calibration mean {calibration.Mean:F4} std {calibration.Std:F4}, {wall.TotalSeconds:F1}s"));
        return new RewardTrainingResult(modelDir, step, bestStep, bestEval, stoppedEarly, calibration, calibrationSequences, wall);
    }

    private LearningRateSchedule CreateSchedule(double peak, int totalSteps) => _config.LrSchedule switch
    {
        LrSchedule.Cosine => new CosineWithWarmupLearningRate(peak, _config.WarmupSteps, Math.Max(totalSteps, _config.WarmupSteps + 1)),
        LrSchedule.LinearWarmup => new LinearDecayLearningRate(peak, _config.WarmupSteps, totalSteps),
        _ => new LinearWarmupLearningRate(peak, _config.WarmupSteps),
    };

    private static (TokenSequence[] Sequences, long Tokens) Flatten(PreferenceGroup[] batch)
    {
        var sequences = batch.SelectMany(g => g.BestFirst).ToArray();
        return (sequences, sequences.Sum(s => (long)s.Length));
    }

    /// <summary>Loss, accuracy and mean margin over all pairs of the batch, and ∂loss/∂score per sequence (flattened order).</summary>
    private (double Loss, double Accuracy, double Margin, float[] Grad) Loss(PreferenceGroup[] batch, float[] scores)
    {
        var grad = new float[scores.Length];
        if (_config.Loss == RewardLoss.BradleyTerry)
        {
            var chosen = new double[batch.Length];
            var rejected = new double[batch.Length];
            var margins = new double[batch.Length];
            for (var i = 0; i < batch.Length; i++)
            {
                chosen[i] = scores[2 * i];
                rejected[i] = scores[2 * i + 1];
                margins[i] = batch[i].Margin;
            }
            var r = RewardModelObjective.Pairwise(chosen, rejected, margins);
            for (var i = 0; i < batch.Length; i++)
            {
                grad[2 * i] = (float)r.GradChosen[i];
                grad[2 * i + 1] = (float)r.GradRejected[i];
            }
            return (r.Loss, r.Accuracy, r.MeanMargin, grad);
        }

        // K-wise: each ranking's mean over its C(K,2) pairs, weighted by its pair count, is the mean over all pairs.
        double totalPairs = batch.Sum(g => g.BestFirst.Length * (g.BestFirst.Length - 1) / 2.0);
        double loss = 0, accuracy = 0, margin = 0;
        var offset = 0;
        foreach (var g in batch)
        {
            var k = g.BestFirst.Length;
            var groupScores = new double[k];
            for (var j = 0; j < k; j++)
                groupScores[j] = scores[offset + j];
            var r = RewardModelObjective.KWise(groupScores, k);
            var weight = k * (k - 1) / 2.0 / totalPairs;
            loss += weight * r.Loss;
            accuracy += weight * r.Accuracy;
            margin += weight * r.MeanMargin;
            for (var j = 0; j < k; j++)
                grad[offset + j] = (float)(weight * r.GradScores[j]);
            offset += k;
        }
        return (loss, accuracy, margin, grad);
    }

    private (IReadOnlyList<TokenSequence> Sequences, string Description) CalibrationSet(RewardDataset data)
    {
        var n = _config.CalibrationSize;
        if (n == 0)
            return ([], "none (calibration_size 0): identity");
        if (data.Eval.Count > 0)
        {
            var pairs = data.Eval.Take(n).ToArray();
            return ([.. pairs.SelectMany(p => new[] { p.Chosen, p.Rejected })],
                $"chosen and rejected sequences of the first {pairs.Length} held-out pairs ({data.EvalDescription})");
        }
        var groups = data.Epoch(0).Take(n).ToArray();
        return ([.. groups.SelectMany(g => g.BestFirst)],
            $"every sequence of the first {groups.Length} training groups of epoch 0 (no held-out data): {data.Description}");
    }

    private static float[][] Snapshot(LlamaModel model) => [.. model.Parameters.Select(p => p.Data.ToArray())];

    private static void Restore(LlamaModel model, float[][] snapshot)
    {
        for (var i = 0; i < snapshot.Length; i++)
            snapshot[i].CopyTo(model.Parameters[i].Data);
    }

    private static void WriteEvalPairs(string path, IReadOnlyList<Data.PreferencePair> pairs)
    {
        var text = new StringBuilder();
        foreach (var p in pairs)
            text.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["chosen"] = p.Prompt + p.Chosen, ["rejected"] = p.Prompt + p.Rejected })).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }

    private static void WriteSummary(string path, int steps, int bestStep, PairwiseEvaluation? best, bool stoppedEarly, RewardCalibration calibration, TimeSpan wall)
    {
        var values = new Dictionary<string, double>
        {
            ["steps"] = steps,
            ["best_step"] = bestStep,
            ["eval/accuracy"] = best?.Accuracy ?? double.NaN,
            ["eval/margin"] = best?.MeanMargin ?? double.NaN,
            ["eval/loss"] = best?.Loss ?? double.NaN,
            ["eval/pairs"] = best?.Pairs ?? 0,
            ["stopped_early"] = stoppedEarly ? 1 : 0,
            ["calibration/mean"] = calibration.Mean,
            ["calibration/std"] = calibration.Std,
            ["wall_s"] = wall.TotalSeconds,
        };
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            foreach (var (k, v) in values)
            {
                if (double.IsFinite(v))
                    w.WriteNumber(k, v);
                else
                    w.WriteNull(k);
            }
            w.WriteEndObject();
        });
    }
}
