using Rlhf.Deploy.Tests.Infrastructure;

namespace Rlhf.Deploy.Tests;

/// <summary>deploy/build-images.sh (dry run) and deploy/ci/render.sh, run for real.</summary>
public sealed class ScriptTests
{
    private static readonly string[] Services = ["policy", "reference", "critic", "reward", "orchestrator", "cli"];

    private static ProcessResult Bash(string script, IReadOnlyDictionary<string, string?>? environment, params string[] arguments) =>
        ProcessRunner.Run("bash", [RepoPaths.Of(script), .. arguments], TimeSpan.FromMinutes(1), environment: environment);

    [Fact]
    public void BuildImages_DryRunWithVersion_PrintsOneBuildPerServiceTaggedWithIt()
    {
        var result = Bash("deploy/build-images.sh", new Dictionary<string, string?> { ["VERSION"] = "1.2.3" }, "--dry-run");

        Assert.True(result.ExitCode == 0, result.Output);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Services.Length, lines.Length);
        foreach (var (service, line) in Services.Zip(lines))
        {
            Assert.Contains(" build -f deploy/docker/Dockerfile ", line);
            Assert.Contains($"--build-arg SERVICE={service} ", line);
            Assert.Contains($"-t rlhf/{service}:1.2.3 ", line);
            Assert.DoesNotContain("latest", line);
        }
    }

    [Fact]
    public void BuildImages_DryRunPushToRegistry_PushesEachBuiltImage()
    {
        var result = Bash("deploy/build-images.sh", new Dictionary<string, string?> { ["VERSION"] = "2.0.0" },
            "--dry-run", "--push", "--registry", "ghcr.io/acme/rlhf", "reward", "cli");

        Assert.True(result.ExitCode == 0, result.Output);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.EndsWith("push ghcr.io/acme/rlhf/reward:2.0.0", lines[1]);
        Assert.EndsWith("push ghcr.io/acme/rlhf/cli:2.0.0", lines[3]);
    }

    [Fact]
    public void BuildImages_DryRunTorchBackendCuda_BuildsTheCudaLibtorchTaggedCuda()
    {
        var result = Bash("deploy/build-images.sh", new Dictionary<string, string?> { ["VERSION"] = "1.2.3", ["TORCH_BACKEND"] = "cuda" }, "--dry-run", "policy");

        Assert.True(result.ExitCode == 0, result.Output);
        var line = Assert.Single(result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--build-arg TORCH_BACKEND=cuda ", line);
        Assert.Contains("-t rlhf/policy:1.2.3-cuda ", line);
    }

    [Fact]
    public void BuildImages_UnknownTorchBackend_RefusedWithExit2()
    {
        var result = Bash("deploy/build-images.sh", new Dictionary<string, string?> { ["VERSION"] = "1.2.3", ["TORCH_BACKEND"] = "rocm" }, "--dry-run", "policy");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("TORCH_BACKEND must be cpu or cuda, got 'rocm'", result.StandardError);
    }

    [Fact]
    public void BuildImages_WithoutVersion_TagsFromGitDescribe()
    {
        var result = Bash("deploy/build-images.sh", new Dictionary<string, string?> { ["VERSION"] = null }, "--dry-run", "reward");
        var describe = ProcessRunner.Run("git", ["describe", "--tags", "--always", "--dirty"], TimeSpan.FromMinutes(1));

        if (describe.ExitCode != 0)
        {
            // Not a git checkout (e.g. a source tarball): the script must refuse rather than invent a tag.
            Assert.Equal(2, result.ExitCode);
            return;
        }
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains($"-t rlhf/reward:{describe.StandardOutput.Trim()} ", result.StandardOutput);
    }

    [Theory]
    [InlineData("VERSION", "latest")]
    [InlineData("SERVICE", "nonsense")]
    public void BuildImages_BadInput_RefusedWithExitCode2(string what, string value)
    {
        var result = what == "VERSION"
            ? Bash("deploy/build-images.sh", new Dictionary<string, string?> { ["VERSION"] = value }, "--dry-run")
            : Bash("deploy/build-images.sh", new Dictionary<string, string?> { ["VERSION"] = "1.0.0" }, "--dry-run", value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(value, result.StandardError);
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public void Publish_UnknownService_RefusedWithExitCode2()
    {
        var result = Bash("deploy/docker/publish.sh", null, "nonsense", Path.GetTempPath());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown SERVICE 'nonsense'", result.StandardError);
    }

    [KubectlFact]
    public void Render_JobsWithRunIdAndTag_RenamesJobSetsRunIdAndRetagsImage()
    {
        var result = Bash("deploy/ci/render.sh", null, RepoPaths.Jobs, "--tag", "1.2.3", "--image-prefix", "ghcr.io/acme/rlhf",
            "--namespace", "rlhf-ci", "--run-id", "gl-42");

        Assert.True(result.ExitCode == 0, result.Output);
        var rendering = RenderedManifests.Parse(result.StandardOutput);
        var job = rendering.Get("Job", "ppo-run-gl-42");
        Assert.Equal("rlhf-ci", job.Namespace);
        Assert.Equal("ghcr.io/acme/rlhf/cli:1.2.3", job.Container.Str("image"));
        Assert.Contains(job.Container.Seq("env"), e => e.Str("name") == "RUN_ID" && e.Str("value") == "gl-42");
        Assert.All(rendering.All, m => Assert.Equal("rlhf-ci", m.Namespace));
    }

    [KubectlFact]
    public void Render_ProdWithTag_RetagsImagesTheOverlayRenamed()
    {
        var result = Bash("deploy/ci/render.sh", null, RepoPaths.Overlay("prod"), "--tag", "abc1234");

        Assert.True(result.ExitCode == 0, result.Output);
        var rendering = RenderedManifests.Parse(result.StandardOutput);
        foreach (var deployment in rendering.OfKind("Deployment"))
            Assert.Equal($"registry.example.com/rlhf/{deployment.Name}:abc1234", deployment.Container.Str("image"));
        Assert.Empty(Directory.GetDirectories(Path.Combine(RepoPaths.Deploy, "k8s", "overlays"), ".render.*"));
    }

    [KubectlFact]
    public void Render_TagLatest_Refused()
    {
        var result = Bash("deploy/ci/render.sh", null, RepoPaths.Overlay("dev"), "--tag", "latest");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
    }

    [KubectlTheory]
    [InlineData("Complete", 0)]
    [InlineData("Failed", 1)]
    public void RunPpoJob_JobCondition_BecomesExitCodeAndSummaryIsFetched(string condition, int expectedExitCode)
    {
        using var kubectl = new FakeKubectl();
        var output = Path.Combine(kubectl.Directory, "results");
        const string reason = "gate failed: score_gain>=0.5 (score_gain = 0.1)";

        var result = Bash("deploy/ci/run-ppo-job.sh", kubectl.Environment(condition, reason),
            "--namespace", "rlhf-ci", "--run-id", "gl-7", "--tag", "1.2.3", "--out", output);

        Assert.True(result.ExitCode == expectedExitCode, result.Output);
        Assert.Equal("{\"score_gain\":0.1,\"kl\":2.5}", File.ReadAllText(Path.Combine(output, "summary.json")).Trim());
        Assert.True(File.Exists(Path.Combine(output, "metrics.jsonl")));
        var calls = File.ReadAllText(kubectl.CallLog);
        Assert.Contains("--namespace rlhf-ci get job ppo-run-gl-7", calls);
        Assert.Contains("cat /results/gl-7/summary.json", calls);
        Assert.Contains("delete pod ppo-run-gl-7-results", calls);
        if (expectedExitCode == 1)
            Assert.Contains(reason, result.StandardError);
        var rendered = RenderedManifests.Parse(File.ReadAllText(Path.Combine(output, "ppo-run.rendered.yaml")));
        Assert.Equal("rlhf/cli:1.2.3", rendered.Get("Job", "ppo-run-gl-7").Container.Str("image"));
    }
}
