using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;
using Rlhf.Models;
using Rlhf.Tokenizers;
using ModelInfo = Rlhf.Contracts.V1.ModelInfo;

namespace Rlhf.ModelServices;

/// <summary>
/// One served model and everything a service keeps around it: exclusive access (the backend is not thread-safe, and
/// a 2-core machine gains nothing from overlapping forwards), the training lease, the store of kept activations, the
/// tokenizer, and the model version (checkpoint id, optimizer steps, process instance id). The model is loaded after
/// the server starts (<see cref="Load"/>, run by <see cref="ModelLoader"/>): until then every call is UNAVAILABLE and
/// health reports NOT_SERVING.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly SemaphoreSlim _exclusive = new(1, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly IModelBackend _backend;
    private Loaded? _loaded;
    private long _step;

    /// <param name="serviceName">Fully-qualified service name, e.g. <c>rlhf.v1.PolicyService</c>.</param>
    /// <param name="trainable">Whether training RPCs are accepted.</param>
    /// <param name="options">What to load, limits and store budget.</param>
    /// <param name="backend">The backend <see cref="ModelOptions.Backend"/> names.</param>
    /// <param name="time">Clock for the lease and the store (tests move it).</param>
    public ModelHost(string serviceName, bool trainable, ModelOptions options, IModelBackend backend, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
        ServiceName = serviceName;
        Trainable = trainable;
        Options = options;
        _time = time ?? TimeProvider.System;
        Lease = new TrainingLease(_time);
        Store = new ForwardStateStore<KeptForward>(options.ForwardStoreBytes, TimeSpan.FromSeconds(options.ForwardExpirySeconds),
            _time, kept => kept.State.Release());
    }

    /// <summary>Fully-qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>Whether training RPCs are accepted.</summary>
    public bool Trainable { get; }

    /// <summary>What to load, limits and store budget.</summary>
    public ModelOptions Options { get; }

    /// <summary>The training lease.</summary>
    public TrainingLease Lease { get; }

    /// <summary>Activations kept for Backward.</summary>
    public ForwardStateStore<KeptForward> Store { get; }

    /// <summary>Random id of this process's host, new at every start.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Completes when the model is loaded; faults with the load's error.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Whether the model is loaded.</summary>
    public bool IsLoaded => Volatile.Read(ref _loaded) is not null;

    /// <summary>Tokenizer for text requests, or null.</summary>
    public Llama2Tokenizer? Tokenizer => Require().Tokenizer;

    /// <summary>Request validation for this model's vocabulary and limits.</summary>
    public SequenceDecoder Decoder => Require().Decoder;

    /// <summary>The model's architecture.</summary>
    public Rlhf.Models.ModelArchitecture Config => Require().Model.Architecture;

    /// <summary>The version of the weights now served.</summary>
    public ModelVersion Version => new() { CheckpointId = Require().CheckpointId, Step = Interlocked.Read(ref _step), InstanceId = InstanceId };

    /// <summary>
    /// Loads <see cref="ModelOptions.Checkpoint"/> (and its tokenizer) on the configured backend, device and dtype with
    /// <see cref="ModelOptions.Threads"/> threads, and marks the host ready.
    /// </summary>
    /// <exception cref="ModelBackendUnavailableException">The backend cannot run the device or dtype here (the message names what is missing).</exception>
    /// <exception cref="FileNotFoundException">The checkpoint or tokenizer does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (named in the message).</exception>
    public void Load()
    {
        try
        {
            var checkpoint = Path.GetFullPath(Options.Checkpoint);
            var tokenizerPath = Checkpoints.TokenizerPath(checkpoint, Options.Tokenizer);
            var tokenizer = tokenizerPath is null ? null : Llama2Tokenizer.Load(tokenizerPath);
            var model = _backend.Load(checkpoint, Options.ToLoadOptions(tokenizerPath, tokenizer?.Fingerprint ?? ""));
            Volatile.Write(ref _loaded, new Loaded(model, tokenizer, Checkpoints.Identify(checkpoint),
                new SequenceDecoder(model.Architecture, tokenizer, Options.MaxBatchSize, Options.MaxTextBytes)));
            _ready.TrySetResult();
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> with exclusive access to the model, on the thread pool.</summary>
    /// <exception cref="RpcException">UNAVAILABLE while the model is still loading.</exception>
    public async Task<T> RunAsync<T>(Func<ISequenceModel, T> work, CancellationToken cancellationToken)
    {
        var loaded = Require();
        await _exclusive.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await Task.Run(() => work(loaded.Model), CancellationToken.None).ConfigureAwait(false);
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
        var loaded = Require();
        Interlocked.Exchange(ref _step, 0);
        Store.Clear();
        Volatile.Write(ref _loaded, loaded with { CheckpointId = checkpointId, Decoder = loaded.Decoder with { Config = loaded.Model.Architecture } });
    }

    /// <summary>What GetModelInfo reports.</summary>
    public ModelInfo Info()
    {
        var loaded = Require();
        var c = loaded.Model.Architecture;
        var info = loaded.Model.Info;
        return new ModelInfo
        {
            Service = ServiceName,
            Architecture = c.ModelType,
            Config = new Rlhf.Contracts.V1.ModelArchitecture
            {
                Dim = c.Dim, HiddenDim = c.HiddenDim, NLayers = c.NLayers, NHeads = c.NHeads, NKvHeads = c.NKvHeads,
                VocabSize = c.VocabSize, MaxSeqLen = c.MaxSeqLen, TiedEmbeddings = c.TiedEmbeddings,
            },
            ParameterCount = info.ParameterCount,
            VocabSize = c.VocabSize,
            TokenizerFingerprint = loaded.Tokenizer?.Fingerprint ?? "",
            ModelVersion = Version,
            Trainable = Trainable,
            LeaseRunId = Trainable ? Lease.Holder ?? "" : "",
            Backend = info.Backend,
            Device = info.Device,
            Dtype = info.Dtype == ModelDtype.BFloat16 ? "bfloat16" : "float32",
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Store.Clear();
        _loaded?.Model.Dispose();
        _exclusive.Dispose();
    }

    private Loaded Require() => Volatile.Read(ref _loaded)
        ?? throw Rpc.Error(StatusCode.Unavailable, $"{ServiceName} is still loading its model ({Options.Checkpoint}); retry shortly");

    private sealed record Loaded(ISequenceModel Model, Llama2Tokenizer? Tokenizer, string CheckpointId, SequenceDecoder Decoder);
}
