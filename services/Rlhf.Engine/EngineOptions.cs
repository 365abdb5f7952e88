namespace Rlhf.Engine;

/// <summary>Execution options of a <see cref="LlamaModel"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>
    /// Worker threads for the engine's own parallel loops (attention over sequence × head, row-wise kernels) and for
    /// OpenBLAS (<c>openblas_set_num_threads</c>, a process-wide setting applied at the start of every call).
    /// <see cref="LlamaModel.Generate"/> runs its steps on a team of this many threads of its own and sets OpenBLAS to one. Results
    /// are bitwise reproducible for a given seed, configuration and thread count. Because the OpenBLAS setting is
    /// process-wide, models with different thread counts must not run concurrently in one process if bitwise
    /// reproducibility matters (the GEMM blocking depends on it). Default 1.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>The GEMM implementation; <c>null</c> selects OpenBLAS (<see cref="Blas.OpenBlas"/>).</summary>
    public IGemm? Gemm { get; init; }
}
