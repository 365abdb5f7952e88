namespace Rlhf.RewardModels.Tests.Infrastructure;

/// <summary>One short SST-2 training run shared by the tests of a class (its metrics, result and saved model).</summary>
public sealed class TrainedSst2Fixture : IDisposable
{
    private readonly TempDir _dir = new();

    public TrainedSst2Fixture()
    {
        Config = SmallSst2.Config(_dir, "run");
        Result = new RewardTrainer(Config).Train();
        EvalTsv = _dir.Sub("eval.tsv");
    }

    internal RewardTrainingConfig Config { get; }

    public RewardTrainingResult Result { get; }

    public string EvalTsv { get; }

    public void Dispose() => _dir.Dispose();
}
