using System.Net.Sockets;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Rlhf.Contracts;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Training;

namespace Rlhf.Cli.Tests;

/// <summary>The one exception → exit-code mapping (<see cref="ExitCodePolicy"/>).</summary>
public sealed class ExitCodePolicyTests
{
    public static TheoryData<Exception, int> Cases() => new()
    {
        { new ConfigException("batch_size: expected an integer"), ExitCodes.Usage },
        { new RunDirectoryInUseException("/r", ["summary.json"], foreign: false), ExitCodes.Usage },
        { new ModelServiceRestartedException("policy", "lease lost", "/r"), ExitCodes.ServiceLost },
        { new RpcException(new Status(StatusCode.Unavailable, "down")), ExitCodes.ServiceLost },
        { new RpcException(new Status(StatusCode.PermissionDenied, "no scope")), ExitCodes.Usage },
        { new RpcException(new Status(StatusCode.Internal, "bug")), ExitCodes.Internal },
        { new IOException("Failed to bind", new InvalidOperationException("in use", new SocketException((int)SocketError.AddressAlreadyInUse))), ExitCodes.Usage },
        { new OptionsValidationException("Model", typeof(object), ["Model:MaxBatchSize must be at least 1"]), ExitCodes.Usage },
        { new InvalidOperationException("Failed to convert configuration value 'x'", new FormatException("x")), ExitCodes.Usage },
        { new FileNotFoundException("gone"), ExitCodes.DataError },
        { new DirectoryNotFoundException("gone"), ExitCodes.DataError },
        { new UnauthorizedAccessException("denied"), ExitCodes.DataError },
        { new InvalidDataException("truncated"), ExitCodes.DataError },
        { new AggregateException(new InvalidDataException("truncated")), ExitCodes.DataError },
        { new OperationCanceledException(), ExitCodes.Interrupted },
        { new NullReferenceException(), ExitCodes.Internal },
        { new InvalidOperationException("state"), ExitCodes.Internal },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classify_GivesTheDocumentedCode(Exception exception, int expected)
    {
        var failure = ExitCodePolicy.Classify(exception);

        Assert.Equal(expected, failure.ExitCode);
        Assert.True(ExitCodes.IsDocumented(failure.ExitCode));
        Assert.DoesNotContain("\n   at ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_InternalError_NamesTheTypeAndVerbose()
    {
        var failure = ExitCodePolicy.Classify(new NullReferenceException("x"));

        Assert.Contains("System.NullReferenceException", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--verbose", failure.Message, StringComparison.Ordinal);
    }
}
