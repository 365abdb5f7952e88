using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Rlhf.Client;
using Rlhf.Contracts;
using Grpc.Core;
using Rlhf.Configuration;
using Rlhf.Orchestration.Config;
using Rlhf.Contracts.V1;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf score --url URL --prompt TEXT --response TEXT [--api-key KEY] [--raw]</c>: scores one (prompt, response)
/// with a running RewardService and prints one line, tab-separated: the normalized score, (with <c>--raw</c>) the raw
/// score, and the model version (<c>model=&lt;checkpoint id&gt;</c>, <c>step=&lt;n&gt;</c>). The key defaults to the
/// environment variable <c>RLHF_API_KEY</c>. A failed call prints <c>rlhf score: STATUS: detail</c> on stderr and exits
/// with the status's code (<see cref="ExitCodePolicy.StatusExitCode"/>: 3 when the service is unreachable, 2 for a
/// refused key or argument); a malformed URL exits 2.
/// </summary>
public static class ScoreCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "RewardService address: http://host:port, https://host:port or dns:///name:port, e.g. http://127.0.0.1:50054", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text", Required = true };
        var response = new Option<string>("--response") { Description = "Response text", Required = true };
        var apiKey = new Option<string>("--api-key") { Description = $"API key with the 'score' scope (default: ${RlhfEnvironment.ApiKeyVariable})" };
        var raw = new Option<bool>("--raw") { Description = "Also print the raw (uncalibrated) score" };
        var timeout = new Option<double>("--timeout") { Description = "Deadline of the call, seconds", DefaultValueFactory = _ => 30 };
        var command = new Command("score", "Score a (prompt, response) pair with a running reward service.")
        {
            url, prompt, response, apiKey, raw, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var key = parse.GetValue(apiKey) is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable(RlhfEnvironment.ApiKeyVariable);
            if (!ServiceAddress.TryParse(parse.GetValue(url), out var address, out var invalid))
            {
                await error.WriteLineAsync($"rlhf score: --url: {invalid}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            var services = new ServiceCollection();
            services.AddRlhfClient<RewardService.RewardServiceClient>(ServiceCatalog.Reward, address.ToString(),
                // One interactive call: ride through a restart of a few seconds, not the 30 s a training run waits.
                new RlhfClientOptions { ApiKey = key, CircuitBreaker = false, DefaultDeadline = null, RetryPatience = TimeSpan.FromSeconds(5) });
            await using var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<RewardService.RewardServiceClient>();
            var request = new ScoreResponsesRequest { IncludeRawScores = parse.GetValue(raw) };
            request.Sequences.Add(new Sequence { PromptText = parse.GetValue(prompt) ?? "", ResponseText = parse.GetValue(response) ?? "" });
            try
            {
                var scored = await client.ScoreResponsesAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(parse.GetValue(timeout)),
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                await output.WriteLineAsync(Format(scored)).ConfigureAwait(false);
                return 0;
            }
            catch (RpcException e)
            {
                var failure = ExitCodePolicy.Classify(e);
                var hint = failure.ExitCode == ExitCodes.ServiceLost ? $" (is a RewardService running at {address}?)" : "";
                await error.WriteLineAsync($"rlhf score: {failure.Message}{hint}").ConfigureAwait(false);
                return failure.ExitCode;
            }
        });
        return command;
    }

    /// <summary>The printed line: score, optional raw score, model version.</summary>
    public static string Format(ScoreResponsesResponse scored)
    {
        ArgumentNullException.ThrowIfNull(scored);
        var line = new StringBuilder(scored.Scores[0].ToString("R", CultureInfo.InvariantCulture));
        if (scored.RawScores.Count > 0)
            line.Append("\traw=").Append(scored.RawScores[0].ToString("R", CultureInfo.InvariantCulture));
        if (scored.ModelVersion is { } version)
            line.Append("\tmodel=").Append(version.CheckpointId).Append("\tstep=").Append(version.Step.ToString(CultureInfo.InvariantCulture));
        return line.ToString();
    }
}
