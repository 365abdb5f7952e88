using Rlhf.Models.Native;
using Rlhf.Models.Torch;
using Xunit.Abstractions;

namespace Rlhf.Models.Tests;

/// <summary>AdamW steps and checkpoints: the torch backend against the native engine, and across the two.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class OptimizerTests(Stories260KFixture fixture, ITestOutputHelper output)
{
    private static readonly ModelLoadOptions Options = new() { Threads = 1, WeightDecay = 0.1f };

    private static readonly TokenSequence[] Batch =
        [new([1, 403, 407], [261, 300, 310, 320, 330, 340]), new([1], [350, 360, 370, 380]), new([1, 5, 6, 7, 8], [9, 10])];

    private static OutputGradients Gradients(int seed)
    {
        var rng = new Random(seed);
        float[][] Random() => Batch.Select(s => s.ResponseIds.Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()).ToArray();
        return new OutputGradients(Random(), null, Random(), Batch.Select(_ => (float)rng.NextDouble()).ToArray());
    }

    private static float Step(ISequenceModel model, int seed)
    {
        var state = model.Forward(Batch, new ForwardOptions { ComputeValues = true, KeepForBackward = true }).State!;
        model.Backward(state, Gradients(seed));
        return model.OptimizerStep(learningRate: 1e-3f, maxGradNorm: 0.5f, gradientScale: 0.5f);
    }

    private void AssertSameParameters(ISequenceModel actual, ISequenceModel expected, double tolerance, string when)
    {
        var (table, worst, name) = Compare.Table(actual.CopyParameters(), expected.CopyParameters());
        Assert.True(worst <= tolerance, $"{when}: parameter {name} differs by {worst:E2} (relative)\n{table}");
    }

    [Fact]
    public void OptimizerStep_ClippedAdamWWithDecay_MatchesTheNativeEngineStepByStep()
    {
        // Arrange
        using var native = NativeSequenceModel.Load(fixture.Checkpoint, Options);
        using var torch = TorchSequenceModel.Load(fixture.Checkpoint, Options);

        // Act / Assert: three steps, gradient scaled by 0.5, clipped to norm 0.5, weight decay on weights only
        for (var step = 0; step < 3; step++)
        {
            var nativeNorm = Step(native, step);
            var torchNorm = Step(torch, step);
            output.WriteLine($"step {step + 1}: grad norm native {nativeNorm:G7}, torch {torchNorm:G7}");
            Assert.True(Math.Abs(nativeNorm - torchNorm) <= 1e-4 * nativeNorm, $"step {step + 1}: grad norm {torchNorm} vs {nativeNorm}");
            Assert.True(nativeNorm > 0.5f, "the gradient must be large enough to be clipped");
            AssertSameParameters(torch, native, 1e-4, $"after step {step + 1}");
        }
        Assert.Equal(3, torch.Info.OptimizerSteps);
        Assert.Equal(3, native.Info.OptimizerSteps);
        Assert.All(torch.CopyGradients(), g => Assert.All(g.Data, x => Assert.Equal(0f, x))); // zeroed after the step
    }

    [Fact]
    public void Checkpoint_SavedByTorchWithOptimizerState_ResumesExactlyOnTheNativeEngineAndBack()
    {
        // Arrange: two steps on torch, saved with AdamW moments
        using var torch = TorchSequenceModel.Load(fixture.Checkpoint, Options);
        Step(torch, 1);
        Step(torch, 2);
        var saved = Path.Combine(fixture.Directory, "torch-" + Guid.NewGuid().ToString("N"));
        torch.SaveCheckpoint(saved, includeOptimizerState: true);

        // Act: resume on the native engine, step both, then resume the native checkpoint on torch
        using var native = NativeSequenceModel.Load(saved, Options);
        AssertSameParameters(native, torch, 0, "loaded");
        Step(torch, 3);
        Step(native, 3);
        var back = Path.Combine(fixture.Directory, "native-" + Guid.NewGuid().ToString("N"));
        native.SaveCheckpoint(back, includeOptimizerState: true);
        using var torchAgain = TorchSequenceModel.Load(back, Options);
        Step(torchAgain, 4);
        Step(torch, 4);

        // Assert
        Assert.Equal(3, native.Info.OptimizerSteps);
        Assert.Equal(4, torchAgain.Info.OptimizerSteps);
        AssertSameParameters(torchAgain, torch, 1e-4, "after resuming twice");
        Assert.Empty(Directory.GetDirectories(fixture.Directory, "*.tmp-*")); // atomic: no temporary left behind
    }

    [Fact]
    public void OptimizerStep_NonFiniteGradient_ThrowsDropsTheGradientsAndKeepsTheWeights()
    {
        // Arrange
        using var torch = TorchSequenceModel.Load(fixture.Checkpoint, Options);
        var before = torch.CopyParameters();
        var state = torch.Forward(Batch, new ForwardOptions { ComputeValues = true, KeepForBackward = true }).State!;
        var gradients = Gradients(5);
        gradients.Logprobs![0][0] = float.NaN;
        torch.Backward(state, gradients);

        // Act
        var e = Assert.Throws<InvalidOperationException>(() => torch.OptimizerStep(1e-3f, 1f, 1f));

        // Assert
        Assert.Contains("not finite", e.Message);
        var (_, worst, _) = Compare.Table(torch.CopyParameters(), before);
        Assert.Equal(0, worst);
        Assert.All(torch.CopyGradients(), g => Assert.All(g.Data, x => Assert.Equal(0f, x)));
        Assert.Equal(0, torch.Info.OptimizerSteps);
    }

    [Fact]
    public void Backward_StateOfAnotherModelOrReleased_IsRefused()
    {
        using var other = TorchSequenceModel.Load(fixture.Checkpoint, Options);
        var state = other.Forward(Batch, new ForwardOptions { ComputeValues = true, KeepForBackward = true }).State!;

        Assert.Throws<ArgumentException>(() => fixture.Torch.Backward(state, Gradients(1)));
        other.Backward(state, Gradients(1));
        var e = Assert.Throws<ArgumentException>(() => other.Backward(state, Gradients(1)));
        Assert.Contains("released", e.Message);
        var wrong = new OutputGradients(Logprobs: [[1f], [1f], [1f]]);
        var fresh = other.Forward(Batch, new ForwardOptions { ComputeValues = true, KeepForBackward = true }).State!;
        var shape = Assert.Throws<ArgumentException>(() => other.Backward(fresh, wrong));
        Assert.Contains("response tokens", shape.Message);
        Assert.True(fresh.IsReleased);
        other.ZeroGrad();
    }
}
