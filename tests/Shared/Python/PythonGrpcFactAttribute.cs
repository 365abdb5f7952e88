namespace Rlhf.Testing;

/// <summary>
/// A fact that needs Debian's python3-grpcio (and python3-protobuf) in <see cref="RepositoryPython.Interpreter"/>;
/// skipped, with the reason, when it cannot import them. Linked into the test projects that run grpcio
/// (tests/Shared/Python).
/// </summary>
internal sealed class PythonGrpcFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> GrpcMissing = new(() =>
        RepositoryPython.MissingModule("grpc", "python3-grpcio") ?? RepositoryPython.MissingModule("google.protobuf", "python3-protobuf"));

    private static readonly Lazy<string?> GrpcToolsMissing = new(() => RepositoryPython.MissingModule("grpc_tools", "python3-grpc-tools"));

    /// <param name="needsGrpcTools">Also needs python3-grpc-tools (regenerating the stubs).</param>
    public PythonGrpcFactAttribute(bool needsGrpcTools = false)
    {
        Skip = GrpcMissing.Value ?? (needsGrpcTools ? GrpcToolsMissing.Value : null);
    }
}
