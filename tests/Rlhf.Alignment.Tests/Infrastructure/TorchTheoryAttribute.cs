namespace Rlhf.Alignment.Tests.Infrastructure;

/// <summary>A theory that needs PyTorch references; skipped like <see cref="TorchFactAttribute"/>.</summary>
public sealed class TorchTheoryAttribute : TheoryAttribute
{
    public TorchTheoryAttribute()
    {
        if (PythonTorch.WhyUnavailable is { } reason)
        {
            Skip = "PyTorch reference fixtures unavailable: " + reason;
        }
    }
}
