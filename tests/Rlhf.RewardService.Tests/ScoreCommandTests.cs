using System.CommandLine;
using System.Globalization;
using Rlhf.Cli.Commands;
using Rlhf.Contracts;
using Rlhf.RewardService.Tests.Infrastructure;

namespace Rlhf.RewardService.Tests;

public sealed class ScoreCommandTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    [Fact]
    public async Task Score_WithKey_PrintsScoreRawAndModelAndExitsZero()
    {
        var (exit, output, error) = await Run("--url", fixture.Host.Address.ToString(), "--prompt", "Once upon a time",
            "--response", " there was a dog.", "--api-key", AuthFixture.ScoreKey, "--raw");

        Assert.True(exit == 0, error);
        var fields = output.TrimEnd().Split('\t');
        Assert.True(float.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _), output);
        Assert.StartsWith("raw=", fields[1], StringComparison.Ordinal);
        Assert.StartsWith("model=reward-a@", fields[2], StringComparison.Ordinal);
        Assert.Equal("step=0", fields[3]);
    }

    [Fact]
    public async Task Score_WrongKey_PrintsStatusAndExitsTwo()
    {
        var (exit, output, error) = await Run("--url", fixture.Host.Address.ToString(), "--prompt", "a", "--response", "b", "--api-key", "wrong");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.StartsWith("rlhf score: UNAUTHENTICATED: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_MalformedUrl_UsageErrorExitsTwo()
    {
        var (exit, _, error) = await Run("--url", "127.0.0.1:50054", "--prompt", "a", "--response", "b");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--url", error, StringComparison.Ordinal);
    }

    [Fact]
    public void StatusName_PascalCase_CanonicalUpperSnake()
    {
        Assert.Equal("RESOURCE_EXHAUSTED", ExitCodePolicy.StatusName(Grpc.Core.StatusCode.ResourceExhausted));
        Assert.Equal("OK", ExitCodePolicy.StatusName(Grpc.Core.StatusCode.OK));
        Assert.Equal("DEADLINE_EXCEEDED", ExitCodePolicy.StatusName(Grpc.Core.StatusCode.DeadlineExceeded));
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        var root = new RootCommand { ScoreCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await root.Parse(["score", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
