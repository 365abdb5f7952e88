using Rlhf.Contracts;
using System.Globalization;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rlhf.Orchestration.Hosting.Topology;

/// <summary>
/// The YAML file of <c>rlhf up</c> (see <c>examples/up.yaml</c>):
/// <code>
/// services:
///   policy:       { port: 50051, checkpoint: ${RLHF_DATA_DIR}/stories260K.bin, tokenizer: ${RLHF_DATA_DIR}/tok512.bin }
///   orchestrator: { port: 50055, settings: { "Orchestrator:RunsDirectory": runs/up } }
/// </code>
/// Services are started in the order policy, reference, critic, reward, orchestrator; the orchestrator gets the
/// others' URLs as <c>Orchestrator:PolicyUrl</c>, … unless its settings name them. <c>checkpoint</c>,
/// <c>tokenizer</c> and <c>host</c> expand <c>${VAR}</c> and resolve against the file's directory.
/// </summary>
public static class TopologyConfig
{
    private static readonly string[] ServiceKeys = ["port", "checkpoint", "tokenizer", "host", "settings"];

    /// <summary>The keys of the file, for the config reference (<c>docs/configuration.md</c>).</summary>
    public static ConfigReference.Table Reference { get; } = new("`rlhf up` (topology file)",
        "The file of `rlhf up --config FILE` (`examples/up.yaml`): a mapping `services:` of service name (`policy`, `reference`, "
        + "`critic`, `reward`, `orchestrator`) to these keys. The orchestrator gets the model services' URLs on its own.",
        [
            ("services.NAME.port", "int", "the service's port in ServiceCatalog (50051–50055)", "Loopback port the host listens on (`--urls http://127.0.0.1:PORT`)."),
            ("services.NAME.checkpoint", "path", "", "The model to serve (`Model:Checkpoint`): a llama2.c .bin or a checkpoint directory; required for the four model services."),
            ("services.NAME.tokenizer", "path", "", "llama2.c tokenizer.bin (`Model:Tokenizer`); unset = the checkpoint directory's own."),
            ("services.NAME.host", "path", "", "The host assembly to run; unset = services/<Project>/bin/<Configuration>/net10.0/<Project>.dll, built when missing."),
            ("services.NAME.settings", "mapping", "", "Further host configuration (`Section:Key: value`, e.g. `Model:Threads: \"2\"`), passed as `--Section:Key=value`."),
        ]);

    /// <summary>Reads a file.</summary>
    /// <exception cref="ConfigException">Every problem, each naming the key and line.</exception>
    public static IReadOnlyList<TopologyService> Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new ConfigException($"config file {path} does not exist; check the path (examples/up.yaml is the example)");
        return Parse(File.ReadAllText(full), Path.GetDirectoryName(full)!, Path.GetFileName(full));
    }

    /// <summary>Parses YAML text as if it were a file in <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="ConfigException">Every problem, each naming the key and line.</exception>
    public static IReadOnlyList<TopologyService> Parse(string yaml, string baseDirectory, string sourceName = "up.yaml")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{sourceName}:{e.Start.Line}: invalid YAML: {e.InnerException?.Message ?? e.Message}");
        }
        var errors = new List<string>();
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException($"{sourceName}: expected a mapping with a 'services' key");
        var result = new List<TopologyService>();
        foreach (var (key, value) in root.Children)
        {
            if (Scalar(key) != "services")
                errors.Add($"unknown key '{Scalar(key)}' ({sourceName}:{key.Start.Line}); expected 'services'");
            else if (value is not YamlMappingNode services)
                errors.Add($"services must be a mapping of service name to settings ({sourceName}:{value.Start.Line})");
            else
            {
                foreach (var (nameNode, serviceNode) in services.Children)
                    ReadService(Scalar(nameNode), serviceNode, baseDirectory, sourceName, result, errors);
            }
        }
        if (result.Count == 0 && errors.Count == 0)
            errors.Add($"{sourceName}: no services");
        foreach (var port in result.GroupBy(s => s.Port).Where(g => g.Count() > 1))
            errors.Add($"port {port.Key} is used by {string.Join(" and ", port.Select(s => s.Name))}");
        if (errors.Count > 0)
            throw new ConfigException(errors);
        return [.. result.OrderBy(s => ServiceCatalog.All.ToList().FindIndex(e => e.Name == s.Name))];
    }

    /// <summary>
    /// The process specs of <paramref name="services"/>: the host assembly (explicit <c>host</c>, else located and, when
    /// needed, built by <see cref="HostBinaries"/>), <c>Model:Checkpoint</c>/<c>Model:Tokenizer</c>, the settings, and
    /// for the orchestrator the URLs of the model services of the same file.
    /// </summary>
    public static async Task<IReadOnlyList<ServiceSpec>> ResolveAsync(IReadOnlyList<TopologyService> services, string configuration, bool build,
        Action<string>? log, CancellationToken cancellationToken)
    {
        var specs = new List<ServiceSpec>();
        foreach (var service in services)
        {
            var entry = ServiceCatalog.Find(service.Name)!;
            var (project, grpcService) = (entry.HostProject, entry.FullName);
            var assembly = service.Host.Length > 0 ? service.Host
                : await HostBinaries.LocateAsync(project, configuration, build, log, cancellationToken).ConfigureAwait(false);
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            if (service.Checkpoint.Length > 0)
                settings["Model:Checkpoint"] = service.Checkpoint;
            if (service.Tokenizer.Length > 0)
                settings["Model:Tokenizer"] = service.Tokenizer;
            if (service.Name == "orchestrator")
            {
                foreach (var model in services.Where(s => s.Name != "orchestrator"))
                    settings[$"Orchestrator:{char.ToUpperInvariant(model.Name[0])}{model.Name[1..]}Url"] = $"http://127.0.0.1:{model.Port}";
            }
            foreach (var (key, value) in service.Settings)
                settings[key] = value;
            specs.Add(new ServiceSpec(service.Name, grpcService, assembly, service.Port, settings));
        }
        return specs;
    }

    private static void ReadService(string name, YamlNode node, string baseDirectory, string source, List<TopologyService> result, List<string> errors)
    {
        var at = $"{source}:{node.Start.Line}";
        if (ServiceCatalog.Find(name) is not { } host)
        {
            errors.Add($"unknown service '{name}' ({at}); expected one of {string.Join(", ", ServiceCatalog.All.Select(e => e.Name))}");
            return;
        }
        if (node is not YamlMappingNode mapping)
        {
            errors.Add($"services.{name} must be a mapping ({at})");
            return;
        }
        var port = host.DefaultPort;
        string checkpoint = "", tokenizer = "", hostPath = "";
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = Scalar(keyNode);
            var where = $"services.{name}.{key} ({source}:{keyNode.Start.Line})";
            try
            {
                switch (key)
                {
                    case "port":
                        if (!int.TryParse(Scalar(valueNode), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                            errors.Add($"{where}: expected a port in [1, 65535], got '{Scalar(valueNode)}'");
                        break;
                    case "checkpoint":
                        checkpoint = PathExpansion.Resolve(Scalar(valueNode), baseDirectory, $"services.{name}.checkpoint");
                        break;
                    case "tokenizer":
                        tokenizer = PathExpansion.Resolve(Scalar(valueNode), baseDirectory, $"services.{name}.tokenizer");
                        break;
                    case "host":
                        hostPath = PathExpansion.Resolve(Scalar(valueNode), baseDirectory, $"services.{name}.host");
                        break;
                    case "settings" when valueNode is YamlMappingNode entries:
                        foreach (var (k, v) in entries.Children)
                            settings[Scalar(k)] = Scalar(v);
                        break;
                    case "settings":
                        errors.Add($"{where}: expected a mapping of configuration keys (Section:Key) to values");
                        break;
                    default:
                        errors.Add($"unknown key {where}; valid keys: {string.Join(", ", ServiceKeys)}");
                        break;
                }
            }
            catch (ConfigException e)
            {
                errors.Add($"{e.Message} ({source}:{keyNode.Start.Line})");
            }
        }
        if (name != "orchestrator" && checkpoint.Length == 0 && !settings.ContainsKey("Model:Checkpoint"))
            errors.Add($"services.{name}.checkpoint is required ({at})");
        result.Add(new TopologyService(name, port, checkpoint, tokenizer, hostPath, settings));
    }

    private static string Scalar(YamlNode node) => node is YamlScalarNode { Value: { } v } ? v : "";
}
