using Rlhf.Engine.IO;
using Xunit.Abstractions;

namespace Rlhf.Engine.Tests.Model;

/// <summary>
/// The reference test (as llm.c's test_gpt2.c): tests/fixtures/engine/make_fixtures.py computes stories260K's outputs
/// and every gradient in PyTorch (float64); the engine must agree to fp32 accuracy.
/// </summary>
[Collection(OpenBlasCollection.Name)]
public sealed class PyTorchFixtureTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    [TorchFact]
    public void ForwardBackward_Stories260KBatch_MatchesPyTorch()
    {
        // Arrange: generate the fixture into a temp directory
        var dir = Directory.CreateTempSubdirectory("rlhf-engine-fixture-").FullName;
        try
        {
            var script = Path.Combine(TestData.RepoRoot, "tests", "fixtures", "engine", "make_fixtures.py");
            var (code, log) = TorchFactAttribute.RunPython(script, dir, TestData.DataDir);
            Assert.True(code == 0, $"make_fixtures.py failed ({code}): {log}");
            var fx = FixtureFile.Read(Path.Combine(dir, "engine_fixture.bin"));
            var model = ModelFiles.Load(TestData.Data("stories260K.bin"), new EngineOptions { Threads = 2 });
            var parameters = model.Parameters.ToDictionary(t => t.Name);
            fx["input.score.weight"].Data.CopyTo(parameters["score.weight"].Data.Span);
            fx["input.score.bias"].Data.CopyTo(parameters["score.bias"].Data.Span);
            var count = 3;
            var batch = Enumerable.Range(0, count).Select(i => new TokenSequence(
                fx[$"input.seq{i}.prompt"].Data.Select(v => (int)v).ToArray(),
                fx[$"input.seq{i}.response"].Data.Select(v => (int)v).ToArray())).ToArray();
            var temperature = fx["input.temperature"].Data[0];

            // Act
            var result = model.Forward(batch, new ForwardOptions
            {
                Temperature = temperature, ComputeEntropy = true, ComputeValues = true, KeepForBackward = true,
            });
            model.ZeroGrad();
            var grads = new OutputGradients(
                Logprobs: Enumerable.Range(0, count).Select(i => fx[$"coef.a.seq{i}"].Data).ToArray(),
                Entropy: Enumerable.Range(0, count).Select(i => fx[$"coef.b.seq{i}"].Data).ToArray(),
                Values: Enumerable.Range(0, count).Select(i => fx[$"coef.c.seq{i}"].Data).ToArray(),
                LastScalar: fx["coef.d"].Data);
            model.Backward(result.State!, grads);

            // Assert: every named tensor, reporting the largest differences
            var failures = new List<string>();
            void Compare(string name, ReadOnlySpan<float> actual, float[] expected)
            {
                Assert.Equal(expected.Length, actual.Length);
                double maxAbs = 0, maxRel = 0, scale = 0;
                foreach (var e in expected)
                    scale = Math.Max(scale, Math.Abs(e));
                for (var i = 0; i < expected.Length; i++)
                {
                    var diff = Math.Abs((double)actual[i] - expected[i]);
                    maxAbs = Math.Max(maxAbs, diff);
                    maxRel = Math.Max(maxRel, diff / Math.Max(Math.Abs(expected[i]), 1e-6));
                }
                var line = $"{name,-52} max|Δ| {maxAbs:E2}  max rel {maxRel:E2}  (scale {scale:E2})  " +
                           $"first {string.Join(", ", actual[..Math.Min(3, actual.Length)].ToArray().Select(v => v.ToString("G6")))} " +
                           $"vs {string.Join(", ", expected.Take(3).Select(v => v.ToString("G6")))}";
                output.WriteLine(line);
                // fp32 accuracy relative to the tensor's own magnitude
                if (!(maxAbs <= Tolerance * Math.Max(scale, 1e-2))) // NaN fails
                    failures.Add(line);
            }
            for (var i = 0; i < count; i++)
            {
                Compare($"out.logprobs.seq{i}", result.Logprobs[i], fx[$"out.logprobs.seq{i}"].Data);
                Compare($"out.entropy.seq{i}", result.Entropy![i], fx[$"out.entropy.seq{i}"].Data);
                Compare($"out.values.seq{i}", result.Values![i], fx[$"out.values.seq{i}"].Data);
            }
            Compare("out.last_scalar", result.LastScalar, fx["out.last_scalar"].Data);
            var gradientCount = 0;
            foreach (var g in model.Gradients)
            {
                Compare("grad." + g.Name, g.Data.Span, fx["grad." + g.Name].Data);
                gradientCount++;
            }
            Assert.Equal(fx.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), gradientCount);
            Assert.True(result.State!.IsReleased);
            Assert.True(failures.Count == 0, "differences above tolerance:\n" + string.Join("\n", failures));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
