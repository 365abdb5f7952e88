using Xunit.Abstractions;

namespace Rlhf.Engine.Tests.Model;

/// <summary>
/// Finite-difference checks of <see cref="LlamaModel.Backward"/> on tiny random models: for a sample of parameters,
/// the centred difference (L(θ+h) − L(θ−h)) / 2h at two step sizes h must agree with the analytic gradient, where
/// L = Σ a·logprobs + Σ b·entropy + Σ c·values + Σ d·last_scalar.
/// </summary>
[Collection(OpenBlasCollection.Name)]
public sealed class GradientCheckTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false, 2, true)]  // untied head, grouped-query attention (4 query heads, 2 kv heads)
    [InlineData(true, 4, true)]   // tied head, multi-head attention
    [InlineData(true, 1, false)]  // critic / reward path: no LM head, multi-query attention
    public void Backward_TinyModel_MatchesFiniteDifferences(bool tied, int kvHeads, bool computeLogprobs)
    {
        // Arrange
        var config = new ModelConfig(Dim: 16, HiddenDim: 24, NLayers: 2, NHeads: 4, NKvHeads: kvHeads, VocabSize: 13,
            MaxSeqLen: 16, TiedEmbeddings: tied);
        var model = new LlamaModel(config);
        model.InitializeRandom(seed: 3, std: 0.3f);
        var rng = new Random(5);
        foreach (var t in model.Parameters.Where(t => t.Name.StartsWith("score.", StringComparison.Ordinal)))
            for (var i = 0; i < t.Data.Length; i++)
                t.Data.Span[i] = (float)(rng.NextDouble() - 0.5);
        TokenSequence[] batch = [new([1, 4, 7], [9, 2, 11, 3]), new([1], [5, 6]), new([1, 12, 8, 8, 3, 2], [10])];
        var options = new ForwardOptions
        {
            Temperature = 0.8f, ComputeLogprobs = computeLogprobs, ComputeEntropy = computeLogprobs, ComputeValues = true,
        };
        float[][] Coefficients() => batch.Select(s => s.ResponseIds.Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var grads = new OutputGradients(
            Logprobs: computeLogprobs ? Coefficients() : null,
            Entropy: computeLogprobs ? Coefficients() : null,
            Values: Coefficients(),
            LastScalar: batch.Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray());
        double Loss()
        {
            var r = model.Forward(batch, options);
            double loss = 0;
            for (var s = 0; s < batch.Length; s++)
            {
                for (var t = 0; t < batch[s].ResponseIds.Length; t++)
                {
                    if (computeLogprobs)
                        loss += (double)grads.Logprobs![s][t] * r.Logprobs[s][t] + (double)grads.Entropy![s][t] * r.Entropy![s][t];
                    loss += (double)grads.Values![s][t] * r.Values![s][t];
                }
                loss += (double)grads.LastScalar![s] * r.LastScalar[s];
            }
            return loss;
        }

        // Act
        model.ZeroGrad();
        model.Backward(model.Forward(batch, options with { KeepForBackward = true }).State!, grads);

        // Assert
        var checkedCount = 0;
        var failures = new List<string>();
        for (var ti = 0; ti < model.Parameters.Count; ti++)
        {
            var param = model.Parameters[ti].Data.Span;
            var analytic = model.Gradients[ti].Data.Span;
            for (var sample = 0; sample < 3; sample++)
            {
                var i = rng.Next(param.Length);
                var original = param[i];
                double Difference(float h)
                {
                    model.Parameters[ti].Data.Span[i] = original + h;
                    var up = Loss();
                    model.Parameters[ti].Data.Span[i] = original - h;
                    var down = Loss();
                    model.Parameters[ti].Data.Span[i] = original;
                    return (up - down) / (2.0 * h);
                }
                var fdCoarse = Difference(1e-2f);
                var fdFine = Difference(5e-3f);
                var a = analytic[i];
                var tolerance = 2e-3 * Math.Max(Math.Abs(a), 1.0);
                var ok = Math.Abs(a - fdCoarse) < tolerance || Math.Abs(a - fdFine) < tolerance;
                var line = $"{model.Parameters[ti].Name}[{i}]: analytic {a:G6}, centred difference {fdCoarse:G6} / {fdFine:G6}";
                output.WriteLine(line);
                if (!ok)
                    failures.Add(line);
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 3 * 20);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
