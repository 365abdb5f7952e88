namespace Rlhf.Services.Tests.Infrastructure;

/// <summary>A fact that needs stories260K, tok512 and the TinyStories head; skipped with the reason when they are missing.</summary>
internal sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute()
    {
        Skip = TestData.MissingReason(TestData.Stories260K, TestData.Tok512, TestData.GreedyExpected, TestData.TinyStories);
    }
}

/// <summary>A theory that needs the same real data as <see cref="DataFactAttribute"/>.</summary>
internal sealed class DataTheoryAttribute : TheoryAttribute
{
    public DataTheoryAttribute()
    {
        Skip = TestData.MissingReason(TestData.Stories260K, TestData.Tok512, TestData.GreedyExpected, TestData.TinyStories);
    }
}

/// <summary>A fact that needs the real data of <see cref="DataFactAttribute"/> and Debian's python3-grpcio (<see cref="PythonGrpcFactAttribute"/>).</summary>
internal sealed class GrpcioDataFactAttribute : FactAttribute
{
    public GrpcioDataFactAttribute()
    {
        Skip = new DataFactAttribute().Skip ?? new PythonGrpcFactAttribute().Skip;
    }
}
