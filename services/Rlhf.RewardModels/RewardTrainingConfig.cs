using System.ComponentModel;
using Rlhf.Configuration;

namespace Rlhf.RewardModels;

/// <summary>
/// Configuration of <c>rlhf train-reward</c>: a scalar-head reward model initialised from <c>base_model</c> and trained
/// on preference pairs with the Bradley–Terry loss (Ouyang et al. 2022, eq. 1; compare TRL's <c>RewardConfig</c>).
/// Keys are documented by their <see cref="DescriptionAttribute"/>; paths as in <c>rlhf ppo</c>.
/// </summary>
public sealed class RewardTrainingConfig : IConfigSection
{
    [ConfigAlias(trl: "model_name_or_path")]
    [ConfigPath, Description("Base model the reward model starts from: llama2.c .bin or checkpoint directory (required).")]
    public string BaseModel { get; set; } = "";

    [ConfigPath, Description("llama2.c tokenizer.bin (required).")]
    public string Tokenizer { get; set; } = "";

    [Description("Preference data.")]
    public RewardDatasetConfig Dataset { get; set; } = new();

    [Description("Loss: bradley_terry (pairs) | kwise (all pairs of a ranking together; needs dataset.kind kwise).")]
    public RewardLoss Loss { get; set; } = RewardLoss.BradleyTerry;

    [ConfigRange(0), Description("Margin m in −log σ(r_chosen − r_rejected − m) added to every pair's own margin (Llama 2 eq. 2); 0 = plain.")]
    public double Margin { get; set; }

    [ConfigAlias(trl: "max_length")]
    [ConfigRange(2), Description("Longest prompt + response in tokens; longer inputs keep the response and the prompt's end (TRL max_length).")]
    public int MaxSeqLen { get; set; } = 256;

    [ConfigAlias(trl: "per_device_train_batch_size")]
    [ConfigRange(1), Description("Pairs per optimisation step.")]
    public int BatchSize { get; set; } = 16;

    [ConfigRange(0, 1, MinExclusive = true), Description("AdamW peak learning rate.")]
    public double LearningRate { get; set; } = 1e-4;

    [ConfigRange(0), Description("AdamW decoupled weight decay (Loshchilov & Hutter 2019).")]
    public double WeightDecay { get; set; }

    [ConfigAlias(trl: "num_train_epochs")]
    [ConfigRange(1), Description("Passes over the training pairs (TRL num_train_epochs = 1).")]
    public int Epochs { get; set; } = 1;

    [ConfigRange(1), Description("Stop after this many steps, overriding epochs; null = epochs decide.")]
    public int? MaxSteps { get; set; }

    [ConfigRange(0), Description("Linear warmup steps from 0 to learning_rate.")]
    public int WarmupSteps { get; set; }

    [ConfigAlias(trl: "lr_scheduler_type")]
    [Description("Learning-rate schedule after warmup: constant | linear_warmup (linear decay to 0) | cosine.")]
    public LrSchedule LrSchedule { get; set; } = LrSchedule.Constant;

    [ConfigAlias(trl: "eval_steps")]
    [ConfigRange(0), Description("Evaluate (loss, accuracy) every N steps and at the end; 0 = only at the end.")]
    public int EvalEvery { get; set; } = 100;

    [ConfigRange(0), Description("Stop after N evaluations without improvement of eval accuracy; 0 = never.")]
    public int EarlyStoppingPatience { get; set; }

    [Description("Seed of initialisation, shuffles, pairing and splits.")]
    public int Seed { get; set; } = 42;

    [ConfigPath, Description("Output directory: model/ (the checkpoint), metrics.jsonl, summary.json, config.yaml; must not hold another run (--overwrite replaces it). Unset: rlhf train-reward makes runs/<config name>/<yyyyMMdd-HHmmss>/ in the current directory and points runs/<config name>/latest at it.")]
    public string OutputDir { get; set; } = "";

    [ConfigRange(0), Description("Held-out pairs used to calibrate the score scale (mean/std of rewards) after training; 0 = none.")]
    public int CalibrationSize { get; set; } = 256;

    [ConfigRange(0), Description("Engine threads (EngineOptions.Threads); 0 = all cores.")]
    public int Threads { get; set; } = 2;

    [ConfigRange(0), Description("Clip the global gradient L2 norm to this value before each step (Pascanu et al. 2013); 0 = no clipping.")]
    public double MaxGradNorm { get; set; } = 1.0;

    [ConfigRange(0, 1, MinExclusive = true), Description("AdamW peak learning rate of the scalar head (score.weight, score.bias); null = learning_rate.")]
    public double? HeadLearningRate { get; set; }

    /// <inheritdoc />
    public void Validate(ICollection<string> errors, string prefix)
    {
        if (BaseModel.Length == 0)
            errors.Add("base_model is required (llama2.c .bin or checkpoint directory)");
        if (Tokenizer.Length == 0)
            errors.Add("tokenizer is required (a llama2.c tokenizer.bin)");
        if (Loss == RewardLoss.Kwise && Dataset.Kind != RewardDatasetKind.Kwise)
            errors.Add($"loss kwise needs dataset.kind kwise (got {ConfigNames.ToSnakeCase(Dataset.Kind.ToString())})");
        if (LrSchedule != LrSchedule.Constant && MaxSteps is { } steps && WarmupSteps >= steps)
            errors.Add($"warmup_steps ({WarmupSteps}) must be < max_steps ({steps}) for lr_schedule {ConfigNames.ToSnakeCase(LrSchedule.ToString())}");
    }
}
