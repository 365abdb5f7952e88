namespace Rlhf.Configuration;

/// <summary>
/// Marks a string config key whose value is a filesystem path. <c>${NAME}</c> / <c>${NAME:-default}</c> environment
/// references are expanded, then a relative path is resolved against the directory of the YAML file it came from (or
/// the override base directory for <c>--set</c> values). An empty value stays empty ("not set").
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigPathAttribute : Attribute;
