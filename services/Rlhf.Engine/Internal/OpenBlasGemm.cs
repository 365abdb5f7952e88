using System.Runtime.InteropServices;

namespace Rlhf.Engine.Internal;

/// <summary><see cref="IGemm"/> over OpenBLAS <c>cblas_sgemm</c> (P/Invoke).</summary>
internal sealed unsafe partial class OpenBlasGemm : IGemm
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    public OpenBlasGemm()
    {
        try
        {
            openblas_set_num_threads(1);
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                $"OpenBLAS ({Library}) could not be loaded; install the Debian package libopenblas0-pthread " +
                "(apt-get install libopenblas0-pthread).", e);
        }
    }

    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0)
            return;
        if (m <= SmallRows && !transA)
        {
            // A few rows (KV-cache decoding): GEMM would pack all of B on every call; GEMV streams it once per row.
            for (var i = 0; i < m; i++)
                cblas_sgemv(RowMajor, transB ? NoTrans : Trans, transB ? n : k, transB ? k : n, alpha, b, ldb,
                    a + (long)i * lda, 1, beta, c + (long)i * ldc, 1);
            return;
        }
        cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Row counts up to which <see cref="Sgemm"/> runs one GEMV per row of A.</summary>
    internal const int SmallRows = 4;

    public void SetThreads(int threads) => openblas_set_num_threads(threads);

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library)]
    private static partial void cblas_sgemv(int order, int trans, int m, int n, float alpha, float* a, int lda,
        float* x, int incX, float beta, float* y, int incY);

    [LibraryImport(Library)]
    private static partial void openblas_set_num_threads(int threads);
}
