using System.Text.Json;

namespace Rlhf.Tokenizers.Tests.Infrastructure;

/// <summary>
/// Runs <c>tests/fixtures/tokenizers/make_fixtures.py</c> (<see cref="RepositoryPython"/>) once per kind into a
/// temporary directory, and reads what it wrote.
/// </summary>
internal static class ReferenceFixtures
{
    private static readonly Lazy<string> s_sentencePiece = new(() => Generate("sentencepiece"));
    private static readonly Lazy<string> s_bpe = new(() => Generate("bpe"));
    private static readonly Lazy<string?> s_sentencePieceMissing = new(() =>
        TestData.MissingReason("llama2_tokenizer.model", "tinystories_train_head.txt", "hh-rlhf_helpful-base_test.jsonl.gz")
        ?? RepositoryPython.MissingModule("sentencepiece", "python3-sentencepiece"));

    /// <summary>Null when the SentencePiece reference can run; otherwise why not.</summary>
    public static string? SentencePieceMissing => s_sentencePieceMissing.Value;

    /// <summary>Directory holding <c>sentencepiece.json</c>.</summary>
    public static string SentencePieceDir => s_sentencePiece.Value;

    /// <summary>Directory holding <c>vocab.json</c>, <c>merges.txt</c> and one folder per variant.</summary>
    public static string BpeDir => s_bpe.Value;

    /// <summary>The cases of an <c>expected.json</c> / <c>sentencepiece.json</c>.</summary>
    public static IReadOnlyList<ReferenceCase> Cases(string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ReferenceCase(
            c.GetProperty("name").GetString()!,
            c.GetProperty("text").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!,
            c.TryGetProperty("decoded_with_bos", out var d) ? d.GetString() : null)).ToList();
    }

    /// <summary>A top-level field of a reference file.</summary>
    public static JsonElement Field(string jsonPath, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath));
        return doc.RootElement.GetProperty(name).Clone();
    }

    private static string Generate(string kind)
    {
        var dir = Directory.CreateTempSubdirectory($"rlhf-tokenizers-{kind}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        var script = Path.Combine(TestData.RepoRoot, "tests", "fixtures", "tokenizers", "make_fixtures.py");
        var (code, output) = RepositoryPython.Run([script, kind, dir, TestData.DataDir], TimeSpan.FromMinutes(5));
        if (code != 0)
            throw new InvalidOperationException($"make_fixtures.py {kind} failed ({code}): {output}");
        return dir;
    }
}

/// <summary>One reference encoding.</summary>
internal sealed record ReferenceCase(string Name, string Text, int[] Ids, string Decoded, string? DecodedWithBos);

/// <summary>A test that needs python3-sentencepiece and the real data; skipped with the reason otherwise.</summary>
public sealed class SentencePieceFactAttribute : FactAttribute
{
    public SentencePieceFactAttribute() => Skip = ReferenceFixtures.SentencePieceMissing;
}

/// <summary>A test that needs the real data for the byte-level BPE fixtures (TinyStories, HH-RLHF).</summary>
public sealed class BpeDataTheoryAttribute : TheoryAttribute
{
    public BpeDataTheoryAttribute() => Skip = TestData.MissingReason("tinystories_train_head.txt", "hh-rlhf_helpful-base_test.jsonl.gz");
}

/// <summary>See <see cref="BpeDataTheoryAttribute"/>.</summary>
public sealed class BpeDataFactAttribute : FactAttribute
{
    public BpeDataFactAttribute() => Skip = TestData.MissingReason("tinystories_train_head.txt", "hh-rlhf_helpful-base_test.jsonl.gz");
}

/// <summary>A test that needs the named files of the shared data directory; skipped with the reason otherwise.</summary>
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute(params string[] files) => Skip = TestData.MissingReason(files);
}

/// <summary>See <see cref="DataFactAttribute"/>.</summary>
public sealed class DataTheoryAttribute : TheoryAttribute
{
    public DataTheoryAttribute(params string[] files) => Skip = TestData.MissingReason(files);
}

/// <summary>Compares encodings case by case and reports the first differences.</summary>
internal static class Compare
{
    public static void Encodings(ITokenizer tokenizer, IReadOnlyList<ReferenceCase> cases, bool checkDecode = true)
    {
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var ids = tokenizer.Encode(c.Text, addBos: false);
            if (!ids.AsSpan().SequenceEqual(c.Ids))
            {
                var at = 0;
                while (at < Math.Min(ids.Length, c.Ids.Length) && ids[at] == c.Ids[at])
                    at++;
                failures.Add($"{c.Name}: encode differs at token {at} (C# {ids.Length} tokens, reference {c.Ids.Length}): " +
                    $"C# [{string.Join(", ", ids.Skip(at).Take(6))}] vs [{string.Join(", ", c.Ids.Skip(at).Take(6))}]");
            }
            else if (checkDecode && tokenizer.Decode(c.Ids) != c.Decoded)
            {
                failures.Add($"{c.Name}: decode differs: \"{Escape(tokenizer.Decode(c.Ids))}\" vs \"{Escape(c.Decoded)}\"");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases differ; first:\n" + string.Join("\n", failures.Take(8)));
    }

    public static void StreamedEqualsDecode(ITokenizer tokenizer, IEnumerable<ReferenceCase> cases)
    {
        foreach (var c in cases)
        {
            var decoder = tokenizer.CreateStreamingDecoder();
            var streamed = string.Concat(c.Ids.Select(decoder.Push)) + decoder.Flush();
            var at = streamed.AsSpan().CommonPrefixLength(c.Decoded);
            Assert.True(streamed == c.Decoded,
                $"{c.Name}: streamed text differs from Decode at char {at}: \"{Escape(streamed[Math.Max(0, at - 20)..])}\" vs \"{Escape(c.Decoded[Math.Max(0, at - 20)..])}\"");
        }
    }

    private static string Escape(string s) => (s.Length > 120 ? s[..120] + "…" : s).Replace("\n", "\\n");
}
