using System.Numerics.Tensors;

namespace Rlhf.Engine.Training;

/// <summary>One optimizer step of a <see cref="LlamaModel"/> as the model services take it.</summary>
public static class OptimizerStep
{
    /// <summary>
    /// Scales the accumulated gradients by <paramref name="gradientScale"/>, clips them to global L2 norm
    /// <paramref name="maxGradNorm"/> (0 = no clipping, <see cref="GradientClipping"/>), applies one AdamW step at
    /// <paramref name="learningRate"/>, and zeroes the gradients.
    /// </summary>
    /// <returns>The global gradient norm before clipping.</returns>
    /// <exception cref="InvalidOperationException">The gradients are not finite; they are dropped and the weights are untouched.</exception>
    public static float Apply(LlamaModel model, AdamW optimizer, float learningRate, float maxGradNorm, float gradientScale)
    {
        var grads = model.Gradients;
        if (gradientScale != 1f)
        {
            foreach (var g in grads)
                TensorPrimitives.Multiply(g.Data.Span, gradientScale, g.Data.Span);
        }
        var norm = GradientClipping.GlobalNorm(grads);
        if (!double.IsFinite(norm))
        {
            model.ZeroGrad();
            throw new InvalidOperationException($"the accumulated gradients are not finite (global norm {norm}); they were dropped and the weights are unchanged");
        }
        if (maxGradNorm > 0)
            GradientClipping.ClipByGlobalNorm(grads, maxGradNorm);
        optimizer.Step(grads, learningRate);
        model.ZeroGrad();
        return (float)norm;
    }
}
