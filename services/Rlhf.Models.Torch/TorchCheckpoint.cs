using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Engine;
using Rlhf.Engine.IO;

namespace Rlhf.Models.Torch;

/// <summary>
/// Checkpoint files of the torch backend, in HF names and HF's rotate-half q/k layout. Reads llama2.c <c>.bin</c>
/// files (permuting q/k from llama2.c's interleaved layout, <see cref="RopePermutation"/>) and HF directories:
/// <c>config.json</c> (<see cref="HfModelConfig"/>) with <c>model.safetensors</c> or a sharded
/// <c>model.safetensors.index.json</c>, tensors F32/F16/BF16. Checkpoints are written by
/// <see cref="CheckpointDirectory.SaveHfLayout"/>, the native engine's writer, so that either backend resumes the other's. The file formats
/// themselves are the engine's readers and writers (<c>Rlhf.Engine.IO</c>), not copies.
/// </summary>
internal static class TorchCheckpoint
{
    /// <summary>Index of a sharded checkpoint.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The architecture of a llama2.c file or HF directory.</summary>
    /// <exception cref="FileNotFoundException">Neither exists.</exception>
    /// <exception cref="InvalidDataException">Malformed, or an unsupported feature (named).</exception>
    public static ModelArchitecture ReadArchitecture(string path)
    {
        if (Directory.Exists(path))
            return HfModelConfig.Read(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"model checkpoint {path} does not exist (expected a llama2.c .bin file or an HF checkpoint directory)", path);
        return Llama2CReader.ReadConfig(path).ToArchitecture();
    }

    /// <summary>Names and shapes of a model's parameters, in checkpoint order.</summary>
    public static List<(string Name, int[] Shape)> ParameterShapes(ModelArchitecture c)
    {
        int dim = c.Dim, h = c.HiddenDim, kv = c.KvDim;
        var list = new List<(string, int[])> { ("model.embed_tokens.weight", [c.VocabSize, dim]) };
        for (var l = 0; l < c.NLayers; l++)
        {
            var p = $"model.layers.{l}.";
            list.Add((p + "input_layernorm.weight", [dim]));
            list.Add((p + "self_attn.q_proj.weight", [dim, dim]));
            if (c.AttentionBias) list.Add((p + "self_attn.q_proj.bias", [dim]));
            list.Add((p + "self_attn.k_proj.weight", [kv, dim]));
            if (c.AttentionBias) list.Add((p + "self_attn.k_proj.bias", [kv]));
            list.Add((p + "self_attn.v_proj.weight", [kv, dim]));
            if (c.AttentionBias) list.Add((p + "self_attn.v_proj.bias", [kv]));
            list.Add((p + "self_attn.o_proj.weight", [dim, dim]));
            list.Add((p + "post_attention_layernorm.weight", [dim]));
            list.Add((p + "mlp.gate_proj.weight", [h, dim]));
            list.Add((p + "mlp.up_proj.weight", [h, dim]));
            list.Add((p + "mlp.down_proj.weight", [dim, h]));
        }
        list.Add(("model.norm.weight", [dim]));
        if (!c.TiedEmbeddings)
            list.Add(("lm_head.weight", [c.VocabSize, dim]));
        list.Add(("score.weight", [1, dim]));
        list.Add(("score.bias", [1]));
        return list;
    }

    /// <summary>
    /// Reads every parameter of <paramref name="config"/> as fp32 (HF layout). The scalar head may be absent and then
    /// is zero; a tied checkpoint's redundant <c>lm_head.weight</c> and rotary <c>inv_freq</c> buffers are ignored.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected or of another shape (all named), or a file is corrupt.</exception>
    public static Dictionary<string, float[]> ReadParameters(string path, ModelArchitecture config)
    {
        var expected = ParameterShapes(config).Select(p => new NamedTensor(p.Name, p.Shape, Memory<float>.Empty)).ToList();
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (!Directory.Exists(path))
        {
            var engineConfig = Llama2CReader.ReadConfig(path);
            var stored = Llama2CReader.ReadTensors(path);
            TensorBinding.Match(path, stored.Select(t => (t.Name, t.Shape)), expected, TensorBinding.IsScalarHead);
            foreach (var t in stored)
            {
                var data = t.Data.ToArray();
                if (RopePermutation.AppliesTo(t.Name))
                {
                    var half = new float[data.Length];
                    RopePermutation.InterleavedToHalf(data, half, RopePermutation.HeadCount(t.Name, engineConfig), t.Shape[^1]);
                    data = half;
                }
                result[t.Name] = data;
            }
        }
        else
        {
            var readers = new List<SafeTensorsReader>();
            try
            {
                var found = new List<(SafeTensorsReader Reader, SafeTensorInfo Info)>();
                foreach (var (file, names) in Shards(path))
                {
                    var reader = SafeTensorsReader.Open(file);
                    readers.Add(reader);
                    found.AddRange(reader.Tensors
                        .Where(t => names is null || names.Contains(t.Name))
                        .Where(t => !t.Name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
                        .Where(t => !(config.TiedEmbeddings && t.Name == "lm_head.weight"))
                        .Select(t => (reader, t)));
                }
                TensorBinding.Match(path, found.Select(f => (f.Info.Name, f.Info.Shape)), expected, TensorBinding.IsScalarHead);
                foreach (var (reader, info) in found)
                    result[info.Name] = Read(reader, info);
            }
            finally
            {
                foreach (var reader in readers)
                    reader.Dispose();
            }
        }
        foreach (var (name, shape) in ParameterShapes(config))
        {
            if (!result.ContainsKey(name))
                result[name] = new float[shape.Aggregate(1, (a, b) => a * b)]; // the scalar head starts at zero
        }
        return result;
    }

    private static float[] Read(SafeTensorsReader reader, SafeTensorInfo info)
    {
        if (info.DType is not ("F32" or "F16" or "BF16"))
            throw new InvalidDataException($"{reader.Path}: tensor {info.Name} has dtype {info.DType}; the torch backend reads F32, F16 and BF16");
        return reader.ReadFloat32(info.Name);
    }

    /// <summary>The safetensors files of a directory, each with the names the index assigns to it (null = all).</summary>
    private static List<(string File, HashSet<string>? Names)> Shards(string directory)
    {
        var index = Path.Combine(directory, IndexFile);
        if (!File.Exists(index))
        {
            var single = Path.Combine(directory, CheckpointDirectory.ModelFile);
            if (!File.Exists(single))
                throw new FileNotFoundException($"{directory}: neither {CheckpointDirectory.ModelFile} nor {IndexFile} exists", single);
            return [(single, null)];
        }
        JsonObject map;
        try
        {
            map = (JsonNode.Parse(File.ReadAllText(index)) as JsonObject)?["weight_map"] as JsonObject
                ?? throw new InvalidDataException($"{index}: no weight_map object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{index}: invalid JSON: {e.Message}", e);
        }
        var shards = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (name, value) in map)
        {
            var file = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new InvalidDataException($"{index}: weight_map[{name}] is not a file name");
            if (file.Contains('/') || file.Contains('\\') || file.StartsWith('.'))
                throw new InvalidDataException($"{index}: weight_map[{name}] = '{file}' is not a file of the directory");
            if (!shards.TryGetValue(file, out var names))
                shards[file] = names = new HashSet<string>(StringComparer.Ordinal);
            names.Add(name);
        }
        return shards.Select(kv =>
        {
            var file = Path.Combine(directory, kv.Key);
            return File.Exists(file) ? (file, (HashSet<string>?)kv.Value) : throw new FileNotFoundException($"{index} names shard {kv.Key}, which does not exist", file);
        }).ToList();
    }

    /// <summary>Reads optimizer.safetensors: the moments by name and the step, or null when the directory has none.</summary>
    /// <exception cref="InvalidDataException">The step metadata is missing or invalid.</exception>
    public static (Dictionary<string, float[]> Moments, long Step)? ReadOptimizer(string directory)
    {
        var path = Path.Combine(directory, CheckpointDirectory.OptimizerFile);
        if (!File.Exists(path))
            return null;
        using var reader = SafeTensorsReader.Open(path);
        var step = CheckpointDirectory.ReadOptimizerStep(path, reader.Metadata);
        return (reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadFloat32(t.Name), StringComparer.Ordinal), step);
    }
}
