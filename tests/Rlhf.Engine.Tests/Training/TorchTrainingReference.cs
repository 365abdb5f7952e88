using Rlhf.Engine.IO;
using Rlhf.Engine.Tests.IO;

namespace Rlhf.Engine.Tests.Training;

/// <summary>Runs <c>tests/fixtures/io/adamw_reference.py</c> once and opens its outputs.</summary>
internal static class TorchTrainingReference
{
    private static readonly Lazy<string> s_directory = new(() =>
    {
        var directory = Path.Combine(Path.GetTempPath(), "rlhf-engine-training-" + Guid.NewGuid().ToString("N"));
        var (exitCode, output) = PythonFixture.RunScript("adamw_reference.py", directory);
        if (exitCode != 0)
            throw new InvalidOperationException("adamw_reference.py failed: " + output);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return directory;
    });

    public static SafeTensorsReader OpenAdamW() => SafeTensorsReader.Open(Path.Combine(s_directory.Value, "adamw.safetensors"));

    public static SafeTensorsReader OpenClip() => SafeTensorsReader.Open(Path.Combine(s_directory.Value, "clip.safetensors"));

    /// <summary>Tensors named <c>prefix.&lt;param&gt;</c> as param-named tensors, in header order.</summary>
    public static List<NamedTensor> Group(SafeTensorsReader reader, string prefix)
    {
        var group = reader.Tensors.Where(t => t.Name.StartsWith(prefix + ".", StringComparison.Ordinal))
            .Select(t => new NamedTensor(t.Name[(prefix.Length + 1)..], t.Shape, reader.ReadFloat32(t.Name)))
            .ToList();
        Assert.True(group.Count > 0, $"the fixture holds no tensors named {prefix}.*");
        return group;
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        var at = -1;
        for (var k = 0; k < expected.Length; k++)
        {
            var diff = MathF.Abs(expected[k] - actual[k]) / Math.Max(1f, MathF.Abs(expected[k]));
            if (float.IsNaN(diff))
                diff = float.PositiveInfinity; // a NaN anywhere must fail, not be overtaken by a later finite difference
            if (diff > worst)
            {
                worst = diff;
                at = k;
            }
        }
        Assert.True(worst <= tolerance, $"{what}: largest difference {worst:E2} at {at}: expected {expected[Math.Max(at, 0)]}, got {actual[Math.Max(at, 0)]}");
    }
}
