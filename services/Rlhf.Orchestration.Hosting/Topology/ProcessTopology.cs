using Grpc.Health.V1;
using Rlhf.Contracts;
using Grpc.Core;
using Grpc.Net.Client;

namespace Rlhf.Orchestration.Hosting.Topology;

/// <summary>
/// The cluster's topology on one machine: each service host as a separate process on its own loopback port
/// (<c>rlhf up</c>, and the failure tests that kill and restart one service). Starting a service waits until it
/// reports SERVING on <c>grpc.health.v1.Health</c> for its gRPC service name; a process that exits before that fails
/// the start with its last output lines. <see cref="ServiceExited"/> reports a child that dies unexpectedly.
/// </summary>
public sealed class ProcessTopology : IAsyncDisposable
{
    private readonly Dictionary<string, ServiceProcess> _processes = new(StringComparer.Ordinal);
    private readonly HashSet<ServiceProcess> _stopping = [];
    private readonly Action<ServiceProcess, string>? _output;

    /// <param name="output">Receives every output line of every child (e.g. prefixed on the console), or null.</param>
    public ProcessTopology(Action<ServiceProcess, string>? output = null) => _output = output;

    /// <summary>Raised (on a thread-pool thread) when a child exits without having been stopped or killed through this class.</summary>
    public event Action<ServiceProcess>? ServiceExited;

    /// <summary>How long a start may take before it fails (default 120 s: model loading on a busy machine).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The running services by name, in start order.</summary>
    public IReadOnlyList<ServiceProcess> Services
    {
        get { lock (_processes) { return [.. _processes.Values]; } }
    }

    /// <summary>The running service <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such service.</exception>
    public ServiceProcess this[string name]
    {
        get { lock (_processes) { return _processes[name]; } }
    }

    /// <summary>Starts every spec in order, each one SERVING before the next starts.</summary>
    public async Task StartAllAsync(IEnumerable<ServiceSpec> specs, CancellationToken cancellationToken)
    {
        foreach (var spec in specs)
            await StartAsync(spec, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts <paramref name="spec"/> and waits until it is SERVING.</summary>
    /// <exception cref="ServiceStartException">The process exited (exit code: the child's own when it is one of
    /// <see cref="ExitCodes"/>), or did not become SERVING within <see cref="StartTimeout"/> (exit code
    /// <see cref="ExitCodes.ServiceLost"/>); the message has its last output lines.</exception>
    /// <exception cref="InvalidOperationException">The service is already running.</exception>
    public async Task<ServiceProcess> StartAsync(ServiceSpec spec, CancellationToken cancellationToken)
    {
        lock (_processes)
        {
            if (_processes.TryGetValue(spec.Name, out var running) && !running.HasExited)
                throw new InvalidOperationException($"{spec.Name} is already running (pid {running.ProcessId})");
        }
        var process = ServiceProcess.Start(spec, _output);
        lock (_processes)
            _processes[spec.Name] = process;
        _ = process.Exited.ContinueWith(_ => OnExited(process), TaskScheduler.Default);
        try
        {
            await WaitServingAsync(process, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Forgotten and removed: a later StopAllAsync must not touch the disposed process.
            Forget(process);
            lock (_processes)
            {
                if (_processes.TryGetValue(spec.Name, out var registered) && ReferenceEquals(registered, process))
                    _processes.Remove(spec.Name);
            }
            process.Dispose();
            throw;
        }
        return process;
    }

    /// <summary>Kills service <paramref name="name"/> with SIGKILL (a crash) and waits until it has exited.</summary>
    public void Kill(string name)
    {
        var process = this[name];
        Forget(process);
        process.Kill();
    }

    /// <summary>Starts service <paramref name="name"/> again with the same spec (port, settings) and waits until it is SERVING.</summary>
    public Task<ServiceProcess> RestartAsync(string name, CancellationToken cancellationToken)
    {
        var process = this[name];
        if (!process.HasExited)
            Kill(name);
        return StartAsync(process.Spec, cancellationToken);
    }

    /// <summary>Stops every service in reverse start order: SIGTERM, up to <paramref name="grace"/> each, then SIGKILL.</summary>
    public async Task StopAllAsync(TimeSpan grace)
    {
        var processes = Services.Reverse().ToList();
        foreach (var process in processes)
            Forget(process);
        await Task.WhenAll(processes.Select(p => p.StopAsync(grace))).ConfigureAwait(false);
        foreach (var process in processes)
            process.Dispose();
        lock (_processes)
            _processes.Clear();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAllAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);

    private async Task WaitServingAsync(ServiceProcess process, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        using var channel = GrpcChannel.ForAddress(process.Spec.Url);
        var health = new Health.HealthClient(channel);
        var last = "no answer yet";
        ServiceStartException NotServing() =>
            new($"{process.Spec.Name} was not SERVING after {StartTimeout.TotalSeconds:0} s ({last}):\n{string.Join('\n', process.LastOutput())}", ExitCodes.ServiceLost);
        while (true)
        {
            if (process.HasExited)
                throw new ServiceStartException($"{process.Spec.Name} exited with code {process.ExitCode} before it was SERVING:\n{string.Join('\n', process.LastOutput())}",
                    process.ExitCode is not ExitCodes.Success && ExitCodes.IsDocumented(process.ExitCode) ? process.ExitCode : ExitCodes.Internal);
            try
            {
                var response = await health.CheckAsync(new HealthCheckRequest { Service = process.Spec.GrpcService },
                    new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: timeout.Token)).ConfigureAwait(false);
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    return;
                last = response.Status.ToString();
            }
            catch (RpcException e) when (!timeout.IsCancellationRequested)
            {
                last = e.Status.Detail;
            }
            catch (Exception e) when (timeout.IsCancellationRequested && e is RpcException or OperationCanceledException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw NotServing();
            }
            try
            {
                await Task.Delay(200, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw NotServing();
            }
        }
    }

    private void Forget(ServiceProcess process)
    {
        lock (_processes)
            _stopping.Add(process);
    }

    private void OnExited(ServiceProcess process)
    {
        bool expected;
        lock (_processes)
            expected = _stopping.Contains(process);
        if (!expected)
            ServiceExited?.Invoke(process);
    }
}
