using System.Globalization;
using Rlhf.Engine.Training;
using Rlhf.Models;

namespace Rlhf.Engine.IO;

/// <summary>
/// A checkpoint directory that Hugging Face <c>transformers</c> opens as a <c>LlamaForCausalLM</c>:
/// <list type="bullet">
/// <item><c>model.safetensors</c>: the parameters, F32, HF names; q_proj/k_proj rows permuted to HF's rotate-half
/// layout (<see cref="RopePermutation"/>) and permuted back on load.</item>
/// <item><c>config.json</c>: <see cref="HfLlamaConfig"/>.</item>
/// <item><c>optimizer.safetensors</c> (optional): AdamW moments <c>&lt;param&gt;.exp_avg</c>, <c>&lt;param&gt;.exp_avg_sq</c>
/// (q/k moments permuted like their weights), with the step count in the metadata.</item>
/// <item><c>trainer_state.json</c> (optional): <see cref="TrainerState"/>.</item>
/// <item><c>tokenizer.bin</c> (optional): a copy of the llama2.c tokenizer.</item>
/// </list>
/// <see cref="Save"/> is atomic: the directory is built under a temporary sibling name, flushed, then renamed.
/// </summary>
public static class CheckpointDirectory
{
    /// <summary>Weights file name.</summary>
    public const string ModelFile = CheckpointFiles.Weights;

    /// <summary>HF config file name.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>Optimizer state file name.</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>Trainer state file name.</summary>
    public const string TrainerStateFile = "trainer_state.json";

    /// <summary>Tokenizer copy file name.</summary>
    public const string TokenizerFile = CheckpointFiles.Tokenizer;

    /// <summary>True when <paramref name="path"/> is a directory holding <c>config.json</c> and <c>model.safetensors</c>.</summary>
    public static bool IsCheckpoint(string path) =>
        Directory.Exists(path) && File.Exists(Path.Combine(path, ConfigFile)) && File.Exists(Path.Combine(path, ModelFile));

    /// <summary>Writes a checkpoint directory atomically, replacing any existing one at <paramref name="directory"/>.</summary>
    /// <param name="directory">Final directory path.</param>
    /// <param name="config">The model's hyper-parameters (config.json).</param>
    /// <param name="parameters">The model's parameters (engine layout).</param>
    /// <param name="optimizer">AdamW whose moments and step count to save; null to save none.</param>
    /// <param name="trainerState">Training progress; null to save none.</param>
    /// <param name="tokenizerPath">llama2.c tokenizer file to copy in; null for none.</param>
    /// <exception cref="ArgumentException">A q_proj/k_proj tensor does not fit the config's heads.</exception>
    public static void Save(
        string directory,
        ModelConfig config,
        IReadOnlyList<NamedTensor> parameters,
        AdamW? optimizer = null,
        TrainerState? trainerState = null,
        string? tokenizerPath = null)
    {
        config.Validate();
        SaveHfLayout(directory, config.ToArchitecture(), ToHfLayout(parameters, config),
            optimizer is null ? null : ToHfLayout(optimizer.Moments, config),
            optimizer is null ? null : OptimizerMetadata(optimizer.StepCount, optimizer.Options.Beta1, optimizer.Options.Beta2,
                optimizer.Options.Eps, optimizer.Options.WeightDecay),
            trainerState, tokenizerPath);
    }

    /// <summary>
    /// Writes a checkpoint directory atomically from tensors already in HF layout (the torch backend's, or the engine's
    /// after <see cref="RopePermutation"/>), replacing any existing one at <paramref name="directory"/>.
    /// </summary>
    /// <param name="directory">Final directory path.</param>
    /// <param name="architecture">Written as config.json (<see cref="HfModelConfig.ToJson"/>).</param>
    /// <param name="parameters">model.safetensors, F32, in this order.</param>
    /// <param name="moments">optimizer.safetensors (<c>&lt;param&gt;.exp_avg</c>, <c>&lt;param&gt;.exp_avg_sq</c>); null for none.</param>
    /// <param name="optimizerMetadata">Its metadata (<see cref="OptimizerMetadata"/>).</param>
    /// <param name="trainerState">trainer_state.json; null for none.</param>
    /// <param name="tokenizerPath">Tokenizer file copied in as tokenizer.bin; null for none.</param>
    public static void SaveHfLayout(
        string directory,
        ModelArchitecture architecture,
        IReadOnlyList<NamedTensor> parameters,
        IReadOnlyList<NamedTensor>? moments,
        IReadOnlyDictionary<string, string>? optimizerMetadata,
        TrainerState? trainerState,
        string? tokenizerPath)
    {
        AtomicFile.ReplaceDirectory(directory, temporary =>
        {
            WriteFlushed(Path.Combine(temporary, ConfigFile), stream =>
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                writer.Write(HfModelConfig.ToJson(architecture));
            });
            var metadata = new Dictionary<string, string> { ["format"] = "pt" };
            WriteFlushed(Path.Combine(temporary, ModelFile), stream => SafeTensorsWriter.Write(stream, parameters, metadata));
            if (moments is not null)
                WriteFlushed(Path.Combine(temporary, OptimizerFile), stream => SafeTensorsWriter.Write(stream, moments, optimizerMetadata));
            if (trainerState is not null)
            {
                WriteFlushed(Path.Combine(temporary, TrainerStateFile), stream =>
                {
                    using var writer = new StreamWriter(stream, leaveOpen: true);
                    writer.Write(trainerState.ToJson());
                });
            }
            if (tokenizerPath is not null)
            {
                var copy = Path.Combine(temporary, TokenizerFile);
                File.Copy(tokenizerPath, copy);
                AtomicFile.FlushFile(copy);
            }
        });
    }

    /// <summary>The metadata of optimizer.safetensors: step (AdamW's t) and the hyper-parameters, invariant culture.</summary>
    public static Dictionary<string, string> OptimizerMetadata(long step, float beta1, float beta2, float eps, float weightDecay) => new()
    {
        ["step"] = step.ToString(CultureInfo.InvariantCulture),
        ["beta1"] = beta1.ToString("R", CultureInfo.InvariantCulture),
        ["beta2"] = beta2.ToString("R", CultureInfo.InvariantCulture),
        ["eps"] = eps.ToString("R", CultureInfo.InvariantCulture),
        ["weight_decay"] = weightDecay.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>The step stored in optimizer.safetensors' metadata.</summary>
    /// <exception cref="InvalidDataException">It is missing or not a non-negative integer.</exception>
    public static long ReadOptimizerStep(string path, IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue("step", out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new InvalidDataException($"{path}: metadata has no valid \"step\"");

    /// <summary>Reads <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">No config.json (the message says the folder is not a checkpoint).</exception>
    /// <exception cref="InvalidDataException">See <see cref="HfLlamaConfig.FromJson"/>.</exception>
    public static ModelConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{directory} is not a model checkpoint: it has no {ConfigFile} (give a checkpoint directory with {ConfigFile} and {ModelFile}, or a llama2.c .bin file)", path);
        return HfLlamaConfig.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Loads <c>model.safetensors</c> into <paramref name="parameters"/> (engine layout), matched by name.
    /// </summary>
    /// <param name="directory">Checkpoint directory.</param>
    /// <param name="parameters">The model's parameter views.</param>
    /// <param name="mayBeMissing">Model tensors the file may lack (left as they are), e.g.
    /// <see cref="TensorBinding.IsScalarHead"/> to start a critic from a policy checkpoint; null means none.</param>
    /// <param name="modelConfig">The model's configuration; when given, config.json must agree with it in every size
    /// (Dim, HiddenDim, NLayers, NHeads, NKvHeads, VocabSize, TiedEmbeddings).</param>
    /// <exception cref="InvalidDataException">A tensor is missing or unexpected or a shape differs (named with expected and
    /// found shapes), config.json disagrees with the tensors or the model, or a file is corrupt or truncated.</exception>
    public static void LoadParameters(
        string directory,
        IReadOnlyList<NamedTensor> parameters,
        Func<string, bool>? mayBeMissing = null,
        ModelConfig? modelConfig = null)
    {
        var config = ReadConfig(directory);
        if (modelConfig is not null && !modelConfig.HasSameArchitecture(config))
            throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: the checkpoint's config {config} does not match the model's {modelConfig}");
        LoadInto(Path.Combine(directory, ModelFile), parameters, config, mayBeMissing);
    }

    /// <summary>
    /// Restores an optimizer from <c>optimizer.safetensors</c> (moments and step count).
    /// </summary>
    /// <returns>False when the checkpoint holds no optimizer state (the optimizer is left unchanged).</returns>
    /// <exception cref="InvalidDataException">The moments do not match the optimizer's parameters, or the step is missing.</exception>
    public static bool TryLoadOptimizer(string directory, AdamW optimizer)
    {
        var path = Path.Combine(directory, OptimizerFile);
        if (!File.Exists(path))
            return false;
        var config = ReadConfig(directory);
        var metadata = LoadInto(path, optimizer.Moments, config, mayBeMissing: null);
        optimizer.RestoreStepCount(ReadOptimizerStep(path, metadata));
        return true;
    }

    /// <summary>Reads <c>trainer_state.json</c>, or null when absent.</summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    public static TrainerState? ReadTrainerState(string directory)
    {
        var path = Path.Combine(directory, TrainerStateFile);
        return File.Exists(path) ? TrainerState.FromJson(File.ReadAllText(path), path) : null;
    }

    private static IReadOnlyDictionary<string, string> LoadInto(string path, IReadOnlyList<NamedTensor> targets, ModelConfig config, Func<string, bool>? mayBeMissing)
    {
        using var reader = SafeTensorsReader.Open(path);
        var stored = reader.Tensors.Where(t => !IsDerivedBuffer(t.Name)).ToList();
        var matched = TensorBinding.Match(path, stored.Select(t => (t.Name, t.Shape)), targets, mayBeMissing);
        foreach (var info in stored)
        {
            var target = matched[info.Name];
            if (!RopePermutation.AppliesTo(info.Name))
            {
                reader.ReadInto(info.Name, target.Data.Span);
                continue;
            }
            var hf = reader.ReadFloat32(info.Name);
            Unpermute(path, info.Name, hf, target, config);
        }
        return reader.Metadata;
    }

    /// <summary>Rotary inverse-frequency buffers that older transformers versions saved; recomputed, never loaded.</summary>
    private static bool IsDerivedBuffer(string name) => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);

    private static void Unpermute(string path, string name, float[] hf, NamedTensor target, ModelConfig config)
    {
        try
        {
            RopePermutation.HalfToInterleaved(hf, target.Data.Span, RopePermutation.HeadCount(name, config), target.Shape[^1]);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: tensor {name} {target.ShapeText} does not fit config.json's heads: {e.Message}", e);
        }
    }

    private static List<NamedTensor> ToHfLayout(IReadOnlyList<NamedTensor> tensors, ModelConfig config)
    {
        var result = new List<NamedTensor>(tensors.Count);
        foreach (var tensor in tensors)
        {
            if (!RopePermutation.AppliesTo(tensor.Name))
            {
                result.Add(tensor);
                continue;
            }
            var permuted = new float[tensor.Data.Length];
            RopePermutation.InterleavedToHalf(tensor.Data.Span, permuted, RopePermutation.HeadCount(tensor.Name, config), tensor.Shape[^1]);
            result.Add(tensor with { Data = permuted });
        }
        return result;
    }

    private static void WriteFlushed(string path, Action<Stream> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        write(stream);
        stream.Flush(flushToDisk: true);
    }
}
