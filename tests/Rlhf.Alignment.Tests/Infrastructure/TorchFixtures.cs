using System.Text.Json;

namespace Rlhf.Alignment.Tests.Infrastructure;

/// <summary>
/// Runs <c>tests/fixtures/alignment/make_fixtures.py</c> once per test run into a temporary directory and serves its
/// cases (PyTorch float64 references). Shared by every class in <see cref="TorchCollection"/>.
/// </summary>
public sealed class TorchFixtures : IDisposable
{
    private readonly TempDir _directory = new();
    private readonly Lazy<JsonDocument> _document;

    public TorchFixtures()
    {
        _document = new Lazy<JsonDocument>(Generate);
    }

    /// <summary>One named case; throws when torch is unavailable (tests using it are <see
    /// cref="TorchFactAttribute"/>).</summary>
    public FixtureCase Case(string name)
    {
        var cases = _document.Value.RootElement.GetProperty("cases");
        return cases.TryGetProperty(name, out var element)
            ? new FixtureCase(name, element)
            : throw new KeyNotFoundException($"fixture case '{name}' missing from make_fixtures.py output");
    }

    public void Dispose()
    {
        if (_document.IsValueCreated)
        {
            _document.Value.Dispose();
        }

        _directory.Dispose();
    }

    private JsonDocument Generate()
    {
        var (code, output) = PythonTorch.Run(PythonTorch.FixtureScript(), _directory.Path);
        if (code != 0)
        {
            throw new InvalidOperationException($"make_fixtures.py failed ({code}): {output}");
        }

        var document = JsonDocument.Parse(File.ReadAllText(_directory.Sub("alignment_fixtures.json")));
        var version = document.RootElement.GetProperty("version").GetInt32();
        return version == 1 ? document : throw new InvalidOperationException($"unknown fixture version {version}");
    }
}

/// <summary>Collection sharing one <see cref="TorchFixtures"/> (the script runs once).</summary>
[CollectionDefinition(Name)]
public sealed class TorchCollection : ICollectionFixture<TorchFixtures>
{
    public const string Name = "torch fixtures";
}

/// <summary>Typed access to one case's fields.</summary>
public sealed class FixtureCase(string name, JsonElement element)
{
    public string Name { get; } = name;

    public TokenBatch Batch(string field) => TokenBatch.FromRagged(
        element.GetProperty(field).EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray());

    public double[] Doubles(string field) =>
        element.GetProperty(field).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public int[] Ints(string field) =>
        element.GetProperty(field).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public bool[] Bools(string field) =>
        element.GetProperty(field).EnumerateArray().Select(v => v.GetBoolean()).ToArray();

    public double Scalar(string field) => element.GetProperty(field).GetDouble();

    public double? NullableScalar(string field) =>
        element.GetProperty(field).ValueKind == JsonValueKind.Null ? null : element.GetProperty(field).GetDouble();

    public string String(string field) => element.GetProperty(field).GetString()!;

    public string? NullableString(string field) =>
        element.GetProperty(field).ValueKind == JsonValueKind.Null ? null : element.GetProperty(field).GetString();

    public bool Bool(string field) => element.GetProperty(field).GetBoolean();

    public int Int(string field) => element.GetProperty(field).GetInt32();

    /// <summary>The case's <c>aggregation</c> (verl's loss_agg_mode name) with its <c>norm_len</c> when
    /// present.</summary>
    public LossAggregation Aggregation() => LossAggregation.Parse(String("aggregation"),
        element.TryGetProperty("norm_len", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt32() : null);
}
