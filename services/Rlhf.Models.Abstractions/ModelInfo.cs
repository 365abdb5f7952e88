namespace Rlhf.Models;

/// <summary>Element type of a model's parameters and activations.</summary>
public enum ModelDtype
{
    /// <summary>IEEE fp32.</summary>
    Float32,

    /// <summary>bfloat16 (8-bit exponent, 7-bit mantissa); outputs are still returned as fp32.</summary>
    BFloat16,
}

/// <summary>What a loaded model is and where it runs (GetModelInfo).</summary>
/// <param name="Backend">Backend name: <c>native</c> or <c>torch</c>.</param>
/// <param name="BackendVersion">The backend's runtime, e.g. <c>TorchSharp 0.107.0, libtorch 2.10.0</c>.</param>
/// <param name="Architecture">The decoder's hyper-parameters.</param>
/// <param name="ParameterCount">Number of parameters, the scalar head included and a tied head counted once.</param>
/// <param name="Dtype">Parameter element type.</param>
/// <param name="Device">Where it runs: <c>cpu</c> or <c>cuda:N</c>.</param>
/// <param name="TokenizerFingerprint">Fingerprint of the tokenizer served with the model, or empty when none.</param>
/// <param name="OptimizerSteps">Optimizer steps taken by the loaded weights' optimizer (restored with its state).</param>
public sealed record ModelInfo(
    string Backend,
    string BackendVersion,
    ModelArchitecture Architecture,
    long ParameterCount,
    ModelDtype Dtype,
    string Device,
    string TokenizerFingerprint,
    long OptimizerSteps);

/// <summary>An fp32 copy of one named tensor (HF name and layout).</summary>
/// <param name="Name">Hugging Face tensor name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="Shape">Row-major shape, e.g. <c>[out_features, in_features]</c>.</param>
/// <param name="Data">The elements, row-major.</param>
public sealed record TensorData(string Name, int[] Shape, float[] Data);
