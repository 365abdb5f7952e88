using Rlhf.Engine;
using Rlhf.Engine.IO;

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rlhf.Models.Torch;

/// <summary>
/// <see cref="ISequenceModel"/> on TorchSharp (libtorch): a <see cref="TorchDecoder"/>, autograd for backward,
/// <c>torch.optim.AdamW</c> with global-norm clipping, KV-cache generation, and checkpoints in the native engine's
/// directory layout (HF names, F32 safetensors). Not thread-safe.
/// </summary>
public sealed partial class TorchSequenceModel : ISequenceModel
{
    private readonly ModelLoadOptions _options;
    private readonly Device _device;
    private readonly ScalarType _dtype;
    private TorchDecoder _decoder;
    private AdamW _optimizer;
    private int[] _stateOrder; // optimizer state k belongs to parameter _stateOrder[k] (groups: decayed, then the rest)
    private long _steps;

    private TorchSequenceModel(TorchDecoder decoder, ModelLoadOptions options, Device device, ScalarType dtype)
    {
        _decoder = decoder;
        _options = options;
        _device = device;
        _dtype = dtype;
        (_optimizer, _stateOrder) = CreateOptimizer(decoder);
    }

    /// <inheritdoc />
    public ModelArchitecture Architecture => _decoder.Config;

    /// <inheritdoc />
    public ModelInfo Info => new("torch", TorchRuntime.Version, _decoder.Config, ParameterCount,
        _options.Dtype, _device.type == DeviceType.CPU ? "cpu" : $"cuda:{_device.index}", _options.TokenizerFingerprint, _steps);

    /// <summary>Number of parameters (the scalar head included, a tied head counted once).</summary>
    public long ParameterCount => _decoder.Parameters.Sum(p => p.Parameter.numel());

    /// <summary>The parameters (HF names and layout), for tests and tools.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _decoder.Parameters;

    /// <summary>
    /// Loads a llama2.c <c>.bin</c> file or an HF checkpoint directory onto <see cref="ModelLoadOptions.Device"/> in
    /// <see cref="ModelLoadOptions.Dtype"/>, restoring optimizer state when the directory has it.
    /// </summary>
    /// <exception cref="ModelBackendUnavailableException">libtorch cannot load, or the device is not available.</exception>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed or uses an unsupported feature (named).</exception>
    public static TorchSequenceModel Load(string path, ModelLoadOptions? options = null)
    {
        options ??= new ModelLoadOptions();
        var device = TorchRuntime.ResolveDevice(options.Device);
        var dtype = TorchRuntime.ScalarTypeOf(options.Dtype);
        if (options.Threads > 0)
            torch.set_num_threads(options.Threads);
        var model = new TorchSequenceModel(CreateDecoder(path, device, dtype), options, device, dtype);
        if (Directory.Exists(path))
            model.RestoreOptimizer(path);
        return model;
    }

    private static TorchDecoder CreateDecoder(string path, Device device, ScalarType dtype, ModelArchitecture? expected = null)
    {
        var config = TorchCheckpoint.ReadArchitecture(path);
        if (expected is not null && !expected.HasSameShapes(config))
            throw new InvalidDataException($"{path}: architecture {config} differs from the loaded model's {expected}");
        var values = TorchCheckpoint.ReadParameters(path, config);
        var parameters = new List<(string, Parameter)>();
        foreach (var (name, shape) in TorchCheckpoint.ParameterShapes(config))
        {
            using var cpu = torch.tensor(values[name], shape.Select(d => (long)d).ToArray());
            parameters.Add((name, new Parameter(cpu.to(dtype, device), requires_grad: true)));
        }
        var decoder = new TorchDecoder(config, parameters, device);
        // every gradient defined (zero) from the start, as the engine's: clipping and AdamW then see every parameter
        foreach (var (_, p) in parameters)
            p.grad = torch.zeros_like(p);
        return decoder;
    }

    /// <summary>
    /// torch.optim.AdamW with the engine's two parameter groups: weight decay on every weight but biases and RMSNorm
    /// gains (<see cref="Rlhf.Engine.Training.AdamWOptions.DecayAllButNormsAndBiases"/>), none on those.
    /// </summary>
    private (AdamW Optimizer, int[] StateOrder) CreateOptimizer(TorchDecoder decoder)
    {
        var decayed = new List<int>();
        var rest = new List<int>();
        for (var i = 0; i < decoder.Parameters.Count; i++)
            (Rlhf.Engine.Training.AdamWOptions.DecayAllButNormsAndBiases(decoder.Parameters[i].Name) ? decayed : rest).Add(i);
        var groups = new List<AdamW.ParamGroup>();
        foreach (var (indices, decay) in new[] { (decayed, _options.WeightDecay), (rest, 0f) })
        {
            if (indices.Count > 0)
                groups.Add(new AdamW.ParamGroup(indices.Select(i => decoder.Parameters[i].Parameter), lr: 1e-3, beta1: _options.Beta1,
                    beta2: _options.Beta2, eps: _options.Eps, weight_decay: decay));
        }
        return (torch.optim.AdamW(groups, lr: 1e-3, beta1: _options.Beta1, beta2: _options.Beta2, eps: _options.Eps), [.. decayed, .. rest]);
    }

    /// <inheritdoc />
    public ForwardResult Forward(IReadOnlyList<TokenSequence> batch, ForwardOptions options)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(options);
        if (batch.Count == 0)
            throw new ArgumentException("the batch is empty", nameof(batch));
        if (!(options.Temperature > 0))
            throw new ArgumentException($"temperature must be > 0, got {options.Temperature}", nameof(options));
        var config = _decoder.Config;
        int b = batch.Count, t = 0;
        for (var i = 0; i < b; i++)
        {
            var s = batch[i];
            if (s.PromptIds.Length == 0)
                throw new ArgumentException($"sequence {i}: the prompt is empty (it needs at least BOS)", nameof(batch));
            if (s.Length > config.MaxSeqLen)
                throw new ArgumentException($"sequence {i}: length {s.Length} exceeds the model's max_seq_len {config.MaxSeqLen}", nameof(batch));
            t = Math.Max(t, s.Length);
        }
        var tokens = new long[b * t];
        var rows = new List<long>();      // flat (b·T + p) index of the state before each response token
        var targets = new List<long>();   // its response token
        var lastRows = new long[b];
        var offsets = new int[b + 1];
        for (var i = 0; i < b; i++)
        {
            var s = batch[i];
            int p = s.PromptIds.Length, r = s.ResponseIds.Length;
            for (var j = 0; j < s.Length; j++)
            {
                var id = j < p ? s.PromptIds[j] : s.ResponseIds[j - p];
                if ((uint)id >= (uint)config.VocabSize)
                    throw new ArgumentException($"sequence {i}: token {j} = {id} is outside the vocabulary [0, {config.VocabSize})", nameof(batch));
                tokens[i * t + j] = id;
            }
            for (var k = 0; k < r; k++)
            {
                rows.Add((long)i * t + p + k - 1);
                targets.Add(s.ResponseIds[k]);
            }
            lastRows[i] = (long)i * t + s.Length - 1;
            offsets[i + 1] = offsets[i] + r;
        }

        var keep = options.KeepForBackward;
        using var scope = torch.NewDisposeScope();
        using var grad = torch.set_grad_enabled(keep);
        using var tokenTensor = torch.tensor(tokens, [b, t], device: _device);
        var hidden = _decoder.Hidden(tokenTensor).view(b * t, config.Dim); // (B·T, C)
        var n = rows.Count;
        Tensor? logprobs = null, entropy = null, values = null;
        if (n > 0 && (options.ComputeLogprobs || options.ComputeEntropy || options.ComputeValues))
        {
            var rowIndex = torch.tensor(rows.ToArray(), device: _device);
            var h = hidden.index_select(0, rowIndex); // (N, C)
            if (options.ComputeLogprobs || options.ComputeEntropy)
            {
                var logp = (_decoder.Logits(h) / options.Temperature).log_softmax(-1); // (N, V)
                if (options.ComputeLogprobs)
                    logprobs = logp.gather(1, torch.tensor(targets.ToArray(), device: _device).unsqueeze(1)).squeeze(1); // (N)
                if (options.ComputeEntropy)
                    entropy = -(logp.exp() * logp).sum(-1); // (N)
            }
            if (options.ComputeValues)
                values = _decoder.Score(h); // (N)
        }
        var last = _decoder.Score(hidden.index_select(0, torch.tensor(lastRows, device: _device))); // (B)

        var result = new ForwardResult
        {
            Logprobs = logprobs is null ? Enumerable.Range(0, b).Select(_ => Array.Empty<float>()).ToArray() : Split(logprobs, offsets),
            Entropy = options.ComputeEntropy ? (entropy is null ? Empty(b) : Split(entropy, offsets)) : null,
            Values = options.ComputeValues ? (values is null ? Empty(b) : Split(values, offsets)) : null,
            LastScalar = ToArray(last),
            State = keep
                ? new TorchForwardState(this, offsets, logprobs?.MoveToOuterDisposeScope(), entropy?.MoveToOuterDisposeScope(),
                    values?.MoveToOuterDisposeScope(), last.MoveToOuterDisposeScope(), EstimateKeptBytes(b, t, n, options))
                : null,
        };
        return result;
    }

    /// <inheritdoc />
    public void Backward(IForwardState state, OutputGradients gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (state is not TorchForwardState kept || !ReferenceEquals(kept.Owner, this))
            throw new ArgumentException("the forward state belongs to another model", nameof(state));
        if (kept.IsReleased)
            throw new ArgumentException("the forward state was already released (backward ran, or it was evicted)", nameof(state));
        try
        {
            using var scope = torch.NewDisposeScope();
            var terms = new List<Tensor>();
            void Add(Tensor? output, float[][]? grad, string name)
            {
                if (grad is null)
                    return;
                if (output is null)
                    throw new ArgumentException($"∂loss/∂{name} was given, but the forward did not compute {name}", nameof(gradients));
                var flat = Flatten(grad, kept.Offsets, name);
                if (flat.Length > 0)
                    terms.Add((output * torch.tensor(flat, device: _device)).sum());
            }
            Add(kept.Logprobs, gradients.Logprobs, "logprobs");
            Add(kept.Entropy, gradients.Entropy, "entropy");
            Add(kept.Values, gradients.Values, "values");
            if (gradients.LastScalar is { } lastGrad)
            {
                if (lastGrad.Length != kept.SequenceCount)
                    throw new ArgumentException($"∂loss/∂last_scalar has {lastGrad.Length} entries, the forward had {kept.SequenceCount} sequences", nameof(gradients));
                terms.Add((kept.Last * torch.tensor(lastGrad, device: _device)).sum());
            }
            if (terms.Count > 0)
            {
                var loss = terms.Count == 1 ? terms[0] : torch.stack(terms).sum();
                loss.backward();
            }
        }
        finally
        {
            kept.Release();
        }
    }

    /// <inheritdoc />
    public float OptimizerStep(float learningRate, float maxGradNorm, float gradientScale)
    {
        var parameters = _decoder.Parameters.Select(p => p.Parameter).ToList();
        using (torch.no_grad())
        {
            if (gradientScale != 1f)
            {
                foreach (var p in parameters)
                {
                    using var g = p.grad;
                    g?.mul_(gradientScale);
                }
            }
        }
        var norm = torch.nn.utils.clip_grad_norm_(parameters, maxGradNorm > 0 ? maxGradNorm : double.PositiveInfinity);
        if (!double.IsFinite(norm))
        {
            ZeroGrad();
            throw new InvalidOperationException($"the accumulated gradients are not finite (global norm {norm}); they were dropped and the weights are unchanged");
        }
        foreach (var group in _optimizer.ParamGroups)
            group.LearningRate = learningRate;
        using (torch.no_grad())
            _optimizer.step();
        ZeroGrad();
        _steps++;
        return (float)norm;
    }

    /// <inheritdoc />
    public void ZeroGrad()
    {
        using var _ = torch.no_grad();
        foreach (var (_, p) in _decoder.Parameters)
        {
            using var g = p.grad;
            if (g is null)
                p.grad = torch.zeros_like(p);
            else
                g.zero_();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<TensorData> CopyParameters() =>
        _decoder.Parameters.Select(p => new TensorData(p.Name, Shape(p.Parameter), ToArray(p.Parameter))).ToList();

    /// <inheritdoc />
    public IReadOnlyList<TensorData> CopyGradients() =>
        _decoder.Parameters.Select(p =>
        {
            using var g = p.Parameter.grad;
            return new TensorData(p.Name, Shape(p.Parameter), g is null ? new float[p.Parameter.numel()] : ToArray(g));
        }).ToList();

    /// <inheritdoc />
    public void SaveCheckpoint(string directory, bool includeOptimizerState)
    {
        var parameters = CopyParameters().Select(p => new NamedTensor(p.Name, p.Shape, p.Data)).ToList();
        List<NamedTensor>? moments = null;
        Dictionary<string, string>? metadata = null;
        if (includeOptimizerState)
        {
            var states = _optimizer.state_dict().State;
            var byParameter = new AdamW.State[parameters.Count];
            for (var k = 0; k < states.Count; k++)
                byParameter[_stateOrder[k]] = (AdamW.State)states[k];
            moments = [];
            for (var i = 0; i < parameters.Count; i++)
            {
                moments.Add(new NamedTensor(parameters[i].Name + AdamW_ExpAvg, parameters[i].Shape, ToArray(byParameter[i].exp_avg)));
                moments.Add(new NamedTensor(parameters[i].Name + AdamW_ExpAvgSq, parameters[i].Shape, ToArray(byParameter[i].exp_avg_sq)));
            }
            metadata = CheckpointDirectory.OptimizerMetadata(_steps, _options.Beta1, _options.Beta2, _options.Eps, _options.WeightDecay);
        }
        CheckpointDirectory.SaveHfLayout(directory, _decoder.Config, parameters, moments, metadata,
            includeOptimizerState ? new TrainerState(_steps, _steps, []) : null, _options.TokenizerPath);
    }

    /// <inheritdoc />
    public void LoadCheckpoint(string path, bool loadOptimizerState)
    {
        var decoder = CreateDecoder(path, _device, _dtype, _decoder.Config);
        var (optimizer, order) = CreateOptimizer(decoder);
        long steps = 0;
        if (loadOptimizerState && Directory.Exists(path) && TorchCheckpoint.ReadOptimizer(path) is { } saved)
        {
            LoadMoments(decoder, optimizer, order, saved.Moments, saved.Step, path);
            steps = saved.Step;
        }
        var old = _decoder;
        _decoder = decoder;
        _optimizer = optimizer;
        _stateOrder = order;
        _steps = steps;
        old.Dispose();
    }

    private void RestoreOptimizer(string directory)
    {
        if (TorchCheckpoint.ReadOptimizer(directory) is { } saved)
        {
            LoadMoments(_decoder, _optimizer, _stateOrder, saved.Moments, saved.Step, directory);
            _steps = saved.Step;
        }
    }

    private static void LoadMoments(TorchDecoder decoder, AdamW optimizer, int[] order, Dictionary<string, float[]> moments, long step, string path)
    {
        var states = optimizer.state_dict().State;
        using var _ = torch.no_grad();
        for (var k = 0; k < states.Count; k++)
        {
            var (name, p) = decoder.Parameters[order[k]];
            var s = (AdamW.State)states[k];
            foreach (var (suffix, target) in new[] { (AdamW_ExpAvg, s.exp_avg), (AdamW_ExpAvgSq, s.exp_avg_sq) })
            {
                if (!moments.TryGetValue(name + suffix, out var data) || data.Length != p.numel())
                    throw new InvalidDataException($"{path}: optimizer state {name}{suffix} is missing or has {data?.Length ?? 0} elements, expected {p.numel()}");
                using var cpu = torch.tensor(data, p.shape);
                target.copy_(cpu);
            }
            s.step = step;
        }
    }

    /// <summary>
    /// Bytes autograd keeps for a forward: per token and layer about 10·C + 4·KvDim + 5·H floats of saved
    /// activations plus NH·T attention weights, and 3·V per scored token (logits, logprobs, probabilities).
    /// An estimate, for bounding the store of kept forwards.
    /// </summary>
    private long EstimateKeptBytes(int b, int t, int n, ForwardOptions options)
    {
        var c = _decoder.Config;
        long perToken = 10L * c.Dim + 4L * c.KvDim + 5L * c.HiddenDim + (long)c.NHeads * t;
        long floats = (long)b * t * c.NLayers * perToken + (options.ComputeLogprobs || options.ComputeEntropy ? 3L * n * c.VocabSize : 0);
        return floats * (_dtype == ScalarType.Float32 ? 4 : 2);
    }

    private const string AdamW_ExpAvg = Rlhf.Engine.Training.AdamW.ExpAvgSuffix;
    private const string AdamW_ExpAvgSq = Rlhf.Engine.Training.AdamW.ExpAvgSqSuffix;

    private static float[][] Empty(int b) => Enumerable.Range(0, b).Select(_ => Array.Empty<float>()).ToArray();

    private static float[][] Split(Tensor flat, int[] offsets)
    {
        var all = ToArray(flat);
        var result = new float[offsets.Length - 1][];
        for (var i = 0; i < result.Length; i++)
            result[i] = all[offsets[i]..offsets[i + 1]];
        return result;
    }

    private static float[] Flatten(float[][] perSequence, int[] offsets, string name)
    {
        if (perSequence.Length != offsets.Length - 1)
            throw new ArgumentException($"∂loss/∂{name} has {perSequence.Length} sequences, the forward had {offsets.Length - 1}");
        var flat = new float[offsets[^1]];
        for (var i = 0; i < perSequence.Length; i++)
        {
            var expected = offsets[i + 1] - offsets[i];
            if (perSequence[i] is null || perSequence[i].Length != expected)
                throw new ArgumentException($"∂loss/∂{name}[{i}] has {perSequence[i]?.Length ?? 0} entries, the sequence has {expected} response tokens");
            perSequence[i].CopyTo(flat, offsets[i]);
        }
        return flat;
    }

    internal static float[] ToArray(Tensor t)
    {
        using var cpu = t.detach().to(ScalarType.Float32, torch.CPU).contiguous();
        return cpu.data<float>().ToArray();
    }

    private static int[] Shape(Tensor t) => t.shape.Select(d => (int)d).ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        _optimizer.Dispose();
        _decoder.Dispose();
    }
}

/// <summary>A forward kept for backward: its outputs, which hold the autograd graph.</summary>
internal sealed class TorchForwardState(TorchSequenceModel owner, int[] offsets, Tensor? logprobs, Tensor? entropy, Tensor? values, Tensor last, long byteSize)
    : IForwardState
{
    private bool _released;

    public TorchSequenceModel Owner { get; } = owner;
    public int[] Offsets { get; } = offsets;
    public Tensor? Logprobs { get; } = logprobs;
    public Tensor? Entropy { get; } = entropy;
    public Tensor? Values { get; } = values;
    public Tensor Last { get; } = last;

    public long ByteSize { get; } = byteSize;

    public int SequenceCount => Offsets.Length - 1;

    public bool IsReleased => _released;

    public void Release()
    {
        if (_released)
            return;
        _released = true;
        Logprobs?.Dispose();
        Entropy?.Dispose();
        Values?.Dispose();
        Last.Dispose();
    }
}
