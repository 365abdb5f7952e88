using System.Text.Json;

namespace Rlhf.Configuration.Runs;

/// <summary>
/// The run directory's rule for non-finite numbers: JSON has no NaN or ±∞, so they are written as <c>null</c> and
/// read back as <see cref="double.NaN"/> (±∞ therefore reads back as NaN too). Nothing is refused: a diverged run
/// still leaves a readable record.
/// </summary>
public static class JsonNumbers
{
    /// <summary>Writes <paramref name="value"/>, or null when it is not finite.</summary>
    public static void Write(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
            writer.WriteNumber(name, value);
        else
            writer.WriteNull(name);
    }

    /// <summary>A JSON number as double; null reads as NaN. False for any other kind.</summary>
    public static bool TryRead(JsonElement element, out double value)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                value = element.GetDouble();
                return true;
            case JsonValueKind.Null:
                value = double.NaN;
                return true;
            default:
                value = 0;
                return false;
        }
    }
}
