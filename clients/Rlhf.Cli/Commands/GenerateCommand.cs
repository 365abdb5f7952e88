using System.CommandLine;
using Rlhf.Engine.IO;
using Rlhf.Models;
using Rlhf.Models.Native;
using Rlhf.Models.Torch;
using Rlhf.Tokenizers;
using Rlhf.Configuration.Runs;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf generate</c>: samples a continuation of a prompt on a model backend (<c>--backend native|torch</c>,
/// <c>--device</c>) and prints only the continuation. A backend or device that cannot run here exits 2 with one line (ExitCodePolicy).
/// </summary>
public static class GenerateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new Option<FileSystemInfo>("--model") { Description = "Model: a llama2.c .bin file, a checkpoint directory, or a PPO run's checkpoints/iter-NNNN or checkpoints/latest (its policy)", Required = true };
        var tokenizer = new Option<FileInfo>("--tokenizer") { Description = "llama2.c tokenizer.bin (default: the checkpoint directory's own)" };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text (\"\" starts from BOS alone)", DefaultValueFactory = _ => "" };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => 1f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling threshold in (0, 1]", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens; 0 disables", DefaultValueFactory = _ => 0 };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 256 };
        var seed = new Option<ulong>("--seed") { Description = "RNG seed", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads") { Description = "Backend threads", DefaultValueFactory = _ => 1 };
        var backend = new Option<string>("--backend") { Description = "Model backend: native (the CPU engine) or torch (TorchSharp)", DefaultValueFactory = _ => "native" };
        var device = new Option<string>("--device") { Description = "Device: cpu, cuda or cuda:N (torch only)", DefaultValueFactory = _ => "cpu" };
        var command = new Command("generate", "Sample a continuation of a prompt and print only the continuation.")
        {
            model, tokenizer, prompt, temperature, topP, topK, maxNewTokens, seed, threads, backend, device,
        };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(model)!;
            if (!given.Exists)
                throw new FileNotFoundException($"--model {given}: no such file or folder; give a llama2.c .bin file, a checkpoint directory or a PPO run's checkpoints/latest", given.FullName);
            var modelPath = RunDirectory.ResolveModelPath(given.FullName);
            var tokenizerPath = parse.GetValue(tokenizer)?.FullName
                ?? (Directory.Exists(modelPath) ? CheckpointFiles.TokenizerOf(modelPath) : null)
                ?? throw new ArgumentException("--tokenizer FILE is required: the model is not a checkpoint directory with its own tokenizer.bin");
            if (!File.Exists(tokenizerPath))
                throw new FileNotFoundException($"--tokenizer {tokenizerPath}: no such file; give a llama2.c tokenizer.bin (e.g. ../shared/data/tok512.bin)", tokenizerPath);
            var tok = Llama2Tokenizer.Load(tokenizerPath);
            using var llama = ModelBackends.Select([new NativeBackend(), new TorchBackend()], parse.GetValue(backend) ?? "native").Load(modelPath,
                new ModelLoadOptions { Threads = Math.Max(1, parse.GetValue(threads)), Device = parse.GetValue(device) ?? "cpu" });
            var promptIds = tok.Encode(parse.GetValue(prompt) ?? "", bos: true);
            var maxNew = Math.Min(parse.GetValue(maxNewTokens), llama.Architecture.MaxSeqLen - promptIds.Length);
            if (maxNew < 1)
                throw new ArgumentException($"the prompt has {promptIds.Length} tokens; the model's context is {llama.Architecture.MaxSeqLen}");
            var result = llama.Generate([promptIds], new GenerationOptions
            {
                MaxNewTokens = maxNew,
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
            })[0];
            var previous = promptIds[^1];
            using var stdout = Console.OpenStandardOutput();
            foreach (var id in result.ResponseIds)
            {
                if (id is Llama2Tokenizer.EosId)
                    break;
                stdout.Write(tok.DecodePiece(previous, id));
                previous = id;
            }
            return Rlhf.Contracts.ExitCodes.Success;
        });
        return command;
    }
}
