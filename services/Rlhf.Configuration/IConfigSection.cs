namespace Rlhf.Configuration;

/// <summary>
/// A config class (root or nested section). Per-key ranges come from <see cref="ConfigRangeAttribute"/>; this adds
/// the checks that involve several keys.
/// </summary>
public interface IConfigSection
{
    /// <summary>
    /// Appends a message for every cross-key problem to <paramref name="errors"/>; <paramref name="prefix"/> is the
    /// section's dotted key path ("" for the root, "prompts." for a section) to prefix key names with.
    /// </summary>
    void Validate(ICollection<string> errors, string prefix);
}
