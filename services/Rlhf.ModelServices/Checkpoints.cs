using System.Security.Cryptography;
using Grpc.Core;
using Rlhf.Models;
using Rlhf.Contracts;

namespace Rlhf.ModelServices;

/// <summary>Checkpoint file handling shared by the services: errors mapped to statuses, and checkpoint ids.</summary>
public static class Checkpoints
{
    /// <summary>Saves through the model, mapping file-system errors to FAILED_PRECONDITION / PERMISSION_DENIED.</summary>
    public static void Save(ISequenceModel model, string path, bool includeOptimizerState)
    {
        try
        {
            model.SaveCheckpoint(path, includeOptimizerState);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Rpc.Error(StatusCode.PermissionDenied, $"cannot write checkpoint '{path}': {e.Message}");
        }
        catch (IOException e)
        {
            throw Rpc.Error(StatusCode.FailedPrecondition, $"cannot write checkpoint '{path}': {e.Message}");
        }
    }

    /// <summary>Loads through the model, mapping a missing path to NOT_FOUND and a mismatched file to FAILED_PRECONDITION.</summary>
    public static void Load(ISequenceModel model, string path, bool loadOptimizerState)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            throw Rpc.Error(StatusCode.NotFound, $"checkpoint '{path}' does not exist");
        try
        {
            model.LoadCheckpoint(path, loadOptimizerState);
        }
        catch (InvalidDataException e)
        {
            throw Rpc.Error(StatusCode.FailedPrecondition, $"checkpoint '{path}' does not fit this model: {e.Message}");
        }
        catch (FileNotFoundException e)
        {
            throw Rpc.Error(StatusCode.NotFound, $"checkpoint '{path}' is incomplete: {e.Message}");
        }
    }

    /// <summary>
    /// The tokenizer that goes with a checkpoint: <paramref name="configured"/> (as a full path) when given, else the
    /// checkpoint directory's own <c>tokenizer.bin</c>, else null (a <c>.bin</c> file, or a directory without one).
    /// </summary>
    public static string? TokenizerPath(string checkpoint, string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
            return Path.GetFullPath(configured);
        return CheckpointFiles.TokenizerOf(checkpoint);
    }

    /// <summary>
    /// A short identifier of a checkpoint: its file or directory name and the first 8 hex digits of the SHA-256 of its
    /// weights file.
    /// </summary>
    public static string Identify(string path)
    {
        var weights = Directory.Exists(path) ? Path.Combine(path, CheckpointFiles.Weights) : path;
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        if (!File.Exists(weights))
            return name;
        using var stream = File.OpenRead(weights);
        return $"{name}@{Convert.ToHexStringLower(SHA256.HashData(stream))[..8]}";
    }
}
