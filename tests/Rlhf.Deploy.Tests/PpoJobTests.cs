using System.Text.RegularExpressions;
using Rlhf.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Rlhf.Deploy.Tests;

/// <summary>The CI-driven PPO Job (deploy/k8s/jobs): fail-fast verdict, orchestrator identity, config and results.</summary>
public sealed class PpoJobTests
{
    private static Manifest Job => Assert.Single(Kubectl.Jobs().OfKind("Job"));

    [KubectlFact]
    public void Job_Spec_FailsAtOnceWithoutRetries()
    {
        Assert.Equal(0, Job.Spec.Int("backoffLimit"));
        Assert.Equal("Never", Job.PodSpec.Str("restartPolicy"));
        Assert.NotNull(Job.Spec.Int("activeDeadlineSeconds"));
    }

    [KubectlFact]
    public void Job_Pod_CarriesOrchestratorComponentLabel()
    {
        Assert.Equal(Conventions.OrchestratorComponent, Job.PodLabels[Conventions.ComponentLabel]);
    }

    [KubectlFact]
    public void Job_Container_RunsRlhfPpoWithMountedConfigAndGate()
    {
        var container = Job.Container;
        var args = container.Strings("args");

        Assert.Equal(["dotnet", "/app/rlhf.dll"], container.Strings("command"));
        Assert.Equal("ppo", args[0]);
        var configPath = args[args.ToList().IndexOf("--config") + 1];
        var gates = args.Where((_, i) => i > 0 && args[i - 1] == "--gate").ToList();
        Assert.NotEmpty(gates);
        foreach (var gate in gates)
        {
            var match = Regex.Match(gate, @"^(?<metric>[a-z_]+)\s*(>=|<=|>|<|==|!=)\s*-?[0-9.]+$");
            Assert.True(match.Success, gate);
            Assert.Contains(match.Groups["metric"].Value, Conventions.SummaryKeys);
        }

        var (volume, subPath) = MountOf(container, configPath);
        var configMapName = volume.Map("configMap").Str("name");
        Assert.NotNull(Kubectl.Jobs().Find("ConfigMap", configMapName!));
        Assert.True(Kubectl.Jobs().Get("ConfigMap", configMapName!).Root.StringMap("data").ContainsKey(subPath));
    }

    [KubectlFact]
    public void Job_OutputDir_IsOnTheRenderedResultsClaimPerRunId()
    {
        var container = Job.Container;
        var args = container.Strings("args").ToList();
        var set = args[args.IndexOf("--set") + 1];

        Assert.Equal("output_dir=/results/$(RUN_ID)", set);
        Assert.Contains(container.Seq("env"), e => e.Str("name") == "RUN_ID");
        var (volume, _) = MountOf(container, "/results/x");
        var claim = volume.Map("persistentVolumeClaim").Str("claimName");
        Assert.NotNull(Kubectl.Jobs().Find("PersistentVolumeClaim", claim!));
    }

    [KubectlFact]
    public void Job_Pod_IsNonRootWithResourcesAndWritableTmp()
    {
        var problems = PodChecks.SecurityContext(Job)
            .Concat(PodChecks.Resources(Job))
            .Concat(PodChecks.WritableTmp(Job))
            .Concat(PodChecks.NoOpenBlasCoreType(Job, Kubectl.Jobs()))
            .ToList();

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [KubectlFact]
    public void PpoConfig_Yaml_SetsEveryDocumentedKeyAndNoUnknownOne()
    {
        var config = PpoConfig();

        var keys = config.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();

        Assert.Empty(Conventions.PpoConfigKeys.Except(keys));
        Assert.Empty(keys.Except(Conventions.PpoConfigKeys).Except(Conventions.PpoConfigOptionalKeys));
    }

    [KubectlFact]
    public void PpoConfig_InputFiles_AreOnTheModelsVolumeTheJobMounts()
    {
        var config = PpoConfig();

        var (tokenizerVolume, _) = MountOf(Job.Container, config.Str("tokenizer")!);
        var (promptsVolume, _) = MountOf(Job.Container, config.Map("prompts").Str("path")!);

        Assert.Equal("rlhf-models", tokenizerVolume.Map("persistentVolumeClaim").Str("claimName"));
        Assert.Equal("rlhf-models", promptsVolume.Map("persistentVolumeClaim").Str("claimName"));
    }

    [KubectlTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void PpoConfig_ServiceAddresses_ReplicatedThroughDnsTrainedThroughTheirService(string overlay)
    {
        var rendering = Kubectl.Overlay(overlay);
        var config = PpoConfig();

        var problems = ServiceAddresses.ModelServices.Select(name => ServiceAddresses.Problem(rendering, name, config.Str(name + "_url")));

        Assert.Empty(problems.OfType<string>());
    }

    private static YamlMappingNode PpoConfig()
    {
        var configMapName = Job.PodSpec.Seq("volumes").Select(v => v.Map("configMap").Str("name")).OfType<string>().Single();
        var text = Kubectl.Jobs().Get("ConfigMap", configMapName).Root.StringMap("data")["ppo.yaml"];
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    /// <summary>The volume mounted at the directory holding <paramref name="path"/>, and the file name inside it.</summary>
    private static (YamlNode Volume, string SubPath) MountOf(YamlMappingNode container, string path)
    {
        var mount = container.Seq("volumeMounts")
            .Where(m => path.StartsWith(m.Str("mountPath")!.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Str("mountPath")!.Length)
            .First();
        var volume = Job.PodSpec.Seq("volumes").Single(v => v.Str("name") == mount.Str("name"));
        return (volume, path[(mount.Str("mountPath")!.TrimEnd('/').Length + 1)..]);
    }
}
