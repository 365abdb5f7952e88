namespace Rlhf.Models.Torch;

/// <summary>Rotary embedding tables (Su et al. 2021) with HF <c>rope_scaling</c>.</summary>
internal static class Rope
{
    /// <summary>
    /// cos and sin tables (MaxSeqLen, HS), each row <c>cat(f, f)</c> for the rotate-half layout, with angle
    /// <c>pos · inv_freq[i]</c>, <c>inv_freq[i] = 1 / θ^(2i / HS)</c> computed in float as llama2.c and the native engine
    /// do (so greedy decoding matches them), then scaled: linear divides every inv_freq by the factor; llama3 divides
    /// low frequencies by the factor, keeps high ones and interpolates between (transformers' _compute_llama3_parameters).
    /// </summary>
    public static (float[] Cos, float[] Sin) Tables(ModelArchitecture config)
    {
        int hs = config.HeadSize, half = hs / 2, n = config.MaxSeqLen;
        var invFreq = InverseFrequencies(config);
        var cos = new float[n * hs];
        var sin = new float[n * hs];
        for (var pos = 0; pos < n; pos++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = pos * invFreq[i];
                float c = MathF.Cos(angle), si = MathF.Sin(angle);
                cos[pos * hs + i] = cos[pos * hs + half + i] = c;
                sin[pos * hs + i] = sin[pos * hs + half + i] = si;
            }
        }
        return (cos, sin);
    }

    /// <summary>The HS/2 inverse frequencies after <c>rope_scaling</c>.</summary>
    public static float[] InverseFrequencies(ModelArchitecture config)
    {
        int hs = config.HeadSize, half = hs / 2;
        var invFreq = new float[half];
        for (var i = 0; i < half; i++)
            invFreq[i] = 1f / MathF.Pow(config.RopeTheta, 2 * i / (float)hs);
        if (config.RopeScaling is { } s)
        {
            for (var i = 0; i < half; i++)
                invFreq[i] = s.Type == "linear" ? (float)(invFreq[i] / s.Factor) : (float)Llama3(invFreq[i], s);
        }
        return invFreq;
    }

    private static double Llama3(double invFreq, RopeScaling s)
    {
        var lowFreqWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        var highFreqWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        var wavelen = 2 * Math.PI / invFreq;
        if (wavelen < highFreqWavelen)
            return invFreq;
        if (wavelen > lowFreqWavelen)
            return invFreq / s.Factor;
        var smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (1 - smooth) * invFreq / s.Factor + smooth * invFreq;
    }
}
