using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.ServiceDefaults;

namespace Rlhf.ModelServices;

/// <summary>Where one in-process model service loads its weights from.</summary>
/// <param name="Checkpoint">A llama2.c .bin or a checkpoint directory.</param>
/// <param name="Tokenizer">llama2.c tokenizer.bin, or null for the checkpoint directory's own.</param>
public sealed record EmbeddedModel(string Checkpoint, string? Tokenizer);

/// <summary>How every in-process model service runs its model (the <c>Model</c> keys besides the checkpoint).</summary>
/// <param name="Threads">Backend threads per service (<c>Model:Threads</c>; 0 = all cores).</param>
/// <param name="Backend"><c>Model:Backend</c>: native or torch.</param>
/// <param name="Device"><c>Model:Device</c>: cpu, cuda or cuda:N.</param>
/// <param name="Dtype"><c>Model:Dtype</c>: float32 or bfloat16.</param>
public sealed record EmbeddedRuntime(int Threads = 0, string Backend = "native", string Device = "cpu", string Dtype = "float32");

/// <summary>Builds (does not start) a service host from its arguments, settings and builder adjustments: a host's <c>Build</c> method.</summary>
public delegate WebApplication HostFactory(string[] args, IReadOnlyDictionary<string, string?>? settings = null,
    Action<WebApplicationBuilder>? configure = null);

/// <summary>The host factory of each model service (each host's <c>Build</c>), for <see cref="EmbeddedSuite"/>.</summary>
/// <param name="Policy">rlhf.v1.PolicyService's composition.</param>
/// <param name="Reference">rlhf.v1.ReferenceService's composition.</param>
/// <param name="Critic">rlhf.v1.CriticService's composition.</param>
/// <param name="Reward">rlhf.v1.RewardService's composition.</param>
public sealed record EmbeddedHosts(HostFactory Policy, HostFactory Reference, HostFactory Critic, HostFactory Reward)
{
    /// <summary>The factory of <paramref name="role"/>.</summary>
    public HostFactory this[ModelRole role] => role switch
    {
        ModelRole.Policy => Policy,
        ModelRole.Reference => Reference,
        ModelRole.Critic => Critic,
        _ => Reward,
    };
}

/// <summary>
/// The model services hosted in this process, each on its own loopback port behind real gRPC over HTTP/2 — the
/// embedded default of <c>rlhf ppo</c>. Every service is built by its own host's composition (the
/// <see cref="EmbeddedHosts"/> the caller passes, e.g. <c>PolicyServiceHost.Build</c>).
/// </summary>
public sealed class EmbeddedSuite : IAsyncDisposable
{
    private readonly Dictionary<ModelRole, (WebApplication App, Uri Address)> _services = [];

    private EmbeddedSuite()
    {
    }

    /// <summary>Roles hosted.</summary>
    public IReadOnlyCollection<ModelRole> Roles => _services.Keys;

    /// <summary>
    /// Starts a host per entry of <paramref name="models"/> on 127.0.0.1 with a free port and waits until each has
    /// loaded its model.
    /// </summary>
    /// <param name="hosts">The host factory of every role.</param>
    /// <param name="models">The services to host and their weights.</param>
    /// <param name="runtime">Backend, device, dtype and threads of every service.</param>
    /// <param name="cancellationToken">Stops the start-up.</param>
    /// <exception cref="FileNotFoundException">A checkpoint or tokenizer is missing.</exception>
    /// <exception cref="InvalidDataException">A checkpoint or tokenizer is malformed.</exception>
    /// <exception cref="Rlhf.Models.ModelBackendUnavailableException">The backend cannot run the device or dtype here (the message names what is missing).</exception>
    /// <exception cref="InvalidOperationException">The runtime's backend, device or dtype is not one (the message names the key).</exception>
    public static async Task<EmbeddedSuite> StartAsync(EmbeddedHosts hosts,
        IReadOnlyDictionary<ModelRole, EmbeddedModel> models, EmbeddedRuntime runtime, CancellationToken cancellationToken)
    {
        var suite = new EmbeddedSuite();
        try
        {
            foreach (var (role, model) in models)
            {
                var app = hosts[role](["--urls", "http://127.0.0.1:0"], HostSettings(model, runtime));
                var host = app.Services.GetRequiredService<ModelHost>();
                try
                {
                    await app.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (host.Ready.IsFaulted)
                {
                    // A load that fails at once (e.g. a device the backend cannot run) stops the host while it starts:
                    // report the load's error, not the stop.
                    await app.DisposeAsync().ConfigureAwait(false);
                    await host.Ready.ConfigureAwait(false);
                    throw;
                }
                suite._services[role] = (app, app.BoundAddress());
                await host.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            return suite;
        }
        catch
        {
            await suite.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The configuration each in-process host gets: the model, its backend, device, dtype and threads, warnings-only
    /// logs, no authentication (loopback only), and signals left to the embedding program.
    /// </summary>
    /// <param name="model">The service's weights.</param>
    /// <param name="runtime">Backend, device, dtype and threads.</param>
    public static IReadOnlyDictionary<string, string?> HostSettings(EmbeddedModel model, EmbeddedRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(runtime);
        return new Dictionary<string, string?>
        {
            ["Model:Checkpoint"] = model.Checkpoint,
            ["Model:Tokenizer"] = model.Tokenizer ?? "",
            ["Model:Threads"] = runtime.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Model:Backend"] = runtime.Backend,
            ["Model:Device"] = runtime.Device,
            ["Model:Dtype"] = runtime.Dtype,
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Auth:Enabled"] = "false",
            ["Host:Embedded"] = "true",
        };
    }

    /// <summary>The address of a hosted service, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address(ModelRole role) => _services[role].Address;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var (app, _) in _services.Values)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
        _services.Clear();
    }
}
