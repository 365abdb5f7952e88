namespace Rlhf.Tokenizers;

/// <summary>Loads the tokenizer of a checkpoint directory or a tokenizer file, choosing the implementation.</summary>
public static class TokenizerFiles
{
    /// <summary>
    /// Loads a tokenizer.
    /// <list type="bullet">
    /// <item>A directory: the first of <c>tokenizer.json</c> with a ByteLevel pre-tokenizer
    /// (<see cref="ByteLevelBpeTokenizer"/>), <c>tokenizer.model</c> (<see cref="SentencePieceTokenizer"/>),
    /// <c>vocab.json</c> + <c>merges.txt</c> (<see cref="ByteLevelBpeTokenizer"/>), <c>tokenizer.bin</c>
    /// (<see cref="Llama2Tokenizer"/>).</item>
    /// <item>A file, by name: <c>*.json</c> (a <c>tokenizer.json</c>, or a <c>vocab.json</c> with
    /// <c>merges.txt</c> beside it), <c>*.model</c>, <c>*.bin</c>.</item>
    /// </list>
    /// Special tokens come from the config files in the directory (the file's directory for a file):
    /// <c>special_tokens_map.json</c> over <c>tokenizer_config.json</c> (token strings; an explicit null means none),
    /// then <c>generation_config.json</c> over <c>config.json</c> (ids), then the tokenizer's own defaults. EOS ids
    /// listed by the last two become <see cref="SpecialTokenIds.StopIds"/>. llama2.c's format keeps its fixed ids.
    /// </summary>
    /// <param name="path">A checkpoint directory or a tokenizer file.</param>
    /// <exception cref="FileNotFoundException">The path does not exist, or the directory holds no tokenizer file;
    /// the message lists what was looked for.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or a configured special token is not in the
    /// vocabulary; the message names the file.</exception>
    /// <exception cref="NotSupportedException">The tokenizer is of a kind not implemented here; the message says which.</exception>
    public static ITokenizer Load(string path)
    {
        if (Directory.Exists(path))
            return LoadDirectory(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"tokenizer not found: {path} is neither a file nor a directory", path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var name = Path.GetFileName(path);
        if (name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            return Llama2Tokenizer.Load(path);
        if (name.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
            return SentencePieceTokenizer.Load(path, CheckpointConfig.Read(directory));
        if (name.Equals("vocab.json", StringComparison.OrdinalIgnoreCase))
        {
            var merges = Path.Combine(directory, "merges.txt");
            if (!File.Exists(merges))
                throw new FileNotFoundException($"{path} needs merges.txt beside it ({merges} not found)", merges);
            return ByteLevelBpeTokenizer.FromVocabAndMerges(path, merges, CheckpointConfig.Read(directory));
        }
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return ByteLevelBpeTokenizer.FromTokenizerJson(path, CheckpointConfig.Read(directory));
        throw new NotSupportedException(
            $"{path}: unknown tokenizer file; expected tokenizer.json, vocab.json (+ merges.txt), *.model (SentencePiece) or *.bin (llama2.c)");
    }

    private static ITokenizer LoadDirectory(string directory)
    {
        string In(string file) => Path.Combine(directory, file);
        var json = In("tokenizer.json");
        var hasJson = File.Exists(json);
        if (hasJson && TokenizerJson.IsByteLevel(json))
            return ByteLevelBpeTokenizer.FromTokenizerJson(json, CheckpointConfig.Read(directory));
        if (File.Exists(In("tokenizer.model")))
            return SentencePieceTokenizer.Load(In("tokenizer.model"), CheckpointConfig.Read(directory));
        if (File.Exists(In("vocab.json")) && File.Exists(In("merges.txt")))
            return ByteLevelBpeTokenizer.FromVocabAndMerges(In("vocab.json"), In("merges.txt"), CheckpointConfig.Read(directory));
        if (File.Exists(In("tokenizer.bin")))
            return Llama2Tokenizer.Load(In("tokenizer.bin"));
        if (hasJson)
            throw new NotSupportedException(
                $"{json} is not a byte-level BPE (no ByteLevel pre-tokenizer); a SentencePiece-style tokenizer.json needs its tokenizer.model beside it");
        throw new FileNotFoundException(
            $"no tokenizer in {directory}: looked for tokenizer.json, tokenizer.model, vocab.json + merges.txt, tokenizer.bin", directory);
    }
}
