using Rlhf.Engine.IO;

namespace Rlhf.Models.Tests;

/// <summary>A fact skipped, with the reason, when /usr/bin/python3 cannot import torch (Debian's python3-torch).</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> s_missing = new(() => RepositoryPython.MissingModule("torch", "python3-torch"));

    public PythonTorchFactAttribute()
    {
        if (s_missing.Value is { } reason)
            Skip = reason;
    }
}

/// <summary>
/// Runs tests/fixtures/models/make_qwen2_fixture.py once into a temporary directory: a tiny random Qwen2-style
/// checkpoint (biases, untied head, GQA, linear rope scaling; sharded F32 and a BF16/F16 copy) and PyTorch's float64
/// outputs and gradients for it.
/// </summary>
public sealed class Qwen2Fixture : IDisposable
{
    private readonly Lazy<Dictionary<string, float[]>> _reference;

    public Qwen2Fixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "rlhf-qwen2-fixture-" + Guid.NewGuid().ToString("N"));
        _reference = new Lazy<Dictionary<string, float[]>>(() =>
        {
            var script = Path.Combine(TestData.RepoRoot, "tests", "fixtures", "models", "make_qwen2_fixture.py");
            var (code, log) = RepositoryPython.Run([script, Directory], TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"make_qwen2_fixture.py failed ({code}): {log}");
            using var reader = SafeTensorsReader.Open(Path.Combine(Directory, "reference.safetensors"));
            return reader.Tensors.ToDictionary(t => t.Name, t => reader.ReadFloat32(t.Name));
        });
    }

    public string Directory { get; }

    /// <summary>The sharded F32 checkpoint.</summary>
    public string Checkpoint => Path.Combine(Directory, "qwen2-tiny");

    /// <summary>The same weights in BF16 (norm gains F16), one file.</summary>
    public string LowPrecisionCheckpoint => Path.Combine(Directory, "qwen2-tiny-bf16");

    /// <summary>A reference tensor (generating the fixture on first use); empty when the file leaves it out (no elements).</summary>
    public float[] Reference(string name) => _reference.Value.GetValueOrDefault(name, []);

    public TokenSequence[] Batch() => Enumerable.Range(0, 3).Select(i => new TokenSequence(
        Reference($"input.seq{i}.prompt").Select(v => (int)v).ToArray(),
        Reference($"input.seq{i}.response").Select(v => (int)v).ToArray())).ToArray();

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
                System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
