namespace Rlhf.Models;

/// <summary>How a backend loads a model (bound from the <c>Model</c> configuration section by the services).</summary>
public sealed record ModelLoadOptions
{
    /// <summary><c>cpu</c>, <c>cuda</c> (= <c>cuda:0</c>) or <c>cuda:N</c> (<c>Model:Device</c>).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Parameter type (<c>Model:Dtype</c>: float32 | bfloat16).</summary>
    public ModelDtype Dtype { get; init; } = ModelDtype.Float32;

    /// <summary>CPU threads for the backend's kernels; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>AdamW β₁.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>AdamW β₂.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>AdamW ε.</summary>
    public float Eps { get; init; } = 1e-8f;

    /// <summary>AdamW decoupled weight decay λ (Loshchilov &amp; Hutter 2019); the services train with 0.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Tokenizer file copied into saved checkpoints, or null.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Reported in <see cref="ModelInfo.TokenizerFingerprint"/>.</summary>
    public string TokenizerFingerprint { get; init; } = "";

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> into (type, index); index is −1 for the CPU.</summary>
    /// <exception cref="ArgumentException">Anything else, with a message naming <c>Model:Device</c>.</exception>
    public static (string Type, int Index) ParseDevice(string device)
    {
        var text = device.Trim().ToLowerInvariant();
        if (text == "cpu")
            return ("cpu", -1);
        if (text == "cuda")
            return ("cuda", 0);
        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var index))
            return ("cuda", index);
        throw new ArgumentException($"Model:Device '{device}' is not a device: expected cpu, cuda or cuda:N");
    }
}
