namespace Rlhf.Data;

/// <summary>PPO prompts cut from TinyStories openings, with a deterministic held-out split.</summary>
public static class TinyStoriesPrompts
{
    /// <summary>
    /// Reads the stories of <paramref name="path"/>, cuts one prompt per story with <paramref name="rule"/>, drops exact
    /// duplicate prompts (keeping the first), and splits them with <see cref="DataSplits.ByHash{T}"/>: a prompt goes to
    /// eval when <c>StableHash.Unit(prompt, seed) &lt; evalFraction</c>. Membership depends only on the prompt text and the seed,
    /// so it is stable when the file grows and identical prompts never straddle the split. <paramref name="maxPrompts"/>
    /// caps the train list (the first N in file order; null = all); the eval list is not capped here.
    /// </summary>
    public static PromptSet Load(string path, PromptRule rule, double evalFraction, long seed, int? maxPrompts = null)
    {
        rule.Validate();
        if (maxPrompts is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxPrompts), maxPrompts, "max_prompts must be ≥ 1");
        var stories = TinyStories.ReadStories(path);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var prompts = new List<string>();
        int withoutPrompt = 0, duplicates = 0;
        foreach (var story in stories)
        {
            var prompt = TinyStories.ExtractPrompt(story, rule);
            if (prompt is null)
                withoutPrompt++;
            else if (!seen.Add(prompt))
                duplicates++;
            else
                prompts.Add(prompt);
        }
        var split = DataSplits.ByHash(prompts, p => p, evalFraction, seed);
        var train = maxPrompts is { } max && split.Train.Count > max ? split.Train.Take(max).ToList() : split.Train;
        return new PromptSet(train, split.Eval, stories.Count, withoutPrompt, duplicates);
    }
}
