using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Rlhf.Client;

/// <summary>
/// The service addresses the suite's clients accept: <c>http://host:port</c> and <c>https://host:port</c> (one
/// server, or one Kubernetes ClusterIP Service), and <c>dns:///name:port</c>, which grpc-dotnet resolves to every
/// address of the name and balances round robin over (a Kubernetes headless Service, one address per replica), in
/// cleartext HTTP/2 (h2c: traffic inside the cluster).
/// </summary>
public static class ServiceAddress
{
    /// <summary>The accepted forms, as error messages name them.</summary>
    public const string AcceptedForms = "http://host:port, https://host:port or dns:///name:port";

    /// <summary>Whether <paramref name="address"/> is a <c>dns:///</c> address (client-side load balancing).</summary>
    public static bool IsDns(Uri address) => address.Scheme == "dns";

    /// <summary>Parses <paramref name="text"/>; false with a one-line <paramref name="error"/> when it is none of the <see cref="AcceptedForms"/>.</summary>
    /// <param name="text">The address as configured.</param>
    /// <param name="address">The parsed address.</param>
    /// <param name="error">Why it was refused: <c>'…' is not a service address: use http://host:port, …</c>.</param>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Uri? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        error = null;
        var problem = Problem(text, out var uri);
        if (problem is null)
        {
            address = uri!;
            return true;
        }
        error = $"'{text}' is not a service address ({problem}): use {AcceptedForms}";
        return false;
    }

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">It is none of the <see cref="AcceptedForms"/>; the message says which are.</exception>
    public static Uri Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new ArgumentException(error, nameof(text));

    /// <summary>
    /// The configuration error of setting <paramref name="key"/> to <paramref name="text"/>, one line naming the key and
    /// the accepted forms; null when the address is valid or empty (empty = not configured).
    /// </summary>
    public static string? ConfigError(string key, string? text) =>
        string.IsNullOrEmpty(text) || TryParse(text, out _, out var error) ? null : $"{key}: {error}";

    private static string? Problem(string? text, out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(text))
            return "empty";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || text.Contains(' ', StringComparison.Ordinal))
            return "not an absolute URL";
        if (parsed.Query.Length > 0 || parsed.Fragment.Length > 0 || parsed.UserInfo.Length > 0)
            return "user info, query or fragment";
        switch (parsed.Scheme)
        {
            case "http" or "https":
                if (parsed.Host.Length == 0)
                    return "no host";
                if (parsed.AbsolutePath != "/")
                    return "a path";
                break;
            case "dns":
                // dns:///name:port: no authority (grpc-dotnet has no custom DNS server), the name and port in the path
                if (parsed.Authority.Length > 0 || !text.StartsWith("dns:///", StringComparison.Ordinal))
                    return "a dns address has three slashes and no DNS server";
                var target = parsed.AbsolutePath.TrimStart('/');
                var colon = target.LastIndexOf(':');
                if (colon <= 0 || target.IndexOf('/', StringComparison.Ordinal) >= 0)
                    return "a dns address needs name:port";
                if (!int.TryParse(target[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                    return "the port must be 1–65535";
                break;
            default:
                return $"scheme '{parsed.Scheme}'";
        }
        uri = parsed;
        return null;
    }
}
