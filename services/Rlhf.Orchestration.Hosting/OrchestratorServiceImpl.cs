using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Logging;
using Rlhf.ModelServices;
using Rlhf.ServiceDefaults.Authentication;
using Grpc.Core;
using Rlhf.Contracts;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Orchestration.Gates;
using Rlhf.Configuration.Runs;
using Rlhf.Orchestration.Training;
using Rlhf.Contracts.V1;

namespace Rlhf.Orchestration.Hosting;

/// <summary>
/// rlhf.v1.OrchestratorService: starts PPO/GRPO/RLOO runs in the background (<see cref="PpoRun"/> in a
/// <see cref="RunEnvironment"/>: in-process model services for empty URLs, else the given ones), reports their state,
/// streams their iteration metrics, cancels them, and lists them newest first. Runs live in memory (their run
/// directories stay on disk; a restarted orchestrator resumes one with <c>resume_from</c>).
/// Errors: NOT_FOUND (unknown run), ALREADY_EXISTS (run id in use), INVALID_ARGUMENT (config keys and values, gates,
/// page tokens), FAILED_PRECONDITION (resume_from without a checkpoint, cancelling an ended run).
/// </summary>
public sealed partial class OrchestratorServiceImpl : OrchestratorService.OrchestratorServiceBase, IAsyncDisposable
{
    /// <summary>Default page size of ListRuns.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>Largest page size of ListRuns (larger requests are reduced to it).</summary>
    public const int MaxPageSize = 500;

    private readonly OrchestratorOptions _options;
    private readonly EmbeddedHosts _hosts;
    private readonly ILogger<OrchestratorServiceImpl> _logger;
    private readonly ConcurrentDictionary<string, RunRecord> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _tasks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots;
    private readonly TimeProvider _time;
    private long _sequence;

    /// <param name="options">The <c>Orchestrator</c> section.</param>
    /// <param name="hosts">The model services' compositions, for runs that host some of them in this process.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="time">Clock of create_time (tests pass a fake).</param>
    public OrchestratorServiceImpl(OrchestratorOptions options, EmbeddedHosts hosts, ILogger<OrchestratorServiceImpl> logger, TimeProvider? time = null)
    {
        _hosts = hosts;
        options.Validate();
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _slots = new SemaphoreSlim(options.MaxConcurrentRuns);
    }

    /// <summary>Starts a run in the background and returns it (PENDING).</summary>
    [Authorize(Scopes.Train)]
    public override Task<Run> StartRun(StartRunRequest request, ServerCallContext context)
    {
        var runId = request.RunId.Length > 0 ? request.RunId : $"run-{_time.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        if (runId.Length > 128 || runId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            ThrowInvalidArgument($"run_id must be at most 128 characters of [A-Za-z0-9._-] (got '{runId}')");
        var (config, gates) = LoadConfig(request, runId);
        var resume = request.ResumeFrom.Length > 0;
        if (resume && new RunDirectory(config.OutputDir).LatestCheckpoint() is null)
            ThrowFailedPrecondition($"resume_from '{request.ResumeFrom}' has no checkpoint to resume from");
        if (!File.Exists(config.Prompts.Path))
            ThrowFailedPrecondition($"prompts.path '{config.Prompts.Path}' does not exist on the orchestrator");
        if (RewardModelProblem(config) is { } rewardProblem)
            ThrowFailedPrecondition(rewardProblem);

        var record = new RunRecord(runId, Interlocked.Increment(ref _sequence), RunConfigMapping.FromPpoConfig(config, request.Config?.Extra),
            config.OutputDir, _time.GetUtcNow());
        if (!_runs.TryAdd(runId, record))
            ThrowAlreadyExists($"run '{runId}' already exists");
        Log.RunStarted(_logger, runId, config.OutputDir, resume);
        var pending = record.Snapshot();
        _tasks[runId] = Task.Run(() => ExecuteAsync(record, config, gates, resume));
        return Task.FromResult(pending);
    }

    /// <summary>The current state of a run.</summary>
    [Authorize(Scopes.Train)]
    public override Task<Run> GetRun(GetRunRequest request, ServerCallContext context) => Task.FromResult(Find(request.RunId).Snapshot());

    /// <summary>Streams the finished iterations (first those already finished), until the run ends.</summary>
    [Authorize(Scopes.Train)]
    public override async Task WatchRun(WatchRunRequest request, IServerStreamWriter<IterationMetrics> responseStream, ServerCallContext context)
    {
        var record = Find(request.RunId);
        var sent = 0;
        while (true)
        {
            var (iterations, finished, changed) = record.ReadFrom(sent);
            foreach (var metrics in iterations)
                await responseStream.WriteAsync(metrics, context.CancellationToken).ConfigureAwait(false);
            sent += iterations.Count;
            if (finished)
                return;
            await changed.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Requests cancellation; the run ends CANCELLED at its next stage boundary.</summary>
    [Authorize(Scopes.Train)]
    public override Task<Run> CancelRun(CancelRunRequest request, ServerCallContext context)
    {
        var record = Find(request.RunId);
        if (record.IsFinished)
            ThrowFailedPrecondition($"run '{record.RunId}' has already ended ({record.Snapshot().State})");
        record.Cancellation.Cancel();
        Log.RunCancelRequested(_logger, record.RunId);
        return Task.FromResult(record.Snapshot());
    }

    /// <summary>Runs, newest first, a page at a time.</summary>
    [Authorize(Scopes.Train)]
    public override Task<ListRunsResponse> ListRuns(ListRunsRequest request, ServerCallContext context)
    {
        if (request.PageSize < 0)
            ThrowInvalidArgument($"page_size must be ≥ 0 (got {request.PageSize})");
        var pageSize = request.PageSize == 0 ? DefaultPageSize : Math.Min(request.PageSize, MaxPageSize);
        var before = request.PageToken.Length == 0 ? long.MaxValue : ParsePageToken(request.PageToken);
        var page = _runs.Values.Where(r => r.Sequence < before).OrderByDescending(r => r.Sequence).Take(pageSize + 1).ToList();
        var response = new ListRunsResponse();
        response.Runs.Add(page.Take(pageSize).Select(r => r.Snapshot()));
        if (page.Count > pageSize)
            response.NextPageToken = Convert.ToBase64String(Encoding.UTF8.GetBytes($"before:{page[pageSize - 1].Sequence}"));
        return Task.FromResult(response);
    }

    /// <summary>Waits for a run's background work to end (tests, shutdown).</summary>
    public Task WaitAsync(string runId) => _tasks.TryGetValue(runId, out var task) ? task : Task.CompletedTask;

    /// <summary>Cancels every run still going and waits for them to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var record in _runs.Values)
            record.Cancellation.Cancel();
        await Task.WhenAll(_tasks.Values).ConfigureAwait(false);
        foreach (var record in _runs.Values)
            record.Cancellation.Dispose();
        _slots.Dispose();
    }

    private (PpoConfig Config, IReadOnlyList<Gate> Gates) LoadConfig(StartRunRequest request, string runId)
    {
        try
        {
            var wire = request.Config ?? new RunConfig();
            var overrides = new List<string>();
            foreach (var (key, url) in new[] { ("policy_url", _options.PolicyUrl), ("reference_url", _options.ReferenceUrl), ("critic_url", _options.CriticUrl), ("reward_url", _options.RewardUrl) })
            {
                if (url.Length > 0)
                    overrides.Add($"{key}={url}");
            }
            overrides.Add($"output_dir={Path.Combine(Path.GetFullPath(_options.RunsDirectory), runId)}");
            overrides.AddRange(RunConfigMapping.ToOverrides(wire));
            if (request.ResumeFrom.Length > 0)
                overrides.Add($"output_dir={request.ResumeFrom}");
            var config = _options.BaseConfig.Length > 0
                ? ConfigLoader.Load<PpoConfig>(_options.BaseConfig, overrides, Environment.CurrentDirectory)
                : ConfigLoader.Parse<PpoConfig>("", Environment.CurrentDirectory, overrides, Environment.CurrentDirectory, "defaults");
            return (config, GateEvaluator.ParseAll(request.Gates, SummaryKeys.All));
        }
        catch (ConfigException e)
        {
            ThrowInvalidArgument(e.Message.ReplaceLineEndings("; "));
            throw;
        }
        catch (GateParseException e)
        {
            ThrowInvalidArgument(e.Message);
            throw;
        }
    }

    private static string? RewardModelProblem(PpoConfig config)
    {
        try
        {
            return RewardModelBootstrap.Problem(config);
        }
        catch (Exception e) when (e is ConfigException or FileNotFoundException)
        {
            return $"reward_config '{config.RewardConfig}': {e.Message.ReplaceLineEndings("; ")}";
        }
    }

    private async Task ExecuteAsync(RunRecord record, PpoConfig config, IReadOnlyList<Gate> gates, bool resume)
    {
        var cancellationToken = record.Cancellation.Token;
        var slot = false;
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            slot = true;
            record.MarkRunning();
            var progress = new ProgressReporter(line => Log.RunProgress(_logger, record.RunId, line));
            await using var environment = await RunEnvironment.StartAsync(config, _hosts, apiKey: null, progress, cancellationToken).ConfigureAwait(false);
            var result = await environment.RunAsync(
                new PpoRunOptions(RunId: record.RunId, Gates: gates, Resume: resume,
                    Progress: line => Log.RunProgress(_logger, record.RunId, line),
                    IterationCompleted: record.AddIteration),
                cancellationToken).ConfigureAwait(false);
            record.Complete(result.Summary, result.Gates);
            Log.RunEnded(_logger, record.RunId, record.Snapshot().State.ToString());
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            record.MarkCancelled();
            Log.RunEnded(_logger, record.RunId, "Cancelled");
        }
        catch (Exception e)
        {
            record.Fail(e is RpcException rpc ? rpc.Status.Detail : e.Message);
            Log.RunFailed(_logger, record.RunId, e);
        }
        finally
        {
            if (slot)
                _slots.Release();
        }
    }

    private RunRecord Find(string runId)
    {
        if (runId.Length == 0)
            ThrowInvalidArgument("run_id is required");
        if (!_runs.TryGetValue(runId, out var record))
            throw Rpc.Error(StatusCode.NotFound, $"run '{runId}' not found");
        return record;
    }

    private static long ParsePageToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            if (text.StartsWith("before:", StringComparison.Ordinal) && long.TryParse(text.AsSpan(7), out var before))
                return before;
        }
        catch (FormatException)
        {
        }
        ThrowInvalidArgument("page_token is not a token from a previous ListRuns response");
        return 0;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowInvalidArgument(string message) => throw Rpc.Error(StatusCode.InvalidArgument, message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowFailedPrecondition(string message) => throw Rpc.Error(StatusCode.FailedPrecondition, message);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowAlreadyExists(string message) => throw Rpc.Error(StatusCode.AlreadyExists, message);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "run {RunId} started in {OutputDir} (resume: {Resume})")]
        public static partial void RunStarted(ILogger logger, string runId, string outputDir, bool resume);

        [LoggerMessage(3, LogLevel.Information, "run {RunId}: {Line}")]
        public static partial void RunProgress(ILogger logger, string runId, string line);

        [LoggerMessage(4, LogLevel.Information, "run {RunId} ended {State}")]
        public static partial void RunEnded(ILogger logger, string runId, string state);

        [LoggerMessage(5, LogLevel.Warning, "run {RunId} failed")]
        public static partial void RunFailed(ILogger logger, string runId, Exception exception);

        [LoggerMessage(6, LogLevel.Information, "run {RunId}: cancellation requested")]
        public static partial void RunCancelRequested(ILogger logger, string runId);
    }
}
