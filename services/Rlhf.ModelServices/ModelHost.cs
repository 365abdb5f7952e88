using Rlhf.Engine;
using Rlhf.Tokenizers;
using Rlhf.Protos.V1;

namespace Rlhf.ModelServices;

/// <summary>
/// One served model and everything a service keeps around it: exclusive access (the backend is not thread-safe, and
/// a 2-core machine gains nothing from overlapping forwards), the training lease, the store of kept activations, the
/// tokenizer, and the model version (checkpoint id, optimizer steps, process instance id).
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly SemaphoreSlim _exclusive = new(1, 1);
    private readonly ISequenceModel _model;
    private long _step;
    private string _checkpointId;

    /// <param name="serviceName">Fully-qualified service name, e.g. <c>rlhf.v1.PolicyService</c>.</param>
    /// <param name="trainable">Whether training RPCs are accepted.</param>
    /// <param name="model">The loaded model.</param>
    /// <param name="tokenizer">Tokenizer for text requests, or null.</param>
    /// <param name="checkpointId">Identifier of the loaded checkpoint.</param>
    /// <param name="options">Limits and store budget.</param>
    /// <param name="time">Clock for the lease and the store (tests move it).</param>
    public ModelHost(string serviceName, bool trainable, ISequenceModel model, Llama2Tokenizer? tokenizer,
        string checkpointId, ModelOptions options, TimeProvider? time = null)
    {
        ServiceName = serviceName;
        Trainable = trainable;
        _model = model;
        Tokenizer = tokenizer;
        _checkpointId = checkpointId;
        Options = options;
        Lease = new TrainingLease(time);
        Store = new ForwardStateStore<KeptForward>(options.ForwardStoreBytes, TimeSpan.FromSeconds(options.ForwardExpirySeconds),
            time, kept => kept.State.Release());
        Decoder = new SequenceDecoder(model.Config, tokenizer, options.MaxBatchSize, options.MaxTextBytes);
    }

    /// <summary>Fully-qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>Whether training RPCs are accepted.</summary>
    public bool Trainable { get; }

    /// <summary>Tokenizer for text requests, or null.</summary>
    public Llama2Tokenizer? Tokenizer { get; }

    /// <summary>Limits and store budget.</summary>
    public ModelOptions Options { get; }

    /// <summary>The training lease.</summary>
    public TrainingLease Lease { get; }

    /// <summary>Activations kept for Backward.</summary>
    public ForwardStateStore<KeptForward> Store { get; }

    /// <summary>Request validation for this model's vocabulary and limits.</summary>
    public SequenceDecoder Decoder { get; private set; }

    /// <summary>Random id of this process's host, new at every start.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>The model's architecture.</summary>
    public ModelConfig Config => _model.Config;

    /// <summary>The version of the weights now served.</summary>
    public ModelVersion Version => new() { CheckpointId = _checkpointId, Step = Interlocked.Read(ref _step), InstanceId = InstanceId };

    /// <summary>Runs <paramref name="work"/> with exclusive access to the model, on the thread pool.</summary>
    public async Task<T> RunAsync<T>(Func<ISequenceModel, T> work, CancellationToken cancellationToken)
    {
        await _exclusive.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await Task.Run(() => work(_model), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _exclusive.Release();
        }
    }

    /// <summary>Counts one optimizer step (the version's <c>step</c>).</summary>
    public void OnOptimizerStep()
    {
        Interlocked.Increment(ref _step);
        Store.Clear(); // activations of the old weights cannot be back-propagated into the new ones
    }

    /// <summary>Records that new weights were loaded (call inside <see cref="RunAsync{T}"/>).</summary>
    public void OnLoaded(string checkpointId)
    {
        _checkpointId = checkpointId;
        Interlocked.Exchange(ref _step, 0);
        Store.Clear();
        Decoder = Decoder with { Config = _model.Config };
    }

    /// <summary>What GetModelInfo reports.</summary>
    public ModelInfo Info()
    {
        var c = _model.Config;
        return new ModelInfo
        {
            Service = ServiceName,
            Architecture = "llama",
            Config = new ModelArchitecture
            {
                Dim = c.Dim, HiddenDim = c.HiddenDim, NLayers = c.NLayers, NHeads = c.NHeads, NKvHeads = c.NKvHeads,
                VocabSize = c.VocabSize, MaxSeqLen = c.MaxSeqLen, TiedEmbeddings = c.TiedEmbeddings,
            },
            ParameterCount = _model.ParameterCount,
            VocabSize = c.VocabSize,
            TokenizerFingerprint = Tokenizer?.Fingerprint ?? "",
            ModelVersion = Version,
            Trainable = Trainable,
            LeaseRunId = Trainable ? Lease.Holder ?? "" : "",
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Store.Clear();
        _model.Dispose();
        _exclusive.Dispose();
    }
}
