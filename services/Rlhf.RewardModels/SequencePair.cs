using Rlhf.Models;
using Rlhf.Engine;

namespace Rlhf.RewardModels;

/// <summary>A preference pair as the reward model's input sequences: <see cref="Chosen"/> is preferred.</summary>
/// <param name="Chosen">prompt_ids ++ chosen response ids.</param>
/// <param name="Rejected">prompt_ids ++ rejected response ids.</param>
/// <param name="Margin">m ≥ 0 in −log σ(r_chosen − r_rejected − m) (Touvron et al. 2023, eq. 2); 0 = plain Bradley–Terry.</param>
public sealed record SequencePair(TokenSequence Chosen, TokenSequence Rejected, double Margin = 0);
