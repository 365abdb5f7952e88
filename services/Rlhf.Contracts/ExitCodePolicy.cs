using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Rlhf.Contracts;

/// <summary>
/// An exception that knows its process exit code where it is thrown (e.g. a config error, a run directory in use, a
/// lost model service); <see cref="ExitCodePolicy"/> uses <see cref="ExitCode"/> and the exception's one-line message.
/// </summary>
public interface IExitCodeException
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    int ExitCode { get; }
}

/// <summary>What a process prints and returns for an exception: one line (or a few, for a list of config errors)
/// and one of <see cref="ExitCodes"/>.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Message">What is wrong and what to do, without a stack trace.</param>
public sealed record ProcessFailure(int ExitCode, string Message);

/// <summary>
/// The one mapping from exceptions to exit codes and messages, shared by the <c>rlhf</c> command line and every service
/// host (<c>ServiceHostRunner</c>). In order:
/// <list type="number">
/// <item><see cref="IExitCodeException"/>: its own code and message.</item>
/// <item><see cref="OperationCanceledException"/>: <see cref="ExitCodes.Interrupted"/>.</item>
/// <item><see cref="RpcException"/>: UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED and ABORTED are a lost service
/// (<see cref="ExitCodes.ServiceLost"/>); INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
/// UNAUTHENTICATED, FAILED_PRECONDITION, OUT_OF_RANGE and RESOURCE_EXHAUSTED are the caller's
/// (<see cref="ExitCodes.Usage"/>); the rest are <see cref="ExitCodes.Internal"/>.</item>
/// <item>A socket that is already bound (Kestrel's "address already in use"), <see cref="OptionsValidationException"/>,
/// a model backend, device or dtype that cannot run here (<see cref="Rlhf.Models.ModelBackendUnavailableException"/>),
/// a configuration value that does not convert (the binder's <see cref="InvalidOperationException"/> around a
/// <see cref="FormatException"/> or <see cref="ArgumentException"/>), <see cref="FormatException"/> and <see cref="ArgumentException"/>:
/// <see cref="ExitCodes.Usage"/>.</item>
/// <item><see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>,
/// <see cref="UnauthorizedAccessException"/>, <see cref="InvalidDataException"/>, <see cref="EndOfStreamException"/>
/// and other <see cref="IOException"/>s: <see cref="ExitCodes.DataError"/>.</item>
/// <item>Anything else is a bug: <see cref="ExitCodes.Internal"/>, with the exception's type in the message.</item>
/// </list>
/// <see cref="AggregateException"/> with one inner exception and <see cref="TargetInvocationException"/> are unwrapped.
/// </summary>
public static partial class ExitCodePolicy
{
    /// <summary>The exit code and message for <paramref name="exception"/>.</summary>
    public static ProcessFailure Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var e = Unwrap(exception);
        switch (e)
        {
            case IExitCodeException known:
                return new(known.ExitCode, e.Message);
            case OperationCanceledException:
                return new(ExitCodes.Interrupted, "interrupted");
            case RpcException rpc:
                return new(StatusExitCode(rpc.StatusCode), $"{StatusName(rpc.StatusCode)}: {rpc.Status.Detail}");
        }
        if (Chain(e).OfType<SocketException>().Any(s => s.SocketErrorCode == SocketError.AddressAlreadyInUse))
            return new(ExitCodes.Usage, $"{e.Message.TrimEnd('.')}: another process holds the port; stop it or choose another port");
        return e switch
        {
            OptionsValidationException => new(ExitCodes.Usage, e.Message),
            // Model:Backend / Model:Device / Model:Dtype that cannot run here: the message names what is missing.
            Rlhf.Models.ModelBackendUnavailableException => new(ExitCodes.Usage, e.Message),
            // Microsoft.Extensions.Configuration's binder: "Failed to convert configuration value 'abc' at 'Model:Threads' …"
            InvalidOperationException { InnerException: FormatException or ArgumentException } => new(ExitCodes.Usage, $"{e.Message.TrimEnd('.')}: {e.InnerException!.Message.TrimEnd('.')}; fix the value"),
            FormatException or ArgumentException => new(ExitCodes.Usage, e.Message),
            UnauthorizedAccessException => new(ExitCodes.DataError, $"{e.Message.TrimEnd('.')}: check that it is a readable file"),
            DirectoryNotFoundException => new(ExitCodes.DataError, $"{e.Message.TrimEnd('.')}: a folder on the path does not exist; check the path"),
            InvalidDataException or IOException => new(ExitCodes.DataError, e.Message), // IOException: FileNotFound, EndOfStream, …
            _ => new(ExitCodes.Internal, $"internal error: {e.GetType().FullName}: {e.Message} (this is a bug; --verbose prints the stack trace)"),
        };
    }

    /// <summary>The exit code of a failed call with <paramref name="code"/> (see the class summary).</summary>
    public static int StatusExitCode(StatusCode code) => code switch
    {
        StatusCode.OK => ExitCodes.Success,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Aborted => ExitCodes.ServiceLost,
        StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.AlreadyExists or StatusCode.PermissionDenied
            or StatusCode.Unauthenticated or StatusCode.FailedPrecondition or StatusCode.OutOfRange
            or StatusCode.ResourceExhausted => ExitCodes.Usage,
        _ => ExitCodes.Internal,
    };

    /// <summary>The canonical gRPC name of a status code, e.g. <c>PERMISSION_DENIED</c> (the enum name in upper snake case).</summary>
    public static string StatusName(StatusCode code) => WordBoundary().Replace(code.ToString(), "_").ToUpperInvariant();

    /// <summary>
    /// The text a process prints for <paramref name="failure"/> of <paramref name="exception"/>: <c>prefix: message</c>,
    /// followed by the whole exception (stack trace included) when <paramref name="verbose"/>.
    /// </summary>
    public static string Format(string prefix, ProcessFailure failure, Exception exception, bool verbose) =>
        $"{prefix}: {failure.Message}" + (verbose ? Environment.NewLine + exception : "");

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
                e = aggregate.InnerExceptions[0];
            else if (e is TargetInvocationException { InnerException: { } inner })
                e = inner;
            else
                return e;
        }
    }

    [GeneratedRegex("(?<=[a-z])(?=[A-Z])")]
    private static partial Regex WordBoundary();

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            yield return x;
    }
}
