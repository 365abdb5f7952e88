using System.Text.RegularExpressions;
using Rlhf.Deploy.Tests.Infrastructure;

namespace Rlhf.Deploy.Tests;

/// <summary>
/// Lint-style checks of deploy/docker/Dockerfile (no Docker engine needed): pinned multi-stage bases, non-root user,
/// labels, OpenBLAS, and the SERVICE mapping of publish.sh against the conventions.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly Dockerfile File = Dockerfile.Parse(System.IO.File.ReadAllText(RepoPaths.Dockerfile));

    private static DockerStage Final => File.Stages[^1];

    [Fact]
    public void Stages_Dockerfile_BuildWithSdkAndRunOnAspnet()
    {
        Assert.True(File.Stages.Count >= 2, "multi-stage build expected");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", File.Stages[0].BaseImage);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", Final.BaseImage);
        Assert.Contains(Final.Instructions, i => i.Keyword == "COPY" && i.Arguments.StartsWith($"--from={File.Stages[0].Name}", StringComparison.Ordinal));
    }

    [Fact]
    public void Bases_Dockerfile_UbuntuNobleWhoseLibstdcxxLoadsTorchSharp()
    {
        // libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13); noble has GCC 14's libstdc++, Debian 12 (bookworm) does not.
        foreach (var stage in File.Stages)
            Assert.EndsWith("-noble", stage.BaseImage, StringComparison.Ordinal);
    }

    [Fact]
    public void Publish_BuildStage_PassesTorchBackendWithCpuDefault()
    {
        var build = File.Stages[0];

        Assert.Contains(build.Instructions, i => i.Keyword == "ARG" && i.Arguments == "TORCH_BACKEND=cpu");
        Assert.Contains(build.Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("TORCH_BACKEND=\"${TORCH_BACKEND}\" bash deploy/docker/publish.sh", StringComparison.Ordinal));
        Assert.Contains("-p:TorchBackend=\"$torch_backend\"", System.IO.File.ReadAllText(Path.Combine(RepoPaths.Deploy, "docker", "publish.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void FromLines_Dockerfile_PinAPatchVersionTag()
    {
        foreach (var stage in File.Stages)
        {
            Assert.DoesNotContain("$", stage.BaseImage); // every ARG used in FROM has a default
            Assert.True(ImageTests.IsPinned(stage.BaseImage), stage.BaseImage + " is not pinned");
            Assert.Matches(PatchVersionTag(), stage.BaseImage);
        }
    }

    [Fact]
    public void User_FinalStage_IsTheNonRootAppUser()
    {
        var user = Final.Instructions.Last(i => i.Keyword == "USER").Arguments;

        Assert.Contains(user, new[] { "$APP_UID", "${APP_UID}", Conventions.AppUid.ToString(), "app" });
        var userIndex = Final.Instructions.ToList().FindLastIndex(i => i.Keyword == "USER");
        Assert.DoesNotContain(Final.Instructions.Skip(userIndex + 1), i => i.Keyword == "RUN"); // nothing runs as root after it
    }

    [Fact]
    public void Labels_FinalStage_CarryOciTitleVersionAndRevision()
    {
        var labels = string.Join(' ', Final.Instructions.Where(i => i.Keyword == "LABEL").Select(i => i.Arguments));

        foreach (var key in new[] { "org.opencontainers.image.title", "org.opencontainers.image.version", "org.opencontainers.image.revision" })
            Assert.Contains(key + "=", labels);
    }

    [Fact]
    public void OpenBlas_FinalStage_InstalledWithoutRecommendsAndCoreTypeUnset()
    {
        var install = Assert.Single(Final.Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("apt-get install", StringComparison.Ordinal));

        Assert.Contains("--no-install-recommends", install.Arguments);
        Assert.Contains("libopenblas0-pthread", install.Arguments);
        Assert.Contains("rm -rf /var/lib/apt/lists", install.Arguments);
        Assert.DoesNotContain(File.Instructions, i => i.Keyword is "ENV" or "ARG" && i.Arguments.Contains("OPENBLAS_CORETYPE", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_FirstStage_RunsThePublishScriptForTheServiceArgument()
    {
        var build = File.Stages[0].Instructions;

        Assert.Contains(build, i => i.Keyword == "ARG" && i.Arguments == "SERVICE");
        Assert.Contains(build, i => i.Keyword == "RUN" && i.Arguments.Contains("deploy/docker/publish.sh \"${SERVICE}\"", StringComparison.Ordinal));
        Assert.Contains(Final.Instructions, i => i.Keyword == "ENTRYPOINT" && i.Arguments.Contains("/app/rlhf-entrypoint.sh", StringComparison.Ordinal));
    }

    [Fact]
    public void PublishScript_ServiceTable_AgreesWithConventions()
    {
        var script = System.IO.File.ReadAllText(RepoPaths.Of("deploy/docker/publish.sh"));

        var rows = ServiceRow().Matches(script).ToDictionary(m => m.Groups["service"].Value);

        foreach (var host in Conventions.Hosts)
        {
            var row = rows[host.Name];
            Assert.Equal(host.ProjectPath, row.Groups["project"].Value);
            Assert.Equal(host.Project, row.Groups["assembly"].Value);
            Assert.Equal(host.Port.ToString(), row.Groups["port"].Value);
        }
        Assert.Equal("clients/Rlhf.Cli/Rlhf.Cli.csproj", rows["cli"].Groups["project"].Value);
        Assert.Equal("rlhf", rows["cli"].Groups["assembly"].Value);
        Assert.Equal(Conventions.Hosts.Count + 1, rows.Count);
    }

    [Fact]
    public void DockerIgnore_Context_ExcludesOutputsButKeepsSources()
    {
        var rules = System.IO.File.ReadAllLines(RepoPaths.Of(".dockerignore"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();

        foreach (var excluded in new[] { "**/bin/", "**/obj/", ".git/" })
            Assert.Contains(excluded, rules);
        foreach (var kept in new[] { "services", "clients", "protos", "deploy/docker", "Directory.Build.props", "Directory.Packages.props", "global.json" })
            Assert.DoesNotContain(rules, r => r.TrimEnd('/') == kept || r == kept + "/**" || r == "*");
        Assert.Contains("!deploy/docker/", rules);
    }

    [Fact]
    public void Parse_ContinuationLinesAndComments_JoinedIntoOneInstruction()
    {
        var parsed = Dockerfile.Parse("ARG BASE=x:1.2.3\nFROM ${BASE} AS one\n# note\nRUN a \\\n  # inner\n  && b\nFROM scratch\nUSER 1654\n");

        Assert.Equal(["x:1.2.3", "scratch"], parsed.Stages.Select(s => s.BaseImage));
        Assert.Equal("one", parsed.Stages[0].Name);
        var run = Assert.Single(parsed.Stages[0].Instructions, i => i.Keyword != "FROM");
        Assert.Equal("RUN", run.Keyword);
        Assert.Equal("a    && b", run.Arguments);
    }

    [GeneratedRegex(@":[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.-]+)?$")]
    private static partial Regex PatchVersionTag();

    [GeneratedRegex(@"^\s*(?<service>[a-z]+)\)\s+project=(?<project>\S+);\s+assembly=(?<assembly>\S+);\s+port=(?<port>\d*)\s*;;", RegexOptions.Multiline)]
    private static partial Regex ServiceRow();
}
