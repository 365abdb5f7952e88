using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Engine.IO;
using Rlhf.Engine.Training;

namespace Rlhf.Engine.Tests.IO;

public sealed class CheckpointDirectoryTests
{
    private static readonly ModelConfig s_small = new(16, 24, 2, 4, 2, 11, 32, NormEps: 1e-5f, RopeTheta: 500f, TiedEmbeddings: false);

    private static NamedTensor[] Gradients(IReadOnlyList<NamedTensor> parameters, int seed)
    {
        var random = new Random(seed);
        return parameters.Select(p => new NamedTensor(p.Name, p.Shape,
            Enumerable.Range(0, p.Data.Length).Select(_ => random.NextSingle() - 0.5f).ToArray())).ToArray();
    }

    [Fact]
    public void Save_ThenLoad_RoundTripsParametersOptimizerStateAndTokenizer()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        var parameters = TestParameters.Create(s_small, scoreHead: true, seed: 1);
        var optimizer = new AdamW(parameters);
        optimizer.Step(Gradients(parameters, 2), 1e-3f);
        optimizer.Step(Gradients(parameters, 3), 1e-3f);
        var state = new TrainerState(2, 2, [ulong.MaxValue, 12345UL, 0UL], new JsonObject { ["kl_coef"] = 0.05, ["run"] = "r1" });

        CheckpointDirectory.Save(directory, s_small, parameters, optimizer, state, TestData.Data("tok512.bin"));

        Assert.True(CheckpointDirectory.IsCheckpoint(directory));
        Assert.Equal(s_small, CheckpointDirectory.ReadConfig(directory));
        var loaded = TestParameters.Create(s_small, scoreHead: true);
        CheckpointDirectory.LoadParameters(directory, loaded, modelConfig: s_small);
        foreach (var p in parameters)
            Assert.Equal(p.Data.ToArray(), loaded.Get(p.Name).Data.ToArray());
        var restored = new AdamW(loaded);
        Assert.True(CheckpointDirectory.TryLoadOptimizer(directory, restored));
        Assert.Equal(2, restored.StepCount);
        foreach (var m in optimizer.Moments)
            Assert.Equal(m.Data.ToArray(), restored.Moments.Get(m.Name).Data.ToArray());
        var readState = CheckpointDirectory.ReadTrainerState(directory)!;
        Assert.Equal(state.RngState, readState.RngState);
        Assert.Equal(2, readState.Step);
        Assert.Equal("r1", readState.Extra!["run"]!.GetValue<string>());
        Assert.Equal(File.ReadAllBytes(TestData.Data("tok512.bin")), File.ReadAllBytes(CheckpointFiles.TokenizerOf(directory)!));
    }

    [Fact]
    public void Save_ModelFile_HoldsHfNamesWithPermutedQueryAndKeyRows()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        var parameters = TestParameters.Create(s_small, seed: 4);

        CheckpointDirectory.Save(directory, s_small, parameters);

        using var reader = SafeTensorsReader.Open(Path.Combine(directory, CheckpointDirectory.ModelFile));
        Assert.Equal(parameters.Select(p => p.Name), reader.Tensors.Select(t => t.Name));
        Assert.Equal("pt", reader.Metadata["format"]);
        var q = parameters.Get("model.layers.1.self_attn.q_proj.weight");
        var expectedQ = new float[q.Data.Length];
        RopePermutation.InterleavedToHalf(q.Data.Span, expectedQ, s_small.NHeads, s_small.Dim);
        Assert.Equal(expectedQ, reader.ReadFloat32(q.Name));
        var k = parameters.Get("model.layers.1.self_attn.k_proj.weight");
        var expectedK = new float[k.Data.Length];
        RopePermutation.InterleavedToHalf(k.Data.Span, expectedK, s_small.NKvHeads, s_small.Dim);
        Assert.Equal(expectedK, reader.ReadFloat32(k.Name));
        var v = parameters.Get("model.layers.1.self_attn.v_proj.weight");
        Assert.Equal(v.Data.ToArray(), reader.ReadFloat32(v.Name));
        Assert.False(File.Exists(Path.Combine(directory, CheckpointDirectory.OptimizerFile)));
        Assert.Null(CheckpointDirectory.ReadTrainerState(directory));
        Assert.Null(CheckpointFiles.TokenizerOf(directory));
    }

    [Fact]
    public void Save_ConfigJson_HasHfLlamaKeys()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");

        CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small));

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, CheckpointDirectory.ConfigFile)))!.AsObject();
        Assert.Equal("LlamaForCausalLM", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("llama", config["model_type"]!.GetValue<string>());
        Assert.Equal(16, config["hidden_size"]!.GetValue<int>());
        Assert.Equal(24, config["intermediate_size"]!.GetValue<int>());
        Assert.Equal(2, config["num_hidden_layers"]!.GetValue<int>());
        Assert.Equal(4, config["num_attention_heads"]!.GetValue<int>());
        Assert.Equal(2, config["num_key_value_heads"]!.GetValue<int>());
        Assert.Equal(11, config["vocab_size"]!.GetValue<int>());
        Assert.Equal(32, config["max_position_embeddings"]!.GetValue<int>());
        Assert.Equal(1e-5, config["rms_norm_eps"]!.GetValue<double>());
        Assert.Equal(500.0, config["rope_theta"]!.GetValue<double>());
        Assert.False(config["tie_word_embeddings"]!.GetValue<bool>());
        Assert.Equal("float32", config["torch_dtype"]!.GetValue<string>());
        Assert.Equal(1, config["bos_token_id"]!.GetValue<int>());
        Assert.Equal(2, config["eos_token_id"]!.GetValue<int>());
    }

    [Fact]
    public void LoadParameters_MissingTensor_ThrowsWithExpectedShape()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small));

        var e = Assert.Throws<InvalidDataException>(() => CheckpointDirectory.LoadParameters(directory, TestParameters.Create(s_small, scoreHead: true)));

        Assert.Contains("missing tensor score.weight: expected shape (1, 16), found none", e.Message);
        Assert.Contains("missing tensor score.bias: expected shape (1), found none", e.Message);
    }

    [Fact]
    public void LoadParameters_MissingScoreHeadAllowed_LeavesHeadAsIs()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small, seed: 9));
        var critic = TestParameters.Create(s_small, scoreHead: true);
        critic.Get("score.bias").Data.Span[0] = 0.5f;

        CheckpointDirectory.LoadParameters(directory, critic, TensorBinding.IsScalarHead);

        Assert.Equal(0.5f, critic.Get("score.bias").Data.Span[0]);
        Assert.NotEqual(0f, critic.Get("model.norm.weight").Data.Span[0]);
    }

    [Fact]
    public void LoadParameters_UnexpectedTensor_Throws()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small, scoreHead: true));

        var e = Assert.Throws<InvalidDataException>(() => CheckpointDirectory.LoadParameters(directory, TestParameters.Create(s_small)));

        Assert.Contains("unexpected tensor score.weight: found shape (1, 16)", e.Message);
    }

    [Fact]
    public void LoadParameters_ShapeMismatch_ThrowsWithExpectedAndFoundShapes()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small));
        var wider = s_small with { HiddenDim = 32 };

        var e = Assert.Throws<InvalidDataException>(() => CheckpointDirectory.LoadParameters(directory, TestParameters.Create(wider)));
        Assert.Contains("tensor model.layers.0.mlp.up_proj.weight: expected shape (32, 16), found (24, 16)", e.Message);

        var config = Assert.Throws<InvalidDataException>(() => CheckpointDirectory.LoadParameters(directory, TestParameters.Create(wider), modelConfig: wider));
        Assert.Contains("does not match the model", config.Message);
    }

    [Fact]
    public void LoadParameters_TruncatedModelFile_Throws()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small));
        var model = Path.Combine(directory, CheckpointDirectory.ModelFile);
        var bytes = File.ReadAllBytes(model);
        File.WriteAllBytes(model, bytes[..^100]);

        var e = Assert.Throws<InvalidDataException>(() => CheckpointDirectory.LoadParameters(directory, TestParameters.Create(s_small)));

        Assert.Contains("truncated safetensors data: tensor lm_head.weight", e.Message);
    }

    [Fact]
    public void Save_OverExistingCheckpoint_ReplacesItAndLeavesNoTemporaries()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small, seed: 1), trainerState: new TrainerState(1, 1, []));
        var second = TestParameters.Create(s_small, seed: 2);

        CheckpointDirectory.Save(directory, s_small, second);

        var loaded = TestParameters.Create(s_small);
        CheckpointDirectory.LoadParameters(directory, loaded);
        Assert.Equal(second.Get("model.norm.weight").Data.ToArray(), loaded.Get("model.norm.weight").Data.ToArray());
        Assert.Null(CheckpointDirectory.ReadTrainerState(directory)); // the whole directory was replaced
        Assert.Equal(["ckpt"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Save_FailingMidway_KeepsPreviousCheckpointIntact()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        var first = TestParameters.Create(s_small, seed: 1);
        CheckpointDirectory.Save(directory, s_small, first);

        // the tokenizer copy is the last file written: a missing source fails after the weights were written
        Assert.Throws<FileNotFoundException>(() =>
            CheckpointDirectory.Save(directory, s_small, TestParameters.Create(s_small, seed: 2), tokenizerPath: temp.Sub("missing.bin")));

        var loaded = TestParameters.Create(s_small);
        CheckpointDirectory.LoadParameters(directory, loaded);
        Assert.Equal(first.Get("model.norm.weight").Data.ToArray(), loaded.Get("model.norm.weight").Data.ToArray());
        Assert.Equal(["ckpt"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Save_OptimizerFile_HoldsMomentsInHfLayoutWithStep()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        var parameters = TestParameters.Create(s_small, seed: 5);
        var optimizer = new AdamW(parameters);
        optimizer.Step(Gradients(parameters, 6), 1e-2f);

        CheckpointDirectory.Save(directory, s_small, parameters, optimizer);

        using var reader = SafeTensorsReader.Open(Path.Combine(directory, CheckpointDirectory.OptimizerFile));
        Assert.Equal("1", reader.Metadata["step"]);
        Assert.Equal(2 * parameters.Count, reader.Tensors.Count);
        var m = optimizer.Moments.Get("model.layers.0.self_attn.q_proj.weight.exp_avg");
        var expected = new float[m.Data.Length];
        RopePermutation.InterleavedToHalf(m.Data.Span, expected, s_small.NHeads, s_small.Dim);
        Assert.Equal(expected, reader.ReadFloat32(m.Name));
        var v = optimizer.Moments.Get("model.norm.weight.exp_avg_sq");
        Assert.Equal(v.Data.ToArray(), reader.ReadFloat32(v.Name));
    }

    [Fact]
    public void LoadParameters_LegacyRotaryInvFreqBuffer_Ignored()
    {
        using var temp = new TempDir();
        var directory = temp.Sub("ckpt");
        var parameters = TestParameters.Create(s_small, seed: 7);
        CheckpointDirectory.Save(directory, s_small, parameters);
        var model = Path.Combine(directory, CheckpointDirectory.ModelFile);
        var tensors = new List<NamedTensor>();
        using (var reader = SafeTensorsReader.Open(model))
            tensors.AddRange(reader.Tensors.Select(t => new NamedTensor(t.Name, t.Shape, reader.ReadFloat32(t.Name))));
        tensors.Add(new NamedTensor("model.layers.0.self_attn.rotary_emb.inv_freq", [2], new[] { 1f, 0.01f }));
        SafeTensorsWriter.WriteFile(model, tensors);

        var loaded = TestParameters.Create(s_small);
        CheckpointDirectory.LoadParameters(directory, loaded);

        Assert.Equal(parameters.Get("model.layers.1.self_attn.k_proj.weight").Data.ToArray(), loaded.Get("model.layers.1.self_attn.k_proj.weight").Data.ToArray());
    }

    [Fact]
    public void TrainerState_ToJsonFromJson_RoundTripsLargeRngWordsAndExtra()
    {
        var state = new TrainerState(7, 9, [ulong.MaxValue, 1UL << 63], new JsonObject { ["nested"] = new JsonObject { ["a"] = new JsonArray(1, 2) } });

        var back = TrainerState.FromJson(state.ToJson());

        Assert.Equal(7, back.Step);
        Assert.Equal(9, back.ScheduleStep);
        Assert.Equal(state.RngState, back.RngState);
        Assert.Equal(2, back.Extra!["nested"]!["a"]![1]!.GetValue<int>());
        Assert.Throws<InvalidDataException>(() => TrainerState.FromJson("""{"format_version": 99, "step": 1}"""));
        Assert.Throws<InvalidDataException>(() => TrainerState.FromJson("{"));
    }

    [Fact]
    public void HfLlamaConfig_FromJson_AppliesTransformersDefaultsAndRejectsBadInput()
    {
        var config = HfLlamaConfig.FromJson("""
            {"model_type":"llama","hidden_size":64,"intermediate_size":172,"num_hidden_layers":5,
             "num_attention_heads":8,"vocab_size":512,"max_position_embeddings":512}
            """);

        Assert.Equal(8, config.NKvHeads);
        Assert.Equal(1e-6f, config.NormEps);
        Assert.Equal(10000f, config.RopeTheta);
        Assert.False(config.TiedEmbeddings);
        Assert.Contains("missing required key num_attention_heads", Assert.Throws<InvalidDataException>(() => HfLlamaConfig.FromJson("{}")).Message);
        Assert.Throws<InvalidDataException>(() => HfLlamaConfig.FromJson("""{"model_type":"gpt2"}"""));
        Assert.Equal(s_small, HfLlamaConfig.FromJson(HfLlamaConfig.ToJson(s_small)));
    }

    [TorchFact]
    public void Save_Stories260K_OpensInPyTorchWithLlama2CLogits()
    {
        var bin = TestData.Data("stories260K.bin");
        var config = Llama2CReader.ReadConfig(bin);
        var parameters = TestParameters.Create(config);
        Llama2CReader.LoadInto(bin, parameters);
        using var temp = new TempDir();
        var directory = temp.Sub("stories260K");

        CheckpointDirectory.Save(directory, config, parameters, tokenizerPath: TestData.Data("tok512.bin"));
        var (exitCode, output) = PythonFixture.RunScript("check_safetensors.py", directory, bin);

        Assert.True(exitCode == 0, output);
        Assert.Contains("max |logits_hf - logits_llama2c|", output);
    }
}
