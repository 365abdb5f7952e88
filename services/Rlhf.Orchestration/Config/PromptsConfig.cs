using Rlhf.Configuration;
using System.ComponentModel;
using Rlhf.Data;

namespace Rlhf.Orchestration.Config;

/// <summary>The PPO prompt source (section <c>prompts</c>): TinyStories openings with a held-out split.</summary>
public sealed class PromptsConfig : IConfigSection
{
    [ConfigAlias(verl: "data.train_files")]
    [ConfigPath, Description("TinyStories text file the prompts are cut from (required).")]
    public string Path { get; set; } = "";

    [Description("How a prompt is cut from a story: first_sentence | first_words.")]
    public PromptRuleKind Rule { get; set; } = PromptRuleKind.FirstSentence;

    [ConfigRange(1), Description("Words per prompt for rule first_words.")]
    public int Words { get; set; } = 8;

    [ConfigRange(1), Description("Minimum prompt length in characters; first_sentence appends sentences until reached, shorter cuts are dropped.")]
    public int MinChars { get; set; } = 16;

    [ConfigRange(1), Description("Maximum prompt length in characters (cut at a word boundary).")]
    public int MaxChars { get; set; } = 200;

    [ConfigRange(0, 1, MaxExclusive = true), Description("Share of prompts held out for evaluation, chosen by a seeded hash of the prompt text (stable when the file grows).")]
    public double EvalFraction { get; set; } = 0.05;

    [ConfigRange(1), Description("Cap on training prompts (first N in file order); null = all.")]
    public int? MaxPrompts { get; set; }

    /// <summary>The <see cref="PromptRule"/> these keys describe.</summary>
    public PromptRule ToPromptRule() => new(Rule, Words, MinChars, MaxChars);

    /// <inheritdoc />
    public void Validate(ICollection<string> errors, string prefix)
    {
        if (Path.Length == 0)
            errors.Add($"{prefix}path is required (a TinyStories text file, e.g. ${{RLHF_DATA_DIR}}/tinystories_train_head.txt)");
        if (MaxChars < MinChars)
            errors.Add($"{prefix}max_chars must be ≥ {prefix}min_chars ({MinChars}) (got {MaxChars})");
    }
}
