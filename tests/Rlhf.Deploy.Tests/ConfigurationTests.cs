using System.Text.Json;
using Rlhf.Deploy.Tests.Infrastructure;

namespace Rlhf.Deploy.Tests;

/// <summary>ConfigMaps, API keys and the hosts' own appsettings.json against the documented configuration keys.</summary>
public sealed class ConfigurationTests
{
    [KubectlTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void ConfigMaps_Overlay_SetOnlyDocumentedConfigurationKeys(string overlay)
    {
        var rendering = Kubectl.Overlay(overlay);

        var undocumented = rendering.OfKind("ConfigMap")
            .SelectMany(c => c.Root.StringMap("data").Keys.Select(key => (ConfigMap: c.Name, Key: key)))
            .Where(e => e.Key.Contains("__", StringComparison.Ordinal) && !Conventions.IsDocumentedKey(e.Key))
            .Select(e => $"{e.ConfigMap}: {e.Key}")
            .ToList();

        Assert.True(undocumented.Count == 0, "undocumented keys:\n" + string.Join('\n', undocumented));
    }

    [KubectlTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void ConfigMaps_Overlay_PointModelFilesAtTheModelsVolume(string overlay)
    {
        var rendering = Kubectl.Overlay(overlay);

        foreach (var host in Conventions.Hosts.Where(h => h.Name != "orchestrator"))
        {
            var data = rendering.Get("ConfigMap", host.Name + "-config").Root.StringMap("data");
            Assert.StartsWith("/models/", data["Model__Checkpoint"]);
            Assert.StartsWith("/models/", data["Model__Tokenizer"]);
        }
    }

    [KubectlFact]
    public void RewardAuth_DevOverlay_IsDisabled()
    {
        var data = Kubectl.Overlay("dev").Get("ConfigMap", "reward-config").Root.StringMap("data");

        Assert.Equal("false", data["Auth__Enabled"]);
    }

    [KubectlFact]
    public void RewardAuth_ProdOverlay_IsEnabledWithKeysFileOnTheMountedSecret()
    {
        var rendering = Kubectl.Overlay("prod");
        var data = rendering.Get("ConfigMap", "reward-config").Root.StringMap("data");
        var pod = rendering.Get("Deployment", "reward");

        Assert.Equal("true", data["Auth__Enabled"]);
        Assert.Equal("/etc/rlhf/keys.json", data["Auth__KeysFile"]);
        var volume = pod.PodSpec.Seq("volumes").Single(v => v.Map("secret").Str("secretName") == "rlhf-api-keys");
        var mount = pod.Container.Seq("volumeMounts").Single(m => m.Str("name") == volume.Str("name"));
        Assert.Equal("/etc/rlhf", mount.Str("mountPath"));
        Assert.Equal("true", mount.Str("readOnly"));
        Assert.Contains(volume.Map("secret").Seq("items"), i => i.Str("key") == "keys.json" && i.Str("path") == "keys.json");
    }

    [KubectlFact]
    public void ApiKeysSecret_ProdOverlay_PlaceholderIsNotRendered()
    {
        Assert.Null(Kubectl.Overlay("prod").Find("Secret", "rlhf-api-keys"));
    }

    [KubectlFact]
    public void ApiKeysSecret_DevOverlay_IsKeysJsonWithScoreScope()
    {
        var secret = Kubectl.Overlay("dev").Get("Secret", "rlhf-api-keys");

        using var keys = JsonDocument.Parse(secret.Root.StringMap("stringData")["keys.json"]);
        var key = Assert.Single(keys.RootElement.GetProperty("keys").EnumerateArray());
        Assert.False(string.IsNullOrEmpty(key.GetProperty("name").GetString()));
        Assert.False(string.IsNullOrEmpty(key.GetProperty("key").GetString()));
        Assert.Contains("score", key.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [KubectlTheory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void AppSettings_EveryHost_AgreesWithPortsAndConfigMapKeys(string overlay)
    {
        var rendering = Kubectl.Overlay(overlay);
        var problems = new List<string>();
        foreach (var host in Conventions.Hosts)
        {
            var path = RepoPaths.Of(host.AppSettingsPath);
            Assert.True(File.Exists(path), $"{host.Name}: {path} is missing");
            var configMapKeys = rendering.Get("ConfigMap", host.Name + "-config").Root.StringMap("data").Keys;
            problems.AddRange(AppSettingsCheck.Problems(File.ReadAllText(path), host, configMapKeys));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void AppSettingsCheck_ConventionalSettings_NoProblems()
    {
        const string json = """
            {
              "Kestrel": { "Endpoints": { "Grpc": { "Url": "http://0.0.0.0:50054", "Protocols": "Http2" } } },
              "Model": { "Checkpoint": "/models/reward", "Threads": 0 },
              "Auth": { "Enabled": true, "KeysFile": "", "Keys": [ { "Key": "k", "Scopes": [ "score" ] } ] },
              "Reward": { "MaxBatchSize": 32 },
              "Serilog": { "MinimumLevel": "Information" }
            }
            """;

        var problems = AppSettingsCheck.Problems(json, Conventions.Host("reward"),
            ["Model__Checkpoint", "auth__enabled", "Auth__KeysFile", "Reward__MaxBatchSize", "DOTNET_gcServer"]);

        Assert.Empty(problems);
    }

    [Fact]
    public void AppSettingsCheck_WrongPortAndUndeclaredConfigMapKey_BothReported()
    {
        const string json = """{ "Urls": "http://*:8080", "Model": { "MaxTextBytes": 100 } }""";

        var problems = AppSettingsCheck.Problems(json, Conventions.Host("reward"), ["Reward__MaxTextBytes"]);

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("8080", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Reward__MaxTextBytes", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Model__Checkpoint", true)]
    [InlineData("Reward:MaxWaitMs", true)]
    [InlineData("Auth__Keys__3__Scopes", true)]
    [InlineData("auth__enabled", true)]
    [InlineData("Reward__MaxBatch", false)]
    [InlineData("Model__Path", false)]
    public void IsDocumentedKey_Key_MatchesConventionsTable(string key, bool expected)
    {
        Assert.Equal(expected, Conventions.IsDocumentedKey(key));
    }
}
