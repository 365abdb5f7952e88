using System.Globalization;
using System.Text;

namespace Rlhf.Configuration;

/// <summary>The snake_case spelling of config keys and enum values (TRL style: <c>KlCoef</c> → <c>kl_coef</c>).</summary>
public static class ConfigNames
{
    /// <summary>Formats a config value the way YAML and messages show it.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        Enum e => ToSnakeCase(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// PascalCase → snake_case: an underscore goes before each upper-case letter that follows a lower-case letter or a
    /// digit, then everything is lower-cased (<c>MaxNewTokens</c> → <c>max_new_tokens</c>, <c>K1</c> → <c>k1</c>).
    /// </summary>
    public static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])))
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The snake_case names of an enum's values, in declaration order.</summary>
    public static IReadOnlyList<string> EnumValues(Type enumType) =>
        [.. Enum.GetNames(enumType).Select(ToSnakeCase)];

    /// <summary>
    /// The <paramref name="count"/> candidates closest to <paramref name="key"/> by Levenshtein distance (ties in
    /// candidate order), for "did you mean" messages.
    /// </summary>
    public static IReadOnlyList<string> Nearest(string key, IEnumerable<string> candidates, int count = 3) =>
        [.. candidates.Select((c, i) => (c, i, d: Levenshtein(key, c))).OrderBy(t => t.d).ThenBy(t => t.i).Take(count).Select(t => t.c)];

    /// <summary>Edit distance (insertions, deletions, substitutions) between two strings.</summary>
    public static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
