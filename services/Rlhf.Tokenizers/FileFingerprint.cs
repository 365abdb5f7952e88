using System.Security.Cryptography;

namespace Rlhf.Tokenizers;

/// <summary>The <see cref="ITokenizer.Fingerprint"/> formula: the first 16 lowercase hex characters of a SHA-256.</summary>
internal static class FileFingerprint
{
    /// <summary>Fingerprint of bytes in memory.</summary>
    public static string Of(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data))[..16];

    /// <summary>Fingerprint of the concatenated contents of <paramref name="paths"/>, in order.</summary>
    public static string OfFiles(params string[] paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in paths)
            hash.AppendData(File.ReadAllBytes(path));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
