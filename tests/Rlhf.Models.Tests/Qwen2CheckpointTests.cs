using Rlhf.Models.Native;
using Rlhf.Models.Torch;
using Xunit.Abstractions;

namespace Rlhf.Models.Tests;

/// <summary>The torch backend on a Qwen2-style HF checkpoint, against PyTorch (float64) and against itself.</summary>
public sealed class Qwen2CheckpointTests(Qwen2Fixture fixture, ITestOutputHelper output) : IClassFixture<Qwen2Fixture>
{
    private const double Tolerance = 1e-4;

    private ForwardOptions Options(bool keep = false) => new()
    {
        Temperature = fixture.Reference("input.temperature")[0], ComputeEntropy = true, ComputeValues = true, KeepForBackward = keep,
    };

    [PythonTorchFact]
    public void ForwardBackward_ShardedQwen2Checkpoint_MatchesPyTorch()
    {
        // Arrange
        using var model = TorchSequenceModel.Load(fixture.Checkpoint, new ModelLoadOptions { Threads = 1 });
        var batch = fixture.Batch();
        Func<string, float[]> r = fixture.Reference;
        float[][] Coef(string c) => Enumerable.Range(0, batch.Length).Select(i => r($"coef.{c}.seq{i}")).ToArray();

        // Act
        var result = model.Forward(batch, Options(keep: true));
        model.Backward(result.State!, new OutputGradients(Coef("a"), Coef("b"), Coef("c"), r("coef.d")));
        var gradients = model.CopyGradients();

        // Assert
        Assert.Equal("qwen2", model.Info.Architecture.ModelType);
        Assert.True(model.Info.Architecture.AttentionBias);
        Assert.False(model.Info.Architecture.TiedEmbeddings);
        var outputs = new (string Name, float[] Torch, float[] PyTorch)[]
        {
            ("logprobs", Compare.Flat(result.Logprobs), Enumerable.Range(0, 3).SelectMany(i => r($"out.logprobs.seq{i}")).ToArray()),
            ("entropy", Compare.Flat(result.Entropy!), Enumerable.Range(0, 3).SelectMany(i => r($"out.entropy.seq{i}")).ToArray()),
            ("values", Compare.Flat(result.Values!), Enumerable.Range(0, 3).SelectMany(i => r($"out.values.seq{i}")).ToArray()),
            ("last_scalar", result.LastScalar, r("out.last")),
        };
        foreach (var (name, t, p) in outputs)
        {
            var (abs, rel, _) = Compare.Difference(t, p);
            output.WriteLine($"{name,-12} n={p.Length,3} max|Δ|={abs:E2} rel={rel:E2}");
            Assert.True(rel <= Tolerance, $"{name}: relative difference {rel:E2} > {Tolerance:E0}");
        }
        var expected = gradients.Select(g => new TensorData(g.Name, g.Shape, r("grad." + g.Name))).ToList();
        var (table, worst, worstName) = Compare.Table(gradients, expected);
        output.WriteLine(table.Replace("torch vs native", "torch vs PyTorch"));
        Assert.True(worst <= Tolerance, $"gradient of {worstName}: relative difference {worst:E2}\n{table}");
        Assert.Contains(gradients, g => g.Name == "model.layers.1.self_attn.k_proj.bias" && g.Data.Any(x => x != 0));
    }

    [PythonTorchFact]
    public void Load_Bf16AndF16Checkpoint_GivesTheRoundedModel()
    {
        // Arrange: BF16 weights have 8 significant bits, so outputs move by about 1e-2
        using var model = TorchSequenceModel.Load(fixture.LowPrecisionCheckpoint, new ModelLoadOptions { Threads = 1 });

        // Act
        var result = model.Forward(fixture.Batch(), Options());

        // Assert
        var reference = Enumerable.Range(0, 3).SelectMany(i => fixture.Reference($"out.logprobs.seq{i}")).ToArray();
        var (abs, _, _) = Compare.Difference(Compare.Flat(result.Logprobs), reference);
        output.WriteLine($"bf16 weights, fp32 compute: logprobs max|Δ| = {abs:E2}");
        Assert.InRange(abs, 1e-6, 0.3);
    }

    [PythonTorchFact]
    public void Load_DtypeBFloat16_ComputesCloseToFloat32AndGenerates()
    {
        // Arrange
        using var model = TorchSequenceModel.Load(fixture.Checkpoint, new ModelLoadOptions { Threads = 1, Dtype = ModelDtype.BFloat16 });

        // Act
        var result = model.Forward(fixture.Batch(), Options());
        var generated = model.Generate([[1, 5, 9]], new GenerationOptions { MaxNewTokens = 8, Temperature = 0 })[0];

        // Assert
        Assert.Equal(ModelDtype.BFloat16, model.Info.Dtype);
        var reference = Enumerable.Range(0, 3).SelectMany(i => fixture.Reference($"out.logprobs.seq{i}")).ToArray();
        var (abs, _, _) = Compare.Difference(Compare.Flat(result.Logprobs), reference);
        output.WriteLine($"bf16 compute: logprobs max|Δ| = {abs:E2}");
        Assert.InRange(abs, 0, 0.5);
        Assert.NotEmpty(generated.ResponseIds);
        Assert.All(generated.Logprobs, lp => Assert.True(float.IsFinite(lp) && lp <= 0));
    }

    [PythonTorchFact]
    public void Generate_Qwen2_KvCacheLogprobsEqualFullForward()
    {
        // Arrange: uneven prompts (left padding, per-row positions), GQA, biases and rope scaling in the decode path
        using var model = TorchSequenceModel.Load(fixture.Checkpoint, new ModelLoadOptions { Threads = 1 });
        int[][] prompts = [[1, 7, 8, 9, 10, 11], [1], [1, 40, 41]];
        var options = new GenerationOptions { MaxNewTokens = 20, Temperature = 1f, Seed = 3, StopTokenIds = [] };

        // Act
        var generated = model.Generate(prompts, options);
        var forward = model.Forward(prompts.Select((p, i) => new TokenSequence(p, generated[i].ResponseIds)).ToArray(), new ForwardOptions());

        // Assert
        for (var s = 0; s < prompts.Length; s++)
        {
            Assert.Equal(20, generated[s].ResponseIds.Length);
            Assert.Equal(FinishReason.Length, generated[s].FinishReason);
            var (abs, _, at) = Compare.Difference(generated[s].Logprobs, forward.Logprobs[s]);
            Assert.True(abs < 1e-4, $"sequence {s} token {at}: generate {generated[s].Logprobs[at]} vs forward {forward.Logprobs[s][at]}");
        }
    }

    [PythonTorchFact]
    public void Train_Qwen2_StepsRaiseTheLogprobsAndTheCheckpointResumes()
    {
        // Arrange: maximise the logprob of one fixed response (∂loss/∂logprob = −1 per token)
        using var model = TorchSequenceModel.Load(fixture.Checkpoint, new ModelLoadOptions { Threads = 1 });
        TokenSequence[] batch = [new([1, 4, 5], [6, 7, 8, 9, 10, 11])];
        var minusOne = new OutputGradients(Logprobs: [Enumerable.Repeat(-1f, 6).ToArray()]);
        float Sum() => model.Forward(batch, new ForwardOptions()).Logprobs[0].Sum();
        var before = Sum();

        // Act
        for (var step = 0; step < 5; step++)
        {
            model.Backward(model.Forward(batch, new ForwardOptions { KeepForBackward = true }).State!, minusOne);
            Assert.True(model.OptimizerStep(1e-2f, 1f, 1f) > 0);
        }
        var after = Sum();
        var saved = Path.Combine(fixture.Directory, "trained-" + Guid.NewGuid().ToString("N"));
        model.SaveCheckpoint(saved, includeOptimizerState: true);
        using var resumed = TorchSequenceModel.Load(saved, new ModelLoadOptions { Threads = 1 });
        model.Backward(model.Forward(batch, new ForwardOptions { KeepForBackward = true }).State!, minusOne);
        resumed.Backward(resumed.Forward(batch, new ForwardOptions { KeepForBackward = true }).State!, minusOne);
        model.OptimizerStep(1e-2f, 1f, 1f);
        resumed.OptimizerStep(1e-2f, 1f, 1f);

        // Assert
        output.WriteLine($"Σ logprobs: {before} → {after}");
        Assert.True(after > before + 1, $"training did not raise the logprobs: {before} → {after}");
        Assert.Equal(5, resumed.Info.OptimizerSteps - 1);
        Assert.Equal("qwen2", HfModelConfig.Read(saved).ModelType);
        var (_, worst, name) = Compare.Table(resumed.CopyParameters(), model.CopyParameters());
        Assert.True(worst <= 1e-6, $"the resumed model diverges from the original after one step at {name} ({worst:E2})");
    }

    [PythonTorchFact]
    public void NativeLoad_Qwen2Checkpoint_RefusesNamingTheUnsupportedFeatures()
    {
        // Arrange
        _ = fixture.Reference("input.temperature");

        // Act
        var e = Assert.Throws<InvalidDataException>(() => NativeSequenceModel.Load(fixture.Checkpoint));

        // Assert
        Assert.Contains("q/k/v projection biases", e.Message);
        Assert.Contains("rope_scaling", e.Message);
        Assert.Contains("Model:Backend=torch", e.Message);
    }
}
