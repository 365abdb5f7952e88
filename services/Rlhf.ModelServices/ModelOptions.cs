using Microsoft.Extensions.Options;

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

    /// <summary>Engine threads (GEMM and attention). 0 = all cores.</summary>
    public int Threads { get; set; }

    /// <summary>Budget for activations kept for Backward, bytes. Default 2 GiB.</summary>
    public long ForwardStoreBytes { get; set; } = 2L << 30;

    /// <summary>Lifetime of kept activations, seconds. Default 600.</summary>
    public int ForwardExpirySeconds { get; set; } = 600;

    /// <summary>Most sequences in one request. Default 512.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>Longest prompt or response text accepted, UTF-8 bytes. Default 16384.</summary>
    public int MaxTextBytes { get; set; } = 16384;

    /// <summary>Checks the options before the host starts; each message names the key and what to do.</summary>
    /// <exception cref="OptionsValidationException">A value is unusable (exit code 2).</exception>
    /// <exception cref="FileNotFoundException">The checkpoint or the tokenizer does not exist (exit code 4).</exception>
    public void Validate()
    {
        var failures = new List<string>();
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
