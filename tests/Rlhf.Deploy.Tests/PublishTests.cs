using System.Text.Json;
using Rlhf.Deploy.Tests.Infrastructure;

namespace Rlhf.Deploy.Tests;

/// <summary>
/// A fact that replays the image's build step for one SERVICE; skipped, with the reason, until that project exists.
/// </summary>
public sealed class PublishFactAttribute : FactAttribute
{
    public PublishFactAttribute(string projectPath)
    {
        if (!File.Exists(RepoPaths.Of(projectPath)))
            Skip = $"{projectPath} does not exist yet: the publish step of its image is checked once the project lands";
    }
}

/// <summary>
/// Runs deploy/docker/publish.sh, the exact build step of the Dockerfile, on the host for each deployable, and checks
/// what the image's entrypoint needs. Slow (a Release restore and publish each): run with --filter Category=Slow.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PublishTests
{
    [PublishFact("services/hosts/Rlhf.PolicyService/Rlhf.PolicyService.csproj")]
    public void Publish_Policy_ProducesRunnableHost() => PublishAndCheck("policy", "Rlhf.PolicyService", "50051");

    [PublishFact("services/hosts/Rlhf.ReferenceService/Rlhf.ReferenceService.csproj")]
    public void Publish_Reference_ProducesRunnableHost() => PublishAndCheck("reference", "Rlhf.ReferenceService", "50052");

    [PublishFact("services/hosts/Rlhf.CriticService/Rlhf.CriticService.csproj")]
    public void Publish_Critic_ProducesRunnableHost() => PublishAndCheck("critic", "Rlhf.CriticService", "50053");

    [PublishFact("services/hosts/Rlhf.RewardService/Rlhf.RewardService.csproj")]
    public void Publish_Reward_ProducesRunnableHost() => PublishAndCheck("reward", "Rlhf.RewardService", "50054");

    [PublishFact("services/hosts/Rlhf.OrchestratorService/Rlhf.OrchestratorService.csproj")]
    public void Publish_Orchestrator_ProducesRunnableHost() => PublishAndCheck("orchestrator", "Rlhf.OrchestratorService", "50055");

    [PublishFact("clients/Rlhf.Cli/Rlhf.Cli.csproj")]
    public void Publish_Cli_ProducesRlhfCommand() => PublishAndCheck("cli", "rlhf", "");

    private static void PublishAndCheck(string service, string assembly, string port)
    {
        var output = Path.Combine(Path.GetTempPath(), "rlhf-publish-" + service + "-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = ProcessRunner.Run("bash", [RepoPaths.Of("deploy/docker/publish.sh"), service, output], TimeSpan.FromMinutes(10));

            Assert.True(result.ExitCode == 0, result.Output);
            Assert.True(File.Exists(Path.Combine(output, assembly + ".dll")), assembly + ".dll published");
            Assert.Equal(
                [$"RLHF_ASSEMBLY={assembly}", $"RLHF_PORT={port}"],
                File.ReadAllLines(Path.Combine(output, "rlhf-service.env")));
            Assert.True(File.Exists(Path.Combine(output, "rlhf-entrypoint.sh")));
            using var runtimeConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, assembly + ".runtimeconfig.json")));
            var frameworks = runtimeConfig.RootElement.GetProperty("runtimeOptions").ToString();
            Assert.Contains("10.0", frameworks);
            if (port.Length > 0)
                Assert.Contains("Microsoft.AspNetCore.App", frameworks); // the aspnet base image provides it
        }
        finally
        {
            if (Directory.Exists(output))
                Directory.Delete(output, recursive: true);
        }
    }
}
