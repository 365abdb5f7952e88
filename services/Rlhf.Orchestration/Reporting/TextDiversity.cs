using Rlhf.Alignment;

namespace Rlhf.Orchestration.Reporting;

/// <summary>
/// Diversity of a set of responses, to see mode collapse (every response starting "One day …") that the mean score
/// hides. Text is split into words: maximal runs of letters, digits and apostrophes, lower-cased; punctuation is
/// dropped. N-grams never cross from one response into the next.
/// <list type="bullet">
/// <item><b>distinct-n</b> (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
/// Models", §4.3): the number of distinct n-grams over all responses divided by the number of n-grams. Li et al. divide
/// by the number of words; dividing by the number of n-grams, as most implementations do, keeps the ratio in [0, 1]
/// (1 = no n-gram repeats). It depends on how many responses are pooled: compare values over sets of equal size.</item>
/// <item><b>self-BLEU</b> (Zhu et al. 2018, "Texygen: A Benchmarking Platform for Text Generation Models", §3.2): the
/// mean over responses of the sentence BLEU-4 (Papineni et al. 2002) of that response against all the others as
/// references: clipped n-gram precisions p_1..p_4, uniform weights, the brevity penalty against the reference length
/// closest to the response's, and Chen &amp; Cherry's (2014) smoothing 1 (a zero match count becomes 0.1). A
/// response of fewer than 4 words uses the orders it has (p_1..p_len, uniform weights). 1 = every response is
/// matched by the others, 0 = none shares a word; it rises as the responses become alike.</item>
/// </list>
/// Empty responses are skipped by self-BLEU (no n-grams); with fewer than two non-empty responses it is NaN, and
/// distinct-n of a set without n-grams is NaN.
/// </summary>
public static class TextDiversity
{
    /// <summary>Highest n-gram order of BLEU.</summary>
    public const int BleuOrder = 4;

    private const double ZeroMatchSmoothing = 0.1;

    /// <summary>The diversity metrics of <paramref name="responses"/> by their <see cref="MetricNames"/> names.</summary>
    public static IReadOnlyDictionary<string, double> Metrics(IReadOnlyList<string> responses)
    {
        var words = responses.Select(Words).ToList();
        return new Dictionary<string, double>
        {
            [MetricNames.DiversityDistinct1] = DistinctN(words, 1),
            [MetricNames.DiversityDistinct2] = DistinctN(words, 2),
            [MetricNames.DiversitySelfBleu] = SelfBleu(words),
        };
    }

    /// <summary>The words of <paramref name="text"/> (see the class summary).</summary>
    public static string[] Words(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'');
            if (inWord && start < 0)
                start = i;
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return [.. words];
    }

    /// <summary>distinct-n over word lists: distinct n-grams / all n-grams; NaN without any n-gram.</summary>
    public static double DistinctN(IReadOnlyList<string[]> responses, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var words in responses)
        {
            foreach (var gram in NGrams(words, n))
            {
                distinct.Add(gram);
                total++;
            }
        }
        return total == 0 ? double.NaN : (double)distinct.Count / total;
    }

    /// <summary>Self-BLEU-4 over word lists (see the class summary); NaN with fewer than two non-empty responses.</summary>
    public static double SelfBleu(IReadOnlyList<string[]> responses)
    {
        var texts = responses.Where(w => w.Length > 0).ToList();
        if (texts.Count < 2)
            return double.NaN;
        // counts[i][n-1]: n-gram → count in response i
        var counts = texts.Select(w => Enumerable.Range(1, BleuOrder).Select(n => Count(w, n)).ToArray()).ToList();
        double sum = 0;
        for (var h = 0; h < texts.Count; h++)
        {
            var references = Enumerable.Range(0, texts.Count).Where(r => r != h).ToList();
            sum += Bleu(texts[h].Length, counts[h], references.Select(r => texts[r].Length).ToList(), references.Select(r => counts[r]).ToList());
        }
        return sum / texts.Count;
    }

    /// <summary>
    /// Sentence BLEU of one hypothesis (length <paramref name="length"/>, n-gram counts <paramref name="hypothesis"/>)
    /// against references (Papineni et al. 2002, eq. 1–2, with smoothing 1 of Chen &amp; Cherry 2014).
    /// </summary>
    private static double Bleu(int length, Dictionary<string, int>[] hypothesis, IReadOnlyList<int> referenceLengths,
        IReadOnlyList<Dictionary<string, int>[]> references)
    {
        var orders = Math.Min(BleuOrder, length);
        double logPrecision = 0;
        for (var n = 1; n <= orders; n++)
        {
            long matched = 0, total = 0;
            foreach (var (gram, count) in hypothesis[n - 1])
            {
                var maxReference = 0;
                foreach (var reference in references)
                    maxReference = Math.Max(maxReference, reference[n - 1].GetValueOrDefault(gram));
                matched += Math.Min(count, maxReference);
                total += count;
            }
            logPrecision += Math.Log((matched == 0 ? ZeroMatchSmoothing : matched) / total) / orders;
        }
        // brevity penalty against the closest reference length (the shorter one on a tie)
        var closest = referenceLengths.OrderBy(r => Math.Abs(r - length)).ThenBy(r => r).First();
        var brevity = length >= closest ? 1.0 : Math.Exp(1 - (double)closest / length);
        return brevity * Math.Exp(logPrecision);
    }

    private static Dictionary<string, int> Count(string[] words, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var gram in NGrams(words, n))
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        return counts;
    }

    private static IEnumerable<string> NGrams(string[] words, int n)
    {
        for (var i = 0; i + n <= words.Length; i++)
            yield return string.Join(' ', words, i, n);
    }
}
