namespace Rlhf.ServiceDefaults.RateLimiting;

/// <summary>
/// Settings of <see cref="RateLimitInterceptor"/> (bindable from the <c>RateLimit</c> configuration section): a token
/// bucket per caller — per API key name when a key authenticated the call, else per peer IP address — refilled at
/// <see cref="PermitsPerSecond"/> and holding at most <see cref="Burst"/> permits. One call takes one permit.
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Whether calls are limited (default false).</summary>
    public bool Enabled { get; set; }

    /// <summary>Sustained calls per second per caller (default 50). Must be &gt; 0.</summary>
    public double PermitsPerSecond { get; set; } = 50;

    /// <summary>
    /// Bucket size: the most calls a caller may make at once after being idle (default 0: twice
    /// <see cref="PermitsPerSecond"/>, at least 1).
    /// </summary>
    public int Burst { get; set; }

    /// <summary>
    /// Per-key overrides of <see cref="PermitsPerSecond"/>, by API key name (<c>RateLimit:PerKey:&lt;name&gt;</c>, or a
    /// keys file entry's <c>rate_per_second</c>). The burst of an overridden key scales with its rate the same way.
    /// </summary>
    public Dictionary<string, double> PerKey { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The sustained rate of <paramref name="keyName"/> (null: an anonymous caller), calls per second.</summary>
    public double RateFor(string? keyName) =>
        keyName is not null && PerKey.TryGetValue(keyName, out var rate) ? rate : PermitsPerSecond;

    /// <summary>The bucket size for a caller with sustained rate <paramref name="rate"/>.</summary>
    public int BurstFor(double rate)
    {
        if (Burst > 0 && rate == PermitsPerSecond)
            return Burst;
        var scaled = Burst > 0 ? Burst * rate / PermitsPerSecond : 2 * rate;
        return (int)Math.Clamp(Math.Ceiling(scaled), 1, int.MaxValue);
    }

    /// <summary>Throws with a message naming the key when the options are unusable.</summary>
    /// <exception cref="InvalidOperationException">A rate is not a positive finite number, or the burst is negative.</exception>
    public void Validate()
    {
        if (!(PermitsPerSecond > 0) || !double.IsFinite(PermitsPerSecond))
            throw new InvalidOperationException($"RateLimit:PermitsPerSecond must be > 0 (found {PermitsPerSecond})");
        if (Burst < 0)
            throw new InvalidOperationException($"RateLimit:Burst must be ≥ 0 (found {Burst}; 0 = twice the rate)");
        foreach (var (name, rate) in PerKey)
        {
            if (!(rate > 0) || !double.IsFinite(rate))
                throw new InvalidOperationException($"RateLimit:PerKey:{name} must be > 0 (found {rate})");
        }
    }
}
