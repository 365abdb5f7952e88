namespace Rlhf.Tokenizers;

/// <summary>
/// The special token ids of a tokenizer; null where the tokenizer has none (Qwen2 has no BOS, Llama 2 no pad).
/// Checkpoint directories set them from their config files (<see cref="TokenizerFiles"/>).
/// </summary>
/// <param name="Bos">Beginning of sequence, prepended by <see cref="ITokenizer.Encode"/> with addBos.</param>
/// <param name="Eos">End of sequence: the token a response ends with.</param>
/// <param name="Pad">Padding.</param>
/// <param name="Unknown">The id of unknown text (SentencePiece <c>&lt;unk&gt;</c>); byte-level tokenizers have none.</param>
public sealed record SpecialTokenIds(int? Bos, int? Eos, int? Pad, int? Unknown)
{
    /// <summary>Every id that ends generation: <see cref="Eos"/> first, then the other end-of-turn ids of
    /// <c>generation_config.json</c> (Llama 3 Instruct stops at three). Empty when there is no EOS.</summary>
    public IReadOnlyList<int> StopIds { get; init; } = Eos is { } eos ? [eos] : [];

    /// <summary>Equal ids, and equal <see cref="StopIds"/> in the same order.</summary>
    public bool Equals(SpecialTokenIds? other) =>
        other is not null && (Bos, Eos, Pad, Unknown) == (other.Bos, other.Eos, other.Pad, other.Unknown) && StopIds.SequenceEqual(other.StopIds);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Bos, Eos, Pad, Unknown, StopIds.Count);

    /// <summary>The ids, for messages: <c>bos=1 eos=2 pad=none unk=0 stop=[2]</c>.</summary>
    public override string ToString() =>
        $"bos={Show(Bos)} eos={Show(Eos)} pad={Show(Pad)} unk={Show(Unknown)} stop=[{string.Join(", ", StopIds)}]";

    private static string Show(int? id) => id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
}
