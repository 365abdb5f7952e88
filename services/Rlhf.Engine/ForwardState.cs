using Rlhf.Engine.Internal;

namespace Rlhf.Engine;

/// <summary>
/// Activations kept by a forward pass for <see cref="LlamaModel.Backward"/>. Backward consumes and releases it;
/// <see cref="Release"/> drops it without a backward pass (e.g. when a store evicts it). Not thread-safe.
/// </summary>
public sealed class ForwardState : IForwardState
{
    internal ForwardState(LlamaModel owner, float[] buffer, ActivationLayout layout, Segment[] segments, int[] tokens,
        int[] positions, TokenSequence[] sequences, int[] logitRowOffsets, ForwardOptions options)
    {
        Owner = owner;
        Buffer = buffer;
        Layout = layout;
        Segments = segments;
        Tokens = tokens;
        Positions = positions;
        Sequences = sequences;
        LogitRowOffsets = logitRowOffsets;
        Options = options;
        ByteSize = (long)buffer.Length * sizeof(float) + (tokens.Length + positions.Length) * sizeof(int);
    }

    internal LlamaModel Owner { get; }
    internal float[]? Buffer { get; private set; }
    internal ActivationLayout Layout { get; }
    internal Segment[] Segments { get; }
    internal int[] Tokens { get; }
    internal int[] Positions { get; }
    internal TokenSequence[] Sequences { get; }
    internal int[] LogitRowOffsets { get; }
    internal ForwardOptions Options { get; }

    /// <summary>Bytes held by the kept activations (for bounding a store of states).</summary>
    public long ByteSize { get; }

    /// <summary>Number of sequences of the forward batch.</summary>
    public int SequenceCount => Sequences.Length;

    /// <summary>True once backward ran or <see cref="Release"/> was called.</summary>
    public bool IsReleased => Buffer is null;

    /// <summary>Releases the activations (idempotent); the model may reuse the memory for its next forward pass.</summary>
    public void Release()
    {
        var buffer = Buffer;
        Buffer = null;
        if (buffer is not null)
            Owner.ReturnActivations(buffer);
    }
}
