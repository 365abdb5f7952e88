namespace Rlhf.RewardModels;

/// <summary>Learning-rate schedule of reward-model training (config key <c>lr_schedule</c>).</summary>
public enum LrSchedule
{
    /// <summary><c>constant</c>: learning_rate throughout (after warmup_steps of linear warmup, when set).</summary>
    Constant,

    /// <summary><c>linear_warmup</c>: linear warmup over warmup_steps, then linear decay to 0 at the last step.</summary>
    LinearWarmup,

    /// <summary><c>cosine</c>: linear warmup over warmup_steps, then half-cosine decay to 0 (Loshchilov &amp; Hutter 2017).</summary>
    Cosine,
}

/// <summary>Preference data format for reward training (config key <c>dataset.kind</c>).</summary>
public enum RewardDatasetKind
{
    /// <summary><c>hh</c>: Anthropic HH-RLHF JSONL (plain or .gz).</summary>
    Hh,

    /// <summary><c>sst2</c>: labelled sentences TSV, paired positive ≻ negative.</summary>
    Sst2,

    /// <summary><c>kwise</c>: K-wise rankings JSONL (best first).</summary>
    Kwise,
}

/// <summary>Reward-model loss (config key <c>loss</c>).</summary>
public enum RewardLoss
{
    /// <summary><c>bradley_terry</c>: −log σ(r_chosen − r_rejected − margin) per pair (Ouyang et al. 2022, eq. 1).</summary>
    BradleyTerry,

    /// <summary><c>kwise</c>: all C(K,2) pairs of one ranking averaged together (Ouyang et al. 2022, §3.5), or the
    /// Plackett–Luce listwise likelihood, as the trainer documents.</summary>
    Kwise,
}
