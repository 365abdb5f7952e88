using Rlhf.ServiceDefaults.RateLimiting;

namespace Rlhf.RewardService.Tests;

public sealed class RateLimitOptionsTests
{
    [Fact]
    public void BurstFor_NoBurstConfigured_TwiceTheRateAtLeastOne()
    {
        var options = new RateLimitOptions { PermitsPerSecond = 10 };
        Assert.Equal(20, options.BurstFor(10));
        Assert.Equal(1, options.BurstFor(0.2));
    }

    [Fact]
    public void BurstFor_PerKeyRate_BurstScalesWithRate()
    {
        var options = new RateLimitOptions { PermitsPerSecond = 100, Burst = 50, PerKey = { ["slow"] = 10 } };
        Assert.Equal(10, options.RateFor("slow"));
        Assert.Equal(100, options.RateFor("other"));
        Assert.Equal(100, options.RateFor(null));
        Assert.Equal(50, options.BurstFor(options.RateFor("other")));
        Assert.Equal(5, options.BurstFor(options.RateFor("slow")));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-1, 0)]
    [InlineData(double.PositiveInfinity, 0)]
    [InlineData(10, -1)]
    public void Validate_UnusableRateOrBurst_ThrowsNamingTheKey(double rate, int burst)
    {
        var options = new RateLimitOptions { PermitsPerSecond = rate, Burst = burst };
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("RateLimit:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositivePerKeyRate_ThrowsNamingTheKey()
    {
        var options = new RateLimitOptions { PerKey = { ["team-a"] = 0 } };
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("RateLimit:PerKey:team-a", e.Message, StringComparison.Ordinal);
    }
}
