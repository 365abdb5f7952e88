using Rlhf.Models;
using Rlhf.Engine;

namespace Rlhf.RewardModels.Internal;

/// <summary>
/// One training example: K ≥ 2 sequences ranked best first (a pair when K = 2) and the pair margin m (pairs only).
/// </summary>
internal sealed record PreferenceGroup(TokenSequence[] BestFirst, double Margin)
{
    public static PreferenceGroup FromPair(SequencePair pair) => new([pair.Chosen, pair.Rejected], pair.Margin);
}
