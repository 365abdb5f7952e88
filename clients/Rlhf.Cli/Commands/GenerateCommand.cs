using System.CommandLine;
using Rlhf.Engine;
using Rlhf.Engine.IO;
using Rlhf.Tokenizers;
using Rlhf.Configuration.Runs;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf generate</c>: samples a continuation of a prompt with the engine and prints only the continuation.</summary>
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
        var threads = new Option<int>("--threads") { Description = "Engine threads", DefaultValueFactory = _ => 1 };
        var command = new Command("generate", "Sample a continuation of a prompt and print only the continuation.")
        {
            model, tokenizer, prompt, temperature, topP, topK, maxNewTokens, seed, threads,
        };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(model)!;
            if (!given.Exists)
                throw new FileNotFoundException($"--model {given}: no such file or folder; give a llama2.c .bin file, a checkpoint directory or a PPO run's checkpoints/latest", given.FullName);
            var modelPath = RunDirectory.ResolveModelPath(given.FullName);
            var tokenizerPath = parse.GetValue(tokenizer)?.FullName
                ?? (Directory.Exists(modelPath) ? CheckpointDirectory.TokenizerPath(modelPath) : null)
                ?? throw new ArgumentException("--tokenizer FILE is required: the model is not a checkpoint directory with its own tokenizer.bin");
            if (!File.Exists(tokenizerPath))
                throw new FileNotFoundException($"--tokenizer {tokenizerPath}: no such file; give a llama2.c tokenizer.bin (e.g. ../shared/data/tok512.bin)", tokenizerPath);
            var tok = Llama2Tokenizer.Load(tokenizerPath);
            var llama = ModelFiles.Load(modelPath, new EngineOptions { Threads = Math.Max(1, parse.GetValue(threads)) });
            var promptIds = tok.Encode(parse.GetValue(prompt) ?? "", bos: true);
            var maxNew = Math.Min(parse.GetValue(maxNewTokens), llama.Config.MaxSeqLen - promptIds.Length);
            if (maxNew < 1)
                throw new ArgumentException($"the prompt has {promptIds.Length} tokens; the model's context is {llama.Config.MaxSeqLen}");
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
