using Rlhf.Tokenizers;
using Rlhf.Contracts.V1;

namespace Rlhf.Services.Tests.Infrastructure;

/// <summary>Token sequences cut from real TinyStories text with tok512, for requests and before/after comparisons.</summary>
internal static class Probes
{
    private static readonly Lazy<Llama2Tokenizer> LazyTokenizer = new(() => Llama2Tokenizer.Load(TestData.Data(TestData.Tok512)));

    /// <summary>The tok512 tokenizer.</summary>
    public static Llama2Tokenizer Tokenizer => LazyTokenizer.Value;

    /// <summary>Prompts: story openings from TinyStories.</summary>
    public static readonly string[] Prompts =
    [
        "One day, a little girl named Lily found a needle in her room.",
        "Once upon a time, there was a little car named Beep.",
        "Tom and his dog went to the park to play.",
    ];

    /// <summary>Responses that continue <see cref="Prompts"/>.</summary>
    public static readonly string[] Responses =
    [
        " She knew it was difficult to play with it because it was sharp.",
        " Beep liked to go fast and play in the sun.",
        " They ran and jumped all day long.",
    ];

    /// <summary>Sequence <paramref name="i"/> as token ids (prompt with BOS; response as the tail of the joint encoding).</summary>
    public static Sequence Ids(int i)
    {
        var prompt = Tokenizer.Encode(Prompts[i], bos: true);
        var joint = Tokenizer.Encode(Prompts[i] + Responses[i], bos: true);
        var s = new Sequence();
        s.PromptIds.Add(prompt);
        s.ResponseIds.Add(joint[prompt.Length..]);
        return s;
    }

    /// <summary>All probe sequences as token ids.</summary>
    public static Sequence[] AllIds() => Enumerable.Range(0, Prompts.Length).Select(Ids).ToArray();

    /// <summary>A prompt-only sequence given as text.</summary>
    public static Sequence PromptText(int i) => new() { PromptText = Prompts[i] };

    /// <summary>Rows of a packed per-token array.</summary>
    public static float[][] Rows(PackedFloats packed)
    {
        var rows = new float[packed.Lengths.Count][];
        var offset = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = packed.Values.Skip(offset).Take(packed.Lengths[i]).ToArray();
            offset += packed.Lengths[i];
        }
        return rows;
    }

    /// <summary>Packed floats with one row per sequence of <paramref name="lengths"/>, every entry <paramref name="value"/>.</summary>
    public static PackedFloats Constant(IEnumerable<int> lengths, float value)
    {
        var packed = new PackedFloats();
        foreach (var n in lengths)
        {
            packed.Lengths.Add(n);
            for (var t = 0; t < n; t++)
                packed.Values.Add(value);
        }
        return packed;
    }
}
