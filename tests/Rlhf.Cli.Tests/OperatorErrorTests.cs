using System.Net;
using System.Net.Sockets;
using Rlhf.Cli.Tests.Infrastructure;
using Rlhf.Contracts;
using Rlhf.Engine.IO;

namespace Rlhf.Cli.Tests;

/// <summary>
/// Each command of the built <c>rlhf</c>, and a service host, run as processes with the common mistakes: every one
/// ends with its one-line message (what is wrong, what to do) and its documented exit code (<see cref="ExitCodes"/>),
/// and none prints a stack trace unless asked to.
/// </summary>
public sealed class OperatorErrorTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Example(string name) => Path.Combine(TestData.RepoRoot, "examples", name);

    /// <summary>A PPO config that is valid apart from <paramref name="extra"/> lines, in the temp folder.</summary>
    private string PpoConfig(string extra = "", string name = "ppo.yaml") => _temp.File(name, $"""
        iterations: 1
        batch_size: 4
        mini_batch_size: 4
        policy_model: {TestData.Data("stories260K.bin")}
        tokenizer: {TestData.Data("tok512.bin")}
        reward_model: {TestData.Data("stories260K.bin")}
        prompts:
          path: {TestData.Data("tinystories_train_head.txt")}
        {extra}
        """);

    private static void AssertFailure(ProcessResult result, int exitCode, params string[] messageParts)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}; {result}");
        var error = result.Error.TrimEnd();
        foreach (var part in messageParts)
            Assert.True(error.Contains(part, StringComparison.Ordinal), $"stderr lacks '{part}'; {result}");
        AssertNoStackTrace(result);
    }

    private static void AssertNoStackTrace(ProcessResult result)
    {
        Assert.DoesNotContain("Unhandled exception", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("\n   at ", "\n" + result.Error + result.Output, StringComparison.Ordinal);
    }

    // --- rlhf ppo ---

    [Fact]
    public async Task Ppo_MissingConfig_ExitsTwoNamingTheFile()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--config", "examples/does-not-exist.yaml");
        AssertFailure(result, ExitCodes.Usage, "rlhf ppo: config file ", "does-not-exist.yaml does not exist");
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Ppo_ConfigIsAFolder_ExitsTwoUnreadable()
    {
        // Running as root, a folder is the unreadable file that permissions cannot make.
        var result = await Processes.RlhfAsync(null, "ppo", "--config", _temp.Dir("a-folder"));
        AssertFailure(result, ExitCodes.Usage, "is a folder; give the YAML file itself");
    }

    [Fact]
    public async Task Ppo_ConfigWithoutReadPermission_ExitsTwoWhenNotRoot()
    {
        var path = PpoConfig();
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.None);
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--config", path, "--set", "iterations=abc");
        // root reads it anyway and then stops at the bad override; anyone else is refused the file.
        AssertFailure(result, ExitCodes.Usage, Environment.UserName == "root" ? "iterations: expected an integer" : "cannot be read");
    }

    [Fact]
    public async Task Ppo_ResumeMissingRun_ExitsTwoNamingTheRunDirectory()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--resume", "runs/no-such-run");
        AssertFailure(result, ExitCodes.Usage, "rlhf ppo: --resume runs/no-such-run: no such run directory", Path.Combine(_temp.Path, "runs", "no-such-run"));
        Assert.DoesNotContain("config.yaml does not exist", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Ppo_ResumeFolderThatIsNoRun_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--resume", _temp.Dir("not-a-run"));
        AssertFailure(result, ExitCodes.Usage, "is not a run directory (it has no config.yaml)");
    }

    [Fact]
    public async Task Ppo_WrongTypeInYaml_ExitsTwoNamingKeyAndLine()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--config", PpoConfig("seed: forty-two"));
        AssertFailure(result, ExitCodes.Usage, "seed: expected an integer, got 'forty-two' (ppo.yaml:9)");
    }

    [Fact]
    public async Task Ppo_MisspelledKey_ExitsTwoWithNearestKeys()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--config", PpoConfig("learning_rat: 0.1"));
        AssertFailure(result, ExitCodes.Usage, "unknown key 'learning_rat'", "nearest valid keys: learning_rate");
    }

    [Fact]
    public async Task Ppo_UnknownGateMetric_ExitsTwoBeforeTheRunStarts()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--config", PpoConfig(), "--gate", "score_gian>=1");
        AssertFailure(result, ExitCodes.Usage, "unknown metric 'score_gian'", "nearest valid metrics: score_gain");
        Assert.DoesNotContain("prompts:", result.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "runs")), "a run directory was made");
    }

    [Fact]
    public async Task Ppo_MalformedGate_ExitsTwoPointingAtIt()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--config", PpoConfig(), "--gate", "kl=<8");
        AssertFailure(result, ExitCodes.Usage, "invalid gate 'kl=<8'");
    }

    [Fact]
    public async Task Ppo_MissingTokenizer_ExitsFourNamingTheKey()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--config", PpoConfig(), "--set", "tokenizer=/no/such/tok.bin");
        AssertFailure(result, ExitCodes.DataError, "tokenizer: /no/such/tok.bin does not exist");
    }

    [Fact]
    public async Task Ppo_UnknownOption_ExitsTwoPointingAtHelp()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--confg", "x.yaml");
        AssertFailure(result, ExitCodes.Usage, "rlhf ppo: ", "--confg", "see rlhf ppo --help");
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Ppo_ResumeAndOverwrite_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "ppo", "--resume", _temp.Path, "--overwrite");
        AssertFailure(result, ExitCodes.Usage, "give only one");
    }

    // --- rlhf train-reward ---

    [Fact]
    public async Task TrainReward_MissingConfig_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "train-reward", "--config", "nope.yaml");
        AssertFailure(result, ExitCodes.Usage, "rlhf train-reward: config file ", "nope.yaml does not exist");
    }

    [Fact]
    public async Task TrainReward_MissingTrainingData_ExitsFourNamingTheKey()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "train-reward", "--config", Example("reward-sst2.yaml"),
            "--set", "dataset.train=/no/such/train.tsv", "--set", $"output_dir={_temp.Sub("rm")}");
        AssertFailure(result, ExitCodes.DataError, "dataset.train: /no/such/train.tsv does not exist");
    }

    [Fact]
    public async Task TrainReward_WrongType_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "train-reward", "--config", Example("reward-sst2.yaml"), "--set", "batch_size=1.5");
        AssertFailure(result, ExitCodes.Usage, "batch_size: expected an integer, got '1.5'");
    }

    // --- rlhf eval-reward ---

    [Fact]
    public async Task EvalReward_RunDirectoryWithTheModelOneLevelDown_IsAccepted()
    {
        // A train-reward output_dir: the checkpoint is in its model/ folder.
        var run = _temp.Dir("reward-run");
        var bin = TestData.Data("stories260K.bin");
        var parameters = ModelFiles.Load(bin).Parameters;
        CheckpointDirectory.Save(Path.Combine(run, "model"), ModelCheckpoint.ReadConfig(bin), parameters, tokenizerPath: TestData.Data("tok512.bin"));

        var result = await Processes.RlhfAsync(_temp.Path, "eval-reward", "--model", run, "--data", TestData.Data("sst2_dev.tsv"), "--max-pairs", "4");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("accuracy=", result.Output.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalReward_FolderWithoutModel_ExitsFourSayingSo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "eval-reward", "--model", _temp.Dir("empty"), "--data", TestData.Data("sst2_dev.tsv"));
        AssertFailure(result, ExitCodes.DataError, "is not a model checkpoint: it has no config.json");
    }

    [Fact]
    public async Task EvalReward_CorruptConfigJson_ExitsFour()
    {
        var model = _temp.Dir("corrupt");
        File.WriteAllText(Path.Combine(model, "config.json"), "{ not json");
        var result = await Processes.RlhfAsync(_temp.Path, "eval-reward", "--model", model, "--data", TestData.Data("sst2_dev.tsv"));
        AssertFailure(result, ExitCodes.DataError, "config.json");
    }

    [Fact]
    public async Task EvalReward_MissingData_ExitsFour()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "eval-reward", "--model", _temp.Path, "--data", "nope.tsv");
        AssertFailure(result, ExitCodes.DataError, "--data nope.tsv: no such file");
    }

    [Fact]
    public async Task EvalReward_MissingRequiredOption_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "eval-reward", "--data", "x.tsv");
        AssertFailure(result, ExitCodes.Usage, "rlhf eval-reward: ", "--model", "see rlhf eval-reward --help");
    }

    // --- rlhf generate ---

    [Fact]
    public async Task Generate_MissingModel_ExitsFour()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "generate", "--model", "nope.bin");
        AssertFailure(result, ExitCodes.DataError, "--model nope.bin: no such file or folder");
    }

    [Fact]
    public async Task Generate_BinWithoutTokenizer_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "generate", "--model", TestData.Data("stories260K.bin"));
        AssertFailure(result, ExitCodes.Usage, "--tokenizer FILE is required");
    }

    [Fact]
    public async Task Generate_TruncatedModel_ExitsFourAndVerbosePrintsTheStackTrace()
    {
        var truncated = _temp.Sub("truncated.bin");
        File.WriteAllBytes(truncated, File.ReadAllBytes(TestData.Data("stories260K.bin"))[..1000]);

        var result = await Processes.RlhfAsync(_temp.Path, "generate", "--model", truncated, "--tokenizer", TestData.Data("tok512.bin"));
        AssertFailure(result, ExitCodes.DataError, "truncated");

        var verbose = await Processes.RlhfAsync(_temp.Path, "generate", "--model", truncated, "--tokenizer", TestData.Data("tok512.bin"), "--verbose");
        Assert.Equal(ExitCodes.DataError, verbose.ExitCode);
        Assert.Contains("\n   at ", verbose.Error, StringComparison.Ordinal);
    }

    // --- rlhf score ---

    [Fact]
    public async Task Score_NoServiceAtTheUrl_ExitsThree()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "score", "--url", $"http://127.0.0.1:{HeldPort.Free()}", "--prompt", "a", "--response", "b", "--timeout", "60");
        AssertFailure(result, ExitCodes.ServiceLost, "rlhf score: UNAVAILABLE: ", "is a RewardService running at");
    }

    [Fact]
    public async Task Score_MalformedUrl_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "score", "--url", "127.0.0.1:50054", "--prompt", "a", "--response", "b");
        AssertFailure(result, ExitCodes.Usage, "--url: '127.0.0.1:50054' is not a service address");
    }

    // --- rlhf up and the hosts ---

    [Fact]
    public async Task Up_MissingFile_ExitsTwo()
    {
        var result = await Processes.RlhfAsync(_temp.Path, "up", "--config", "nope.yaml");
        AssertFailure(result, ExitCodes.Usage, "rlhf up: config file ", "nope.yaml does not exist");
    }

    [Fact]
    public async Task Up_PortInUse_ExitsTwoWithTheHostsLine()
    {
        using var held = new HeldPort();
        var yaml = _temp.File("up.yaml", $$"""
            services:
              policy: { port: {{held.Port}}, checkpoint: {{TestData.Data("stories260K.bin")}}, tokenizer: {{TestData.Data("tok512.bin")}} }
            """);
        var result = await Processes.RlhfAsync(null, "up", "--config", yaml);
        AssertFailure(result, ExitCodes.Usage, "policy exited with code 2 before it was SERVING",
            $"Rlhf.PolicyService: Failed to bind to address http://127.0.0.1:{held.Port}: address already in use");
    }

    [Fact]
    public async Task Host_MissingTokenizer_ExitsFourInOneLine()
    {
        var result = await Processes.HostAsync("Rlhf.PolicyService", "--urls", $"http://127.0.0.1:{HeldPort.Free()}",
            $"--Model:Checkpoint={TestData.Data("stories260K.bin")}", "--Model:Tokenizer=/no/such/tok.bin");
        AssertFailure(result, ExitCodes.DataError, "Rlhf.PolicyService: Model:Tokenizer /no/such/tok.bin does not exist; pass --Model:Tokenizer=FILE");
        Assert.Single(result.Error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Host_PortInUse_ExitsTwoWithoutStackTrace()
    {
        using var held = new HeldPort();
        var result = await Processes.HostAsync("Rlhf.ReferenceService", "--urls", $"http://127.0.0.1:{held.Port}",
            $"--Model:Checkpoint={TestData.Data("stories260K.bin")}");
        AssertFailure(result, ExitCodes.Usage, "address already in use: another process holds the port");
        Assert.DoesNotContain("Hosting failed to start", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_SettingOfTheWrongType_ExitsTwo()
    {
        var result = await Processes.HostAsync("Rlhf.RewardService", "--urls", $"http://127.0.0.1:{HeldPort.Free()}",
            $"--Model:Checkpoint={TestData.Data("stories260K.bin")}", "--Model:Threads=two");
        AssertFailure(result, ExitCodes.Usage, "Rlhf.RewardService: Failed to convert configuration value 'two' at 'Model:Threads'");
    }

    [Fact]
    public async Task Host_MissingCheckpoint_ExitsFour()
    {
        var result = await Processes.HostAsync("Rlhf.CriticService", "--urls", $"http://127.0.0.1:{HeldPort.Free()}", "--Model:Checkpoint=/no/such/model");
        AssertFailure(result, ExitCodes.DataError, "Model:Checkpoint /no/such/model does not exist");
    }

    [Fact]
    public async Task Host_TruncatedCheckpoint_ExitsFourNamingTheFile()
    {
        var truncated = _temp.Sub("truncated.bin");
        File.WriteAllBytes(truncated, File.ReadAllBytes(TestData.Data("stories260K.bin"))[..1000]);
        var result = await Processes.HostAsync("Rlhf.PolicyService", "--urls", $"http://127.0.0.1:{HeldPort.Free()}", $"--Model:Checkpoint={truncated}");
        AssertFailure(result, ExitCodes.DataError, $"rlhf.v1.PolicyService: cannot load {truncated}: ", "truncated");
    }

    [Fact]
    public async Task Host_OrchestratorWithMissingBaseConfig_ExitsTwo()
    {
        var result = await Processes.HostAsync("Rlhf.OrchestratorService", "--urls", $"http://127.0.0.1:{HeldPort.Free()}",
            "--Orchestrator:BaseConfig=/no/such/ppo.yaml");
        AssertFailure(result, ExitCodes.Usage, "Rlhf.OrchestratorService: Orchestrator:BaseConfig '/no/such/ppo.yaml' does not exist");
    }

    // --- help ---

    [Theory]
    [InlineData("--help")]
    [InlineData("ppo", "--help")]
    [InlineData("eval-reward", "--help")]
    public async Task Help_ListsEveryExitCode(params string[] args)
    {
        var result = await Processes.RlhfAsync(_temp.Path, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Exit codes:", result.Output, StringComparison.Ordinal);
        foreach (var (code, meaning) in ExitCodes.All)
            Assert.Contains($"  {code,-4}{meaning}", result.Output, StringComparison.Ordinal);
    }

    /// <summary>A loopback port held open by a listener (a port in use), or one that was free a moment ago.</summary>
    private sealed class HeldPort : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public HeldPort() => _listener.Start();

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static int Free()
        {
            using var held = new HeldPort();
            return held.Port;
        }

        public void Dispose() => _listener.Stop();
    }
}
