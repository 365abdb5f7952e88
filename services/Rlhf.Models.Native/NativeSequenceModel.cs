using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Engine.Training;

namespace Rlhf.Models.Native;

/// <summary>
/// <see cref="ISequenceModel"/> on the native CPU engine: a <see cref="LlamaModel"/> (interleaved q/k rows inside,
/// HF layout at this boundary), its AdamW (Loshchilov &amp; Hutter 2019) and checkpoints (llama2.c <c>.bin</c> to
/// start from; HF safetensors directories to save and resume, <see cref="CheckpointDirectory"/>).
/// </summary>
public sealed class NativeSequenceModel : ISequenceModel
{
    private readonly ModelLoadOptions _options;
    private readonly EngineOptions _engineOptions;
    private readonly AdamWOptions _adamWOptions;
    private LlamaModel _model;
    private AdamW _optimizer;

    private NativeSequenceModel(LlamaModel model, ModelLoadOptions options, EngineOptions engineOptions)
    {
        _model = model;
        _options = options;
        _engineOptions = engineOptions;
        _adamWOptions = new AdamWOptions { Beta1 = options.Beta1, Beta2 = options.Beta2, Eps = options.Eps, WeightDecay = options.WeightDecay };
        _optimizer = new AdamW(model.Parameters, _adamWOptions);
    }

    /// <summary>The engine model (tests and in-process tools).</summary>
    public LlamaModel Model => _model;

    /// <inheritdoc />
    public ModelArchitecture Architecture => _model.Config.ToArchitecture();

    /// <inheritdoc />
    public ModelInfo Info => new("native", "Rlhf.Engine (OpenBLAS)", Architecture, _model.ParameterCount, ModelDtype.Float32, "cpu",
        _options.TokenizerFingerprint, _optimizer.StepCount);

    /// <summary>
    /// Loads a llama2.c <c>.bin</c> file or a checkpoint directory (restoring its optimizer state when present).
    /// </summary>
    /// <exception cref="ModelBackendUnavailableException">A device other than cpu, or a dtype other than float32.</exception>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed, or needs a feature the engine lacks (named, e.g. Qwen2's q/k/v biases).</exception>
    public static NativeSequenceModel Load(string path, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        var (device, _) = ModelLoadOptions.ParseDevice(options.Device);
        if (device != "cpu")
            throw new ModelBackendUnavailableException($"Model:Backend=native runs on the CPU only, but Model:Device={options.Device}; use Model:Backend=torch for CUDA");
        if (options.Dtype != ModelDtype.Float32)
            throw new ModelBackendUnavailableException($"Model:Backend=native computes in float32 only, but Model:Dtype={options.Dtype}; use Model:Backend=torch for bfloat16");
        var engineOptions = new EngineOptions { Threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount };
        var model = new NativeSequenceModel(ModelFiles.Load(path, engineOptions), options, engineOptions);
        if (Directory.Exists(path))
            CheckpointDirectory.TryLoadOptimizer(path, model._optimizer);
        return model;
    }

    /// <inheritdoc />
    public ForwardResult Forward(IReadOnlyList<TokenSequence> batch, ForwardOptions options) => _model.Forward(batch, options);

    /// <inheritdoc />
    public void Backward(IForwardState state, OutputGradients gradients) => _model.Backward(state, gradients);

    /// <inheritdoc />
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<int[]> prompts, GenerationOptions options) => _model.Generate(prompts, options);

    /// <inheritdoc />
    public float OptimizerStep(float learningRate, float maxGradNorm, float gradientScale) =>
        Rlhf.Engine.Training.OptimizerStep.Apply(_model, _optimizer, learningRate, maxGradNorm, gradientScale);

    /// <inheritdoc />
    public void ZeroGrad() => _model.ZeroGrad();

    /// <inheritdoc />
    public IReadOnlyList<TensorData> CopyParameters() => ToHfLayout(_model.Parameters);

    /// <inheritdoc />
    public IReadOnlyList<TensorData> CopyGradients() => ToHfLayout(_model.Gradients);

    private List<TensorData> ToHfLayout(IReadOnlyList<NamedTensor> tensors) =>
        tensors.Select(t =>
        {
            var data = t.Data.ToArray();
            if (RopePermutation.AppliesTo(t.Name))
            {
                var half = new float[data.Length];
                RopePermutation.InterleavedToHalf(data, half, RopePermutation.HeadCount(t.Name, _model.Config), t.Shape[^1]);
                data = half;
            }
            return new TensorData(t.Name, t.Shape, data);
        }).ToList();

    /// <inheritdoc />
    public void SaveCheckpoint(string directory, bool includeOptimizerState) =>
        CheckpointDirectory.Save(directory, _model.Config, _model.Parameters, includeOptimizerState ? _optimizer : null,
            new TrainerState(_optimizer.StepCount, _optimizer.StepCount, []), _options.TokenizerPath);

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

/// <summary>The native engine backend (<c>Model:Backend=native</c>).</summary>
public sealed class NativeBackend : IModelBackend
{
    /// <inheritdoc />
    public string Name => "native";

    /// <inheritdoc />
    public ISequenceModel Load(string path, ModelLoadOptions options) => NativeSequenceModel.Load(path, options);
}
