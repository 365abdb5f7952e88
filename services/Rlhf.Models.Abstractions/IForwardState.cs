namespace Rlhf.Models;

/// <summary>
/// The handle of a forward pass kept for <see cref="ISequenceModel.Backward"/>: the native engine's activation buffer,
/// or TorchSharp's autograd graph. Backward consumes and releases it; <see cref="Release"/> drops it without a
/// backward pass (e.g. when a store evicts it). Only the model that made it accepts it. Not thread-safe.
/// </summary>
public interface IForwardState
{
    /// <summary>Bytes held by the kept activations (exact for the native engine, an estimate of the saved tensors for
    /// autograd backends), for bounding a store of states.</summary>
    long ByteSize { get; }

    /// <summary>Number of sequences of the forward batch.</summary>
    int SequenceCount { get; }

    /// <summary>True once backward ran or <see cref="Release"/> was called.</summary>
    bool IsReleased { get; }

    /// <summary>Releases what is kept (idempotent).</summary>
    void Release();
}
