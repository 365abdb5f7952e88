using Rlhf.Models;
using Rlhf.Engine.IO;
using Rlhf.Engine;

namespace Rlhf.RewardModels;

/// <summary>What <see cref="RewardTrainer.Train"/> produced.</summary>
/// <param name="ModelDirectory">The saved checkpoint directory (best held-out step), with calibration.json and tokenizer.bin.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="BestStep">Step whose parameters were saved (the best held-out accuracy; the last step without eval data).</param>
/// <param name="BestEval">Held-out metrics of the saved parameters, or null without eval data.</param>
/// <param name="StoppedEarly">True when early stopping ended training before the planned steps.</param>
/// <param name="Calibration">The saved calibration.</param>
/// <param name="CalibrationSequences">The reference sequences the calibration was computed on, in order.</param>
/// <param name="WallTime">Time from start to the saved checkpoint.</param>
public sealed record RewardTrainingResult(
    string ModelDirectory,
    int Steps,
    int BestStep,
    PairwiseEvaluation? BestEval,
    bool StoppedEarly,
    RewardCalibration Calibration,
    IReadOnlyList<TokenSequence> CalibrationSequences,
    TimeSpan WallTime);
