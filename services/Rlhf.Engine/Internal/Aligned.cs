namespace Rlhf.Engine.Internal;

/// <summary>
/// 64-byte alignment of every buffer the kernels reduce over. TensorPrimitives' vectorised reductions (Sum, Dot, Max)
/// peel to an aligned address, so their rounding depends on where the data lies; aligning every base pointer makes
/// results bitwise reproducible from call to call.
/// </summary>
internal static unsafe class Aligned
{
    /// <summary>Extra floats to allocate so that an aligned start fits.</summary>
    public const int Padding = 16;

    public static float* Up(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary><paramref name="floats"/> rounded up to whole 64-byte lines, so that a buffer carved after it starts
    /// aligned.</summary>
    public static long RoundUp(long floats) => (floats + 15) & ~15L;

    /// <summary>Offset (in floats) of the first 64-byte-aligned element of a pinned array.</summary>
    public static int Offset(float[] pinned) => (int)(Up(LlamaModel.Pointer(pinned)) - LlamaModel.Pointer(pinned));
}
