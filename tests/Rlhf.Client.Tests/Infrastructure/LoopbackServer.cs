using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rlhf.ServiceDefaults;

namespace Rlhf.Client.Tests.Infrastructure;

/// <summary>A gRPC service instance served by Kestrel over cleartext HTTP/2 on a free loopback port.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app)
    {
        _app = app;
        Address = app.BoundAddress();
    }

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public Uri Address { get; }

    /// <summary>Serves <paramref name="service"/> (a generated service base) until disposed.</summary>
    public static async Task<LoopbackServer> StartAsync<TService>(TService service) where TService : class
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        var app = builder.Build();
        app.MapGrpcService<TService>();
        await app.StartAsync();
        return new LoopbackServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
