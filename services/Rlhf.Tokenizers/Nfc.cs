using System.Runtime.InteropServices;
using System.Text;

namespace Rlhf.Tokenizers;

/// <summary>
/// Unicode NFC normalization that also works under <c>InvariantGlobalization</c> (this repository's setting), where
/// <see cref="string.Normalize(NormalizationForm)"/> silently returns non-ASCII text unchanged. It then calls ICU's
/// <c>unorm2</c> directly (libicuuc, which .NET itself uses when globalization is on; Debian's libicu72).
/// </summary>
internal static unsafe class Nfc
{
    private static readonly bool s_runtimeNormalizes = "e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9";
    private static readonly Lazy<Icu?> s_icu = new(Icu.TryLoad);

    /// <summary>The NFC form of <paramref name="text"/>.</summary>
    /// <exception cref="PlatformNotSupportedException">The text has characters from U+0300 on, globalization is
    /// invariant and no ICU library can be loaded.</exception>
    public static string Normalize(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\u0300', '\uFFFF'))
            return text; // nothing below U+0300 composes with what precedes it or decomposes
        if (s_runtimeNormalizes)
            return text.Normalize(NormalizationForm.FormC);
        var icu = s_icu.Value ?? throw new PlatformNotSupportedException(
            "NFC normalization (the tokenizer.json's normalizer) needs ICU: this process runs with InvariantGlobalization and no libicuuc.so.N could be loaded (Debian: apt-get install libicu72)");
        return icu.Normalize(text);
    }

    private sealed class Icu
    {
        private const int BufferOverflowError = 15; // U_BUFFER_OVERFLOW_ERROR
        private readonly nint _nfc;
        private readonly delegate* unmanaged<nint, char*, int, char*, int, int*, int> _normalize;

        private Icu(nint nfc, delegate* unmanaged<nint, char*, int, char*, int, int*, int> normalize)
        {
            _nfc = nfc;
            _normalize = normalize;
        }

        /// <summary>Loads the newest libicuuc.so.N (N = 50…99) and its version-suffixed unorm2 functions.</summary>
        public static Icu? TryLoad()
        {
            for (var version = 99; version >= 50; version--)
            {
                if (!NativeLibrary.TryLoad($"libicuuc.so.{version}", out var library))
                    continue;
                if (NativeLibrary.TryGetExport(library, $"unorm2_getNFCInstance_{version}", out var getInstance)
                    && NativeLibrary.TryGetExport(library, $"unorm2_normalize_{version}", out var normalize))
                {
                    var error = 0;
                    var nfc = ((delegate* unmanaged<int*, nint>)getInstance)(&error);
                    if (error <= 0 && nfc != 0)
                        return new Icu(nfc, (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)normalize);
                }
                NativeLibrary.Free(library);
            }
            return null;
        }

        public string Normalize(string text)
        {
            var capacity = text.Length + 16;
            while (true)
            {
                var buffer = new char[capacity];
                var error = 0;
                int length;
                fixed (char* source = text)
                fixed (char* destination = buffer)
                    length = _normalize(_nfc, source, text.Length, destination, capacity, &error);
                if (error == BufferOverflowError)
                {
                    capacity = length;
                    continue;
                }
                if (error > 0)
                    throw new InvalidOperationException($"ICU unorm2_normalize failed with error {error}");
                return new string(buffer, 0, length);
            }
        }
    }
}
