using Rlhf.Engine;
using Rlhf.Engine.IO;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Rlhf.Contracts;
using Rlhf.Contracts.V1;
using Rlhf.ServiceDefaults.Authentication;

namespace Rlhf.ModelServices;

/// <summary>
/// rlhf.v1.RewardService: one normalized score per (prompt, response), the scalar head at the last token of
/// prompt ++ response. Concurrent calls are micro-batched into one forward pass. Over-long sequences are truncated
/// keeping their end. LoadCheckpoint hot-reloads weights and calibration; in-flight calls finish on the old weights.
/// Each forward pass reads the calibration and the model version with the weights, so a response never mixes a
/// reload's before and after. Without a usable calibration (<see cref="ServedCalibration"/>: invalid, or missing while
/// required) ScoreResponses answers FAILED_PRECONDITION and health reports NOT_SERVING.
/// </summary>
public sealed class RewardServiceImpl : RewardService.RewardServiceBase, IAsyncDisposable
{
    private readonly ModelOperations _operations;
    private readonly MicroBatcher<TokenSequence, Scored>? _batcher;

    /// <summary>The calibration of the served weights; read and swapped only with exclusive access to the model.</summary>
    private readonly ServedCalibration _calibration;

    /// <param name="operations">The served reward model.</param>
    /// <param name="options">Micro-batching options.</param>
    /// <param name="calibration">The calibration of the served weights.</param>
    /// <param name="metrics">Where batch sizes are reported; may be null.</param>
    public RewardServiceImpl(ModelOperations operations, RewardServiceOptions options, ServedCalibration calibration, RewardMetrics? metrics = null)
    {
        _operations = operations;
        _calibration = calibration;
        Metrics = metrics;
        if (options.Batching)
            _batcher = new MicroBatcher<TokenSequence, Scored>(ScoreBatchAsync, options.MaxBatchSize, TimeSpan.FromMilliseconds(options.MaxWaitMs));
    }

    private RewardMetrics? Metrics { get; }

    /// <summary>Scores each (prompt, response).</summary>
    [Authorize(Scopes.Score)]
    public override async Task<ScoreResponsesResponse> ScoreResponses(ScoreResponsesRequest request, ServerCallContext context)
    {
        _calibration.Require(); // fail fast; the forward pass reads it again with the weights
        var batch = _operations.Host.Decoder.Decode(request.Sequences, SequenceKind.PromptAndResponse, truncateKeepEnd: true);
        var scored = _batcher is null
            ? await ScoreBatchAsync(batch, context.CancellationToken).ConfigureAwait(false)
            : await _batcher.SubmitAsync(batch, context.CancellationToken).ConfigureAwait(false);
        // A request is never split across merged batches, so all its scores come from one forward pass.
        var response = new ScoreResponsesResponse { ModelVersion = scored.Count > 0 ? scored[0].Version : _operations.Host.Version };
        foreach (var s in scored)
            response.Scores.Add(s.Score);
        if (request.IncludeRawScores)
        {
            foreach (var s in scored)
                response.RawScores.Add(s.Raw);
        }
        return response;
    }

    /// <summary>Architecture, tokenizer fingerprint, version.</summary>
    [Authorize(Scopes.Score)]
    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context) =>
        Task.FromResult(_operations.GetModelInfo());

    /// <summary>Hot-reloads weights and calibration; a checkpoint whose calibration is unusable is refused with FAILED_PRECONDITION.</summary>
    [Authorize(Scopes.Train)]
    public override Task<LoadCheckpointResponse> LoadCheckpoint(LoadCheckpointRequest request, ServerCallContext context) =>
        _operations.LoadCheckpointAsync(request, path =>
        {
            var calibration = _calibration.Read(path);
            if (calibration.Problem is { } problem)
                throw Rpc.Error(StatusCode.FailedPrecondition, problem);
            return () => _calibration.Serve(calibration);
        }, context.CancellationToken);

    /// <summary>
    /// One forward pass (a request's, or a merged batch's), recorded in the batch metrics; the calibration and the
    /// version are read under the same exclusive access as the weights, so they belong to the weights that computed
    /// the raw scores even while LoadCheckpoint swaps all three.
    /// </summary>
    private Task<IReadOnlyList<Scored>> ScoreBatchAsync(IReadOnlyList<TokenSequence> batch, CancellationToken cancellationToken)
    {
        Metrics?.RecordBatch(batch.Count);
        return _operations.Host.RunAsync<IReadOnlyList<Scored>>(m =>
        {
            var raw = m.Forward(batch, new ForwardOptions { ComputeLogprobs = false }).LastScalar;
            var calibration = _calibration.Require();
            var version = _operations.Host.Version;
            var scored = new Scored[raw.Length];
            for (var i = 0; i < raw.Length; i++)
                scored[i] = new Scored(raw[i], (float)calibration.Normalize(raw[i]), version);
            return scored;
        }, cancellationToken);
    }

    /// <summary>One sequence's raw and calibrated score and the version of the weights that computed them.</summary>
    private readonly record struct Scored(float Raw, float Score, ModelVersion Version);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _batcher?.DisposeAsync() ?? ValueTask.CompletedTask;
}
