namespace Rlhf.Alignment.Tests;

/// <summary>
/// A few real PPO / GRPO iterations end to end on a toy tabular policy: responses are 3 tokens over a 4-token
/// vocabulary, each position has its own logits, and the "reward model" scores the number of token 0 in the response.
/// The library supplies every loss gradient; the test only chains ∂loss/∂logprob into the logits
/// (∂logprob_t/∂logit_t,v = 1[v = a_t] − p_t,v) and takes SGD steps, as a model service's Backward would.
/// </summary>
public sealed class SmokeTests
{
    private const int Positions = 3;
    private const int Vocab = 4;

    [Fact]
    public void PpoIterations_ToyPolicy_ScoreRisesAndKlStaysFinite()
    {
        var random = new Random(1234);
        var logits = new double[Positions, Vocab];
        var refLogits = (double[,])logits.Clone();
        var valueTable = new double[Positions];
        var klController = new AdaptiveKlController(0.05, target: 1.0, horizon: 1000);
        double firstScore = double.NaN, lastScore = 0, lastKl = 0;

        for (var iteration = 0; iteration < 25; iteration++)
        {
            // 1. rollout: sample responses, old logprobs, reference logprobs, values, scores
            var responses = Sample(logits, 32, random);
            var oldLogprobs = LogProbs(logits, responses);
            var refLogprobs = LogProbs(refLogits, responses);
            var oldValues = oldLogprobs.WithData(Enumerable.Range(0, oldLogprobs.TotalTokens)
                .Select(t => valueTable[t % Positions]).ToArray());
            var scores = responses.Select(r => (double)r.Count(a => a == 0)).ToArray();

            // 2. per-token KL and rewards
            var kl = KlPenalty.Compute(oldLogprobs, refLogprobs, KlEstimator.K1);
            var rewards = PerTokenRewards.Compute(kl, scores, klController.KlCoef);

            // 3. advantages and returns, whitened advantages
            var (advantages, returns) = Gae.Compute(rewards.Rewards, oldValues, gamma: 1.0, lam: 0.95);
            advantages = Whitening.MaskedWhiten(advantages);

            // 4. PPO epochs: policy and critic gradients from the library, chained into the tables
            for (var epoch = 0; epoch < 4; epoch++)
            {
                var logprobs = LogProbs(logits, responses);
                var policy = PpoObjective.Compute(logprobs, oldLogprobs, advantages);
                Backward(logits, responses, policy.GradLogprobs, learningRate: 2.0);

                var values = oldValues.WithData(Enumerable.Range(0, oldValues.TotalTokens)
                    .Select(t => valueTable[t % Positions]).ToArray());
                var critic = ValueObjective.Compute(values, oldValues, returns);
                for (var t = 0; t < critic.GradValues.TotalTokens; t++)
                {
                    valueTable[t % Positions] -= 2.0 * critic.GradValues.Data[t];
                }
            }

            // 5. KL controller and metrics
            klController.Update(rewards.MeanKl, responses.Length);
            firstScore = double.IsNaN(firstScore) ? rewards.MeanScore : firstScore;
            lastScore = rewards.MeanScore;
            lastKl = rewards.MeanKl;
        }

        Assert.True(lastScore > firstScore + 1.0, $"score {firstScore:F3} -> {lastScore:F3}");
        Assert.True(double.IsFinite(lastKl) && lastKl > 0, $"kl {lastKl}");
    }

    [Fact]
    public void GrpoIterations_ToyPolicy_ScoreRises()
    {
        var random = new Random(99);
        var logits = new double[Positions, Vocab];
        var refLogits = (double[,])logits.Clone();
        double firstScore = double.NaN, lastScore = 0;

        for (var iteration = 0; iteration < 25; iteration++)
        {
            var responses = Sample(logits, 32, random); // 8 prompts × group of 4 (one shared toy prompt)
            var oldLogprobs = LogProbs(logits, responses);
            var refLogprobs = LogProbs(refLogits, responses);
            var scores = responses.Select(r => (double)r.Count(a => a == 0)).ToArray();
            var advantages = oldLogprobs.Broadcast(GroupAdvantages.Grpo(scores, groupSize: 4));
            for (var epoch = 0; epoch < 2; epoch++)
            {
                var logprobs = LogProbs(logits, responses);
                var result = PpoObjective.Compute(logprobs, oldLogprobs, advantages, PpoLossOptions.Grpo(), refLogprobs);
                Backward(logits, responses, result.GradLogprobs, learningRate: 1.0);
            }

            firstScore = double.IsNaN(firstScore) ? scores.Average() : firstScore;
            lastScore = scores.Average();
        }

        Assert.True(lastScore > firstScore + 1.0, $"score {firstScore:F3} -> {lastScore:F3}");
    }

    [Theory]
    [InlineData(P3oClipping.Separate, false)]
    [InlineData(P3oClipping.Joint, false)]
    [InlineData(P3oClipping.Joint, true)]
    public void P3oIterations_ToyPolicy_ScoreRises(P3oClipping clipping, bool clipPerToken)
    {
        var random = new Random(7);
        var logits = new double[Positions, Vocab];
        var refLogits = (double[,])logits.Clone();
        var options = new P3oOptions { Clipping = clipping, ClipPerToken = clipPerToken, KlCoef = 0.05 };
        double firstScore = double.NaN, lastScore = 0;

        for (var iteration = 0; iteration < 25; iteration++)
        {
            // 1. rollout: two responses per prompt from π_old, their logprobs, ref_logprobs and scores
            var first = Sample(logits, 16, random);
            var second = Sample(logits, 16, random);
            double[] Scores(int[][] r) => r.Select(x => (double)x.Count(a => a == 0)).ToArray();
            var (old1, old2) = (LogProbs(logits, first), LogProbs(logits, second));
            var (ref1, ref2) = (LogProbs(refLogits, first), LogProbs(refLogits, second));

            // 2. epochs of the pairwise loss, gradients of both responses chained into the table
            for (var epoch = 0; epoch < 4; epoch++)
            {
                var result = P3oObjective.Compute(
                    new P3oResponses(LogProbs(logits, first), old1, ref1, Scores(first)),
                    new P3oResponses(LogProbs(logits, second), old2, ref2, Scores(second)), options);
                Backward(logits, [.. first, .. second],
                    TokenBatch.FromRagged([.. ToRows(result.GradLogprobs1), .. ToRows(result.GradLogprobs2)]),
                    learningRate: 2.0);
            }

            var mean = (Scores(first).Average() + Scores(second).Average()) / 2;
            firstScore = double.IsNaN(firstScore) ? mean : firstScore;
            lastScore = mean;
        }

        Assert.True(lastScore > firstScore + 1.0, $"score {firstScore:F3} -> {lastScore:F3}");
    }

    private static double[][] ToRows(TokenBatch batch) =>
        Enumerable.Range(0, batch.BatchSize).Select(i => batch.Row(i).ToArray()).ToArray();

    private static int[][] Sample(double[,] logits, int count, Random random)
    {
        var responses = new int[count][];
        for (var i = 0; i < count; i++)
        {
            responses[i] = new int[Positions];
            for (var t = 0; t < Positions; t++)
            {
                var p = Softmax(logits, t);
                var u = random.NextDouble();
                var a = 0;
                for (var cumulative = p[0]; cumulative < u && a < Vocab - 1; cumulative += p[++a])
                {
                }

                responses[i][t] = a;
            }
        }

        return responses;
    }

    private static TokenBatch LogProbs(double[,] logits, int[][] responses) => TokenBatch.FromRagged(
        responses.Select(r => r.Select((a, t) => Math.Log(Softmax(logits, t)[a])).ToArray()).ToArray());

    private static void Backward(double[,] logits, int[][] responses, TokenBatch gradLogprobs, double learningRate)
    {
        var grad = new double[Positions, Vocab];
        for (var i = 0; i < responses.Length; i++)
        {
            var row = gradLogprobs.Row(i);
            for (var t = 0; t < Positions; t++)
            {
                var p = Softmax(logits, t);
                for (var v = 0; v < Vocab; v++)
                {
                    grad[t, v] += row[t] * ((v == responses[i][t] ? 1.0 : 0.0) - p[v]);
                }
            }
        }

        for (var t = 0; t < Positions; t++)
        {
            for (var v = 0; v < Vocab; v++)
            {
                logits[t, v] -= learningRate * grad[t, v];
            }
        }
    }

    private static double[] Softmax(double[,] logits, int t)
    {
        var max = double.NegativeInfinity;
        for (var v = 0; v < Vocab; v++)
        {
            max = Math.Max(max, logits[t, v]);
        }

        var p = new double[Vocab];
        var sum = 0.0;
        for (var v = 0; v < Vocab; v++)
        {
            p[v] = Math.Exp(logits[t, v] - max);
            sum += p[v];
        }

        for (var v = 0; v < Vocab; v++)
        {
            p[v] /= sum;
        }

        return p;
    }
}
