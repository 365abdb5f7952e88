using Rlhf.Hosts;

namespace Rlhf.Services.Tests;

/// <summary>The orchestrator host refuses, at start-up, a model service address it could not call.</summary>
public sealed class OrchestratorOptionsTests
{
    [Theory]
    [InlineData("Orchestrator:RewardUrl", "reward:50054", "scheme 'reward'")]
    [InlineData("Orchestrator:ReferenceUrl", "dns://reference:50052", "a dns address has three slashes and no DNS server")]
    [InlineData("Orchestrator:PolicyUrl", "http://policy:50051/v1", "a path")]
    public void Build_BadServiceAddress_OneLineNamingTheKeyAndTheAcceptedForms(string key, string address, string why)
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => OrchestratorServiceHost.Build(["--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string?> { [key] = address, ["Serilog:MinimumLevel:Default"] = "Warning" }));

        Assert.Equal($"{key}: '{address}' is not a service address ({why}): use http://host:port, https://host:port or dns:///name:port", e.Message);
    }

    [Fact]
    public async Task Build_DnsAndHttpAddresses_Accepted()
    {
        await using var app = OrchestratorServiceHost.Build(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string?>
        {
            ["Orchestrator:PolicyUrl"] = "http://policy:50051",
            ["Orchestrator:ReferenceUrl"] = "dns:///reference-headless:50052",
            ["Orchestrator:CriticUrl"] = "https://critic.example.com:443",
            ["Orchestrator:RewardUrl"] = "dns:///reward-headless:50054",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        });

        Assert.NotNull(app);
    }
}
