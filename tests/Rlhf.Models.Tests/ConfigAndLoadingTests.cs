using System.Text.Json.Nodes;
using Rlhf.Models.Native;
using Rlhf.Models.Torch;

namespace Rlhf.Models.Tests;

/// <summary>config.json parsing, RoPE scaling, llama2.c loading, and load refusals that name the problem.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class ConfigAndLoadingTests(Stories260KFixture fixture)
{
    private const string Llama3Config = """
        {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
         "num_attention_heads": 4, "num_key_value_heads": 1, "vocab_size": 10, "max_position_embeddings": 16,
         "rope_theta": 500000.0, "tie_word_embeddings": true,
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 8192}}
        """;

    [Fact]
    public void Parse_Llama3RopeScaling_ReadsEveryField()
    {
        var c = HfModelConfig.Parse(Llama3Config);

        Assert.Equal(new RopeScaling("llama3", 8, 1, 4, 8192), c.RopeScaling);
        Assert.Equal(1, c.NKvHeads);
        Assert.True(c.TiedEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.Equal(c, HfModelConfig.Parse(HfModelConfig.ToJson(c)));
    }

    [Theory]
    [InlineData("\"model_type\": \"mistral\"", "model_type 'mistral'")]
    [InlineData("\"hidden_act\": \"gelu\"", "hidden_act")]
    [InlineData("\"head_dim\": 32", "head_dim")]
    [InlineData("\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4}", "rope_scaling type 'yarn'")]
    [InlineData("\"num_key_value_heads\": 3", "num_key_value_heads")]
    public void Parse_UnsupportedOrInconsistent_NamesTheKey(string entry, string expected)
    {
        var json = "{\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, " +
                   "\"vocab_size\": 10, \"max_position_embeddings\": 16, " + entry + "}";

        var e = Assert.Throws<InvalidDataException>(() => HfModelConfig.Parse(json, "x/config.json"));

        Assert.Contains(expected, e.Message);
        Assert.StartsWith("x/config.json", e.Message);
    }

    [PythonTorchFact]
    public void InverseFrequencies_Llama3Scaling_MatchTransformersFormula()
    {
        // Arrange: transformers' _compute_llama3_parameters, verbatim, in torch 1.13 (head size 16: all three bands)
        var config = HfModelConfig.Parse(Llama3Config);
        const string script = """
            import math, torch, json
            base, dim = 500000.0, 16
            factor, low_freq_factor, high_freq_factor, old_context_len = 8.0, 1.0, 4.0, 8192
            inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
            low_freq_wavelen = old_context_len / low_freq_factor
            high_freq_wavelen = old_context_len / high_freq_factor
            wavelen = 2 * math.pi / inv_freq
            inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
            smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
            is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
            inv_freq_llama = torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)
            print(json.dumps(inv_freq_llama.tolist()))
            """;

        // Act
        var (code, text) = RepositoryPython.Run(["-c", script], TimeSpan.FromMinutes(2));
        var ours = Rope.InverseFrequencies(config);

        // Assert
        Assert.True(code == 0, text);
        var expected = JsonNode.Parse(text)!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
        Assert.Equal(expected.Length, ours.Length);
        for (var i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - expected[i]) <= 1e-6 * expected[i], $"inv_freq[{i}]: {ours[i]} vs {expected[i]}");
        Assert.Contains(ours, f => f < 1e-3f); // a low-frequency band was divided by the factor
    }

    [Fact]
    public void Load_Llama2CBin_EqualsTheHfDirectoryAndGeneratesTheSameTokens()
    {
        // Arrange / Act: the .bin holds interleaved q/k rows, which the loader permutes to HF's layout
        using var fromBin = TorchSequenceModel.Load(TestData.Data("stories260K.bin"), new ModelLoadOptions { Threads = 1 });
        var options = new GenerationOptions { MaxNewTokens = 30, Temperature = 0 };

        // Assert
        var bin = fromBin.CopyParameters().Where(p => !p.Name.StartsWith("score.", StringComparison.Ordinal)).ToList();
        var dir = fixture.Torch.CopyParameters().Where(p => !p.Name.StartsWith("score.", StringComparison.Ordinal)).ToList();
        var (_, worst, name) = Compare.Table(bin, dir);
        Assert.True(worst == 0, $"{name} differs between the .bin and the HF directory");
        Assert.All(fromBin.CopyParameters().Where(p => p.Name.StartsWith("score.", StringComparison.Ordinal)), p => Assert.All(p.Data, x => Assert.Equal(0f, x)));
        Assert.Equal(fixture.Torch.Generate([[1, 403]], options)[0].ResponseIds, fromBin.Generate([[1, 403]], options)[0].ResponseIds);
        Assert.Equal(fixture.Native.Info.ParameterCount, fromBin.Info.ParameterCount);
    }

    [Fact]
    public void Load_CheckpointMissingATensor_NamesItWithItsShape()
    {
        // Arrange: a copy of the HF directory whose safetensors lacks model.norm.weight
        var broken = Path.Combine(fixture.Directory, "broken-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(broken);
        File.Copy(Path.Combine(fixture.Checkpoint, "config.json"), Path.Combine(broken, "config.json"));
        using (var reader = Rlhf.Engine.IO.SafeTensorsReader.Open(Path.Combine(fixture.Checkpoint, "model.safetensors")))
        {
            var kept = reader.Tensors.Where(t => t.Name != "model.norm.weight")
                .Select(t => new Rlhf.Engine.NamedTensor(t.Name, t.Shape, reader.ReadFloat32(t.Name))).ToList();
            Rlhf.Engine.IO.SafeTensorsWriter.WriteFile(Path.Combine(broken, "model.safetensors"), kept);
        }

        // Act
        var e = Assert.Throws<InvalidDataException>(() => TorchSequenceModel.Load(broken, new ModelLoadOptions { Threads = 1 }));
        var reload = Assert.Throws<InvalidDataException>(() => fixture.Torch.LoadCheckpoint(broken, loadOptimizerState: false));

        // Assert
        Assert.Contains("missing tensor model.norm.weight: expected shape (64)", e.Message);
        Assert.Contains("model.norm.weight", reload.Message);
        Assert.Equal(0, fixture.Torch.CopyParameters().Single(p => p.Name == "model.norm.weight").Data.Count(x => x == 0)); // still served
    }

    [Fact]
    public void Load_ShardIndexNamingAMissingFile_IsFileNotFound()
    {
        var dir = Path.Combine(fixture.Directory, "sharded-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(fixture.Checkpoint, "config.json"), Path.Combine(dir, "config.json"));
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), """{"weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors"}}""");

        var e = Assert.Throws<FileNotFoundException>(() => TorchSequenceModel.Load(dir, new ModelLoadOptions { Threads = 1 }));

        Assert.Contains("model-00001-of-00002.safetensors", e.Message);
    }

    [Fact]
    public void NativeLoad_CudaOrBFloat16_RefusedNamingTheSetting()
    {
        var cuda = Assert.Throws<ModelBackendUnavailableException>(() => NativeSequenceModel.Load(fixture.Checkpoint, new ModelLoadOptions { Device = "cuda" }));
        var bf16 = Assert.Throws<ModelBackendUnavailableException>(() => NativeSequenceModel.Load(fixture.Checkpoint, new ModelLoadOptions { Dtype = ModelDtype.BFloat16 }));

        Assert.Contains("Model:Device=cuda", cuda.Message);
        Assert.Contains("Model:Dtype=BFloat16", bf16.Message);
    }

    [Fact]
    public void Info_BothBackends_DescribeTheSameModel()
    {
        var native = fixture.Native.Info;
        var torch = fixture.Torch.Info;

        Assert.Equal(native.Architecture, torch.Architecture);
        Assert.Equal(native.ParameterCount, torch.ParameterCount);
        Assert.Equal(("native", "torch"), (native.Backend, torch.Backend));
        Assert.Equal("cpu", torch.Device);
        Assert.StartsWith("TorchSharp 0.107", torch.BackendVersion);
        Assert.Contains("libtorch 2.10", torch.BackendVersion);
    }
}
