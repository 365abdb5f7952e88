namespace Rlhf.Deploy.Tests.Infrastructure;

/// <summary>How the orchestrator and the PPO Job must address each model service (<see cref="Conventions.Replicated"/>).</summary>
internal static class ServiceAddresses
{
    /// <summary>The model services a run calls.</summary>
    public static IReadOnlyList<string> ModelServices { get; } = ["policy", "reference", "critic", "reward"];

    /// <summary>Why <paramref name="address"/> is the wrong way to reach <paramref name="name"/> in <paramref name="rendering"/>, or null.</summary>
    public static string? Problem(RenderedManifests rendering, string name, string? address)
    {
        var port = Conventions.Hosts.Single(h => h.Name == name).Port;
        if (Conventions.Replicated.Contains(name))
        {
            var expected = $"dns:///{name}-headless:{port}";
            if (address != expected)
                return $"{name}: '{address}' should be {expected} (round robin over its replicas)";
            return rendering.Find("Service", name + "-headless")?.Spec.Str("clusterIP") == "None" ? null : $"{name}: no headless Service {name}-headless";
        }
        var plain = $"http://{name}:{port}";
        if (address != plain)
            return $"{name}: '{address}' should be {plain} (one replica: it is trained)";
        return rendering.Find("Service", name) is null ? $"{name}: no Service {name}" : null;
    }
}
