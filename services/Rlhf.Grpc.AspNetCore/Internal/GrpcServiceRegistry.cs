using System.Collections.Concurrent;
using Google.Protobuf.Reflection;

namespace Rlhf.Grpc.AspNetCore.Internal;

/// <summary>
/// The services mapped on this server, or added to an <see cref="InProcessCallInvoker"/> (for reflection and for
/// telling unknown services from unknown methods).
/// </summary>
internal sealed class GrpcServiceRegistry
{
    private readonly ConcurrentDictionary<string, ServiceDescriptor> _services = new(StringComparer.Ordinal);

    public bool CatchAllMapped { get; set; }

    public IReadOnlyCollection<ServiceDescriptor> Services => _services.Values.OrderBy(s => s.FullName, StringComparer.Ordinal).ToArray();

    public void Add(ServiceDescriptor service) => _services[service.FullName] = service;

    public bool Contains(string serviceName) => _services.ContainsKey(serviceName);

    /// <summary>The UNIMPLEMENTED detail for <paramref name="method"/> of <paramref name="serviceName"/>: it names the service when that is not here.</summary>
    public string UnimplementedDetail(string serviceName, string method) =>
        Contains(serviceName) ? $"Method {method} is unimplemented." : $"Service {serviceName} is unimplemented.";
}
