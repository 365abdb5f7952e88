using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Grpc;
using Rlhf.Protos.V1;

namespace Rlhf.ModelServices;

/// <summary>
/// rlhf.v1.RewardService: one normalized score per (prompt, response), the scalar head at the last token of
/// prompt ++ response. Concurrent calls are micro-batched into one forward pass. Over-long sequences are truncated
/// keeping their end. LoadCheckpoint hot-reloads weights and calibration; in-flight calls finish on the old weights.
/// </summary>
public sealed class RewardServiceImpl : IAsyncDisposable
{
    private readonly ModelOperations _operations;
    private readonly MicroBatcher<TokenSequence, float>? _batcher;
    private volatile RewardCalibration _calibration;

    /// <param name="operations">The served reward model.</param>
    /// <param name="options">Micro-batching options.</param>
    /// <param name="calibration">Calibration of the loaded checkpoint.</param>
    /// <param name="metrics">Where batch sizes are reported; may be null.</param>
    public RewardServiceImpl(ModelOperations operations, RewardServiceOptions options, RewardCalibration calibration, RewardMetrics? metrics = null)
    {
        _operations = operations;
        _calibration = calibration;
        Metrics = metrics;
        if (options.Batching)
            _batcher = new MicroBatcher<TokenSequence, float>(ScoreBatchAsync, options.MaxBatchSize, TimeSpan.FromMilliseconds(options.MaxWaitMs),
                n => Metrics?.RecordBatch(n));
    }

    private RewardMetrics? Metrics { get; }

    /// <summary>The calibration now applied.</summary>
    public RewardCalibration Calibration => _calibration;

    /// <summary>Scores each (prompt, response).</summary>
    public async Task<ScoreResponsesResponse> ScoreResponses(ScoreResponsesRequest request, ServerCallContext context)
    {
        var batch = _operations.Host.Decoder.Decode(request.Sequences, SequenceKind.PromptAndResponse, truncateKeepEnd: true);
        IReadOnlyList<float> raw;
        if (_batcher is null)
        {
            Metrics?.RecordBatch(batch.Length);
            raw = await ScoreBatchAsync(batch, context.CancellationToken).ConfigureAwait(false);
        }
        else
        {
            raw = await _batcher.SubmitAsync(batch, context.CancellationToken).ConfigureAwait(false);
        }
        var calibration = _calibration;
        var response = new ScoreResponsesResponse { ModelVersion = _operations.Host.Version };
        foreach (var r in raw)
            response.Scores.Add((float)calibration.Normalize(r));
        if (request.IncludeRawScores)
            response.RawScores.Add(raw);
        return response;
    }

    /// <summary>Architecture, tokenizer fingerprint, version.</summary>
    public Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context) =>
        Task.FromResult(_operations.GetModelInfo());

    /// <summary>Hot-reloads weights and calibration.</summary>
    public Task<LoadCheckpointResponse> LoadCheckpoint(LoadCheckpointRequest request, ServerCallContext context) =>
        _operations.LoadCheckpointAsync(request, path =>
        {
            RewardCalibration calibration;
            try
            {
                calibration = RewardCalibration.LoadOrIdentity(path);
            }
            catch (InvalidDataException e)
            {
                throw new RpcException(StatusCode.FailedPrecondition, e.Message);
            }
            return () => _calibration = calibration;
        }, context.CancellationToken);

    private async Task<IReadOnlyList<float>> ScoreBatchAsync(IReadOnlyList<TokenSequence> batch, CancellationToken cancellationToken)
    {
        var options = new ForwardOptions { ComputeLogprobs = false };
        var (result, _) = await _operations.ForwardAsync(batch, options, "", cancellationToken).ConfigureAwait(false);
        return result.LastScalar;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _batcher?.DisposeAsync() ?? ValueTask.CompletedTask;
}
