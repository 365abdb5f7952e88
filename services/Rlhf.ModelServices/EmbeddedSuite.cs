using Microsoft.AspNetCore.Builder;
using Rlhf.ServiceDefaults;

namespace Rlhf.ModelServices;

/// <summary>Where one in-process model service loads its weights from.</summary>
/// <param name="Checkpoint">A llama2.c .bin or a checkpoint directory.</param>
/// <param name="Tokenizer">llama2.c tokenizer.bin, or null for the checkpoint directory's own.</param>
public sealed record EmbeddedModel(string Checkpoint, string? Tokenizer);

/// <summary>
/// The model services hosted in this process, each on its own loopback port behind real gRPC over HTTP/2 — the
/// embedded default of <c>rlhf ppo</c>. Every service is the same host its own executable runs.
/// </summary>
public sealed class EmbeddedSuite : IAsyncDisposable
{
    private readonly Dictionary<ModelRole, (WebApplication App, Uri Address)> _services = [];

    private EmbeddedSuite()
    {
    }

    /// <summary>Roles hosted.</summary>
    public IReadOnlyCollection<ModelRole> Roles => _services.Keys;

    /// <summary>Starts a host per entry of <paramref name="models"/> on 127.0.0.1 with a free port.</summary>
    /// <param name="models">The services to host and their weights.</param>
    /// <param name="threads">Engine threads per service (0 = all cores).</param>
    /// <param name="cancellationToken">Stops the start-up.</param>
    public static async Task<EmbeddedSuite> StartAsync(IReadOnlyDictionary<ModelRole, EmbeddedModel> models, int threads, CancellationToken cancellationToken)
    {
        var suite = new EmbeddedSuite();
        try
        {
            foreach (var (role, model) in models)
            {
                var app = ModelServiceHosting.Build(role, ["--urls", "http://127.0.0.1:0"], HostSettings(model, threads));
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                suite._services[role] = (app, app.BoundAddress());
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
    /// The configuration each in-process host gets: the model, the engine threads, warnings-only logs, no
    /// authentication (loopback only), and signals left to the embedding program.
    /// </summary>
    /// <param name="model">The service's weights.</param>
    /// <param name="threads">Engine threads (0 = all cores).</param>
    public static IReadOnlyDictionary<string, string?> HostSettings(EmbeddedModel model, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Dictionary<string, string?>
        {
            ["Model:Checkpoint"] = model.Checkpoint,
            ["Model:Tokenizer"] = model.Tokenizer ?? "",
            ["Model:Threads"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:Level"] = "Warning",
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
