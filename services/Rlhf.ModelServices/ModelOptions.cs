using Microsoft.Extensions.Options;
using Rlhf.Models;

namespace Rlhf.ModelServices;

/// <summary>The <c>Model</c> configuration section of a model service (appsettings, env <c>Model__Key</c>, <c>--Model:Key=</c>).</summary>
public sealed class ModelOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Model";

    /// <summary>Weights to serve: a llama2.c <c>.bin</c> file or a checkpoint directory. Required.</summary>
    public string Checkpoint { get; set; } = "";

    /// <summary>llama2.c <c>tokenizer.bin</c>; optional (without it only token ids are accepted). A checkpoint directory's own <c>tokenizer.bin</c> is used when this is empty.</summary>
    public string Tokenizer { get; set; } = "";

    /// <summary>
    /// The model backend (<see cref="IModelBackend.Name"/>): <c>native</c> (the CPU engine, default) or <c>torch</c>
    /// (TorchSharp: CPU, or CUDA in an image built with <c>-p:TorchBackend=cuda</c>).
    /// </summary>
    public string Backend { get; set; } = "native";

    /// <summary><c>cpu</c> (default), <c>cuda</c> (= <c>cuda:0</c>) or <c>cuda:N</c>; the native backend runs on the CPU only.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Parameter type: <c>float32</c> (default) or <c>bfloat16</c> (torch backend only).</summary>
    public string Dtype { get; set; } = "float32";

    /// <summary>Backend threads (GEMM and attention). 0 = all cores.</summary>
    public int Threads { get; set; }

    /// <summary>Budget for activations kept for Backward, bytes. Default 2 GiB.</summary>
    public long ForwardStoreBytes { get; set; } = 2L << 30;

    /// <summary>Lifetime of kept activations, seconds. Default 600.</summary>
    public int ForwardExpirySeconds { get; set; } = 600;

    /// <summary>Most sequences in one request. Default 512.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>Longest prompt or response text accepted, UTF-8 bytes. Default 16384.</summary>
    public int MaxTextBytes { get; set; } = 16384;

    /// <summary>The backend names <see cref="Backend"/> accepts.</summary>
    public static IReadOnlyList<string> BackendNames { get; } = ["native", "torch"];

    /// <summary><see cref="Dtype"/> parsed.</summary>
    /// <exception cref="InvalidOperationException">Not float32 or bfloat16 (the message names the key).</exception>
    public ModelDtype ParsedDtype => Dtype.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" => ModelDtype.Float32,
        "bfloat16" or "bf16" => ModelDtype.BFloat16,
        _ => throw new InvalidOperationException($"Model:Dtype '{Dtype}' is not a dtype: expected float32 or bfloat16"),
    };

    /// <summary>How the backend loads the checkpoint.</summary>
    /// <param name="tokenizerPath">Tokenizer file copied into saved checkpoints, or null.</param>
    /// <param name="tokenizerFingerprint">Reported in the model info.</param>
    public ModelLoadOptions ToLoadOptions(string? tokenizerPath, string tokenizerFingerprint) => new()
    {
        Device = Device,
        Dtype = ParsedDtype,
        Threads = Threads,
        TokenizerPath = tokenizerPath,
        TokenizerFingerprint = tokenizerFingerprint,
    };

    /// <summary>Checks the options before the host starts; each message names the key and what to do.</summary>
    /// <exception cref="OptionsValidationException">A value is unusable (exit code 2).</exception>
    /// <exception cref="FileNotFoundException">The checkpoint or the tokenizer does not exist (exit code 4).</exception>
    public void Validate()
    {
        var failures = new List<string>();
        if (!BackendNames.Contains(Backend.Trim().ToLowerInvariant()))
            failures.Add($"Model:Backend '{Backend}' is not a backend: expected {string.Join(" or ", BackendNames)}");
        try
        {
            ModelLoadOptions.ParseDevice(Device);
        }
        catch (ArgumentException e)
        {
            failures.Add(e.Message);
        }
        try
        {
            _ = ParsedDtype;
        }
        catch (InvalidOperationException e)
        {
            failures.Add(e.Message);
        }
        if (Threads < 0)
            failures.Add("Model:Threads must be ≥ 0 (0 = all cores)");
        if (string.IsNullOrWhiteSpace(Checkpoint))
            failures.Add("configuration key Model:Checkpoint (env Model__Checkpoint) is required: a llama2.c .bin file or a checkpoint directory");
        if (ForwardStoreBytes < 1 << 20)
            failures.Add("Model:ForwardStoreBytes must be at least 1 MiB");
        if (ForwardExpirySeconds < 1)
            failures.Add("Model:ForwardExpirySeconds must be at least 1");
        if (MaxBatchSize < 1)
            failures.Add("Model:MaxBatchSize must be at least 1");
        if (MaxTextBytes < 1)
            failures.Add("Model:MaxTextBytes must be at least 1");
        if (failures.Count > 0)
            throw new OptionsValidationException(Section, typeof(ModelOptions), failures);
        if (!File.Exists(Checkpoint) && !Directory.Exists(Checkpoint))
            throw new FileNotFoundException($"Model:Checkpoint {Checkpoint} does not exist; pass --Model:Checkpoint=PATH (a llama2.c .bin file or a checkpoint directory)", Checkpoint);
        if (Tokenizer.Length > 0 && !File.Exists(Tokenizer))
            throw new FileNotFoundException($"Model:Tokenizer {Tokenizer} does not exist; pass --Model:Tokenizer=FILE (a llama2.c tokenizer.bin) or leave it unset to use the checkpoint directory's own", Tokenizer);
    }
}
