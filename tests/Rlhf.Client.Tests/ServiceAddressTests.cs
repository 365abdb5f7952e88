namespace Rlhf.Client.Tests;

/// <summary>The three accepted address forms, and the one-line refusal of anything else.</summary>
public sealed class ServiceAddressTests
{
    [Theory]
    [InlineData("http://127.0.0.1:50051", false)]
    [InlineData("https://reward.example.com:443", false)]
    [InlineData("http://reward", false)]
    [InlineData("dns:///reward-headless:50054", true)]
    [InlineData("dns:///reward-headless.rlhf.svc.cluster.local:50054", true)]
    public void Parse_AcceptedForm_ParsesAndTellsDnsApart(string text, bool dns)
    {
        var address = ServiceAddress.Parse(text);

        Assert.Equal(dns, ServiceAddress.IsDns(address));
    }

    [Theory]
    [InlineData("127.0.0.1:50051")]
    [InlineData("reward:50054")]
    [InlineData("grpc://reward:50054")]
    [InlineData("dns://8.8.8.8/reward:50054")]
    [InlineData("dns:///reward")]
    [InlineData("http://reward:50054/v1")]
    [InlineData("http://reward:50054?x=1")]
    [InlineData("")]
    public void ConfigError_OtherForm_OneLineWithKeyAndAcceptedForms(string text)
    {
        Assert.False(ServiceAddress.TryParse(text, out _, out _));
        var error = ServiceAddress.ConfigError("Orchestrator:RewardUrl", text.Length == 0 ? " " : text);

        Assert.NotNull(error);
        Assert.StartsWith("Orchestrator:RewardUrl: '", error, StringComparison.Ordinal);
        Assert.EndsWith(": use http://host:port, https://host:port or dns:///name:port", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Throws<ArgumentException>(() => ServiceAddress.Parse(text));
    }

    [Fact]
    public void ConfigError_Empty_NotConfiguredIsNoError()
    {
        Assert.Null(ServiceAddress.ConfigError("reward_url", ""));
    }
}
