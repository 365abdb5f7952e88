namespace Rlhf.Models;

/// <summary>
/// Thrown at load when the requested backend, device or dtype cannot run in this process; the message names what is
/// missing (e.g. "Model:Device=cuda:1, but this build references the CPU libtorch package") and what to change.
/// </summary>
public sealed class ModelBackendUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
