using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Engine.Training;

namespace Rlhf.ModelServices;

/// <summary>
/// <see cref="ISequenceModel"/> on the CPU engine: a <see cref="LlamaModel"/>, its AdamW optimizer (Loshchilov &amp;
/// Hutter 2019) and checkpoints (llama2.c <c>.bin</c> to start from; safetensors directories with Hugging Face names
/// to save and resume).
/// </summary>
public sealed class EngineSequenceModel : ISequenceModel
{
    private readonly EngineOptions _engineOptions;
    private readonly AdamWOptions _adamWOptions;

    /// <summary>Tokenizer file copied into saved checkpoints, or null.</summary>
    private readonly string? _tokenizerPath;
    private LlamaModel _model;
    private AdamW _optimizer;

    private EngineSequenceModel(LlamaModel model, EngineOptions engineOptions, AdamWOptions adamWOptions, string? tokenizerPath)
    {
        _model = model;
        _engineOptions = engineOptions;
        _adamWOptions = adamWOptions;
        _optimizer = new AdamW(model.Parameters, adamWOptions);
        _tokenizerPath = tokenizerPath;
    }

    /// <summary>The engine model (tests and in-process tools).</summary>
    public LlamaModel Model => _model;

    /// <inheritdoc />
    public ModelConfig Config => _model.Config;

    /// <inheritdoc />
    public long ParameterCount => _model.ParameterCount;

    /// <summary>
    /// Loads a llama2.c <c>.bin</c> file or a checkpoint directory. The scalar head (<c>score.*</c>) may be absent
    /// and then starts at zero. Saved checkpoints get a copy of <c>tokenizerPath</c>, or when it is null of the loaded
    /// directory's own tokenizer (<see cref="Checkpoints.TokenizerPath"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or its tensors do not fit (named in the message).</exception>
    public static EngineSequenceModel Load(string path, EngineOptions? engineOptions = null, AdamWOptions? adamWOptions = null,
        string? tokenizerPath = null)
    {
        engineOptions ??= new EngineOptions();
        var model = ModelFiles.Load(path, engineOptions);
        var result = new EngineSequenceModel(model, engineOptions, adamWOptions ?? new AdamWOptions { WeightDecay = 0f },
            Checkpoints.TokenizerPath(path, tokenizerPath));
        if (Directory.Exists(path))
            CheckpointDirectory.TryLoadOptimizer(path, result._optimizer);
        return result;
    }

    /// <inheritdoc />
    public ForwardResult Forward(IReadOnlyList<TokenSequence> batch, ForwardOptions options) => _model.Forward(batch, options);

    /// <inheritdoc />
    public void Backward(ForwardState state, BackwardGrads grads) => _model.Backward(state, grads);

    /// <inheritdoc />
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, GenerationOptions options) => _model.Generate(prompts, options);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The gradients are not finite; they are dropped and the weights are untouched.</exception>
    public float OptimizerStep(float learningRate, float maxGradNorm, float gradientScale) =>
        Rlhf.Engine.Training.OptimizerStep.Apply(_model, _optimizer, learningRate, maxGradNorm, gradientScale);

    /// <inheritdoc />
    public void SaveCheckpoint(string directory, bool includeOptimizerState) =>
        CheckpointDirectory.Save(directory, _model.Config, _model.Parameters, includeOptimizerState ? _optimizer : null,
            new TrainerState(_optimizer.StepCount, _optimizer.StepCount, []), _tokenizerPath);

    /// <inheritdoc />
    public void LoadCheckpoint(string path, bool loadOptimizerState)
    {
        var model = ModelFiles.Load(path, _engineOptions, _model.Config);
        var optimizer = new AdamW(model.Parameters, _adamWOptions);
        if (loadOptimizerState && Directory.Exists(path))
            CheckpointDirectory.TryLoadOptimizer(path, optimizer);
        _model = model;
        _optimizer = optimizer;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
