namespace Vad.Core.Evaluation;

/// <summary>Post-processing of one video's frame scores, applied per video before the AUC.</summary>
public static class ScoreTransforms
{
    /// <summary>Kernel half-width in sigmas (as scipy.ndimage.gaussian_filter1d's default truncate=4).</summary>
    public const double TruncateSigmas = 4.0;

    /// <summary>
    /// Non-causal temporal Gaussian smoothing: y[i] = sum_j w(j) x[i+j] / sum_j w(j) over |j| &lt;= ceil(4 sigma) and
    /// 0 &lt;= i+j &lt; n, with w(j) = exp(-j^2 / (2 sigma^2)). At the edges the kernel is cut to the frames that exist
    /// and renormalised, so a constant signal stays constant. sigma = 0 returns a copy.
    /// </summary>
    public static double[] GaussianSmooth(IReadOnlyList<double> scores, double sigma)
    {
        if (double.IsNaN(sigma) || sigma < 0 || double.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), $"sigma must be a finite number >= 0, got {sigma}");
        int n = scores.Count;
        var result = new double[n];
        if (sigma == 0 || n == 0)
        {
            for (int i = 0; i < n; i++) result[i] = scores[i];
            return result;
        }
        int radius = Math.Max(1, (int)Math.Ceiling(TruncateSigmas * sigma));
        var w = new double[radius + 1];
        for (int j = 0; j <= radius; j++) w[j] = Math.Exp(-(double)j * j / (2 * sigma * sigma));
        for (int i = 0; i < n; i++)
        {
            double sum = 0, weight = 0;
            int lo = Math.Max(0, i - radius), hi = Math.Min(n - 1, i + radius);
            for (int k = lo; k <= hi; k++)
            {
                double wk = w[Math.Abs(k - i)];
                sum += wk * scores[k];
                weight += wk;
            }
            result[i] = sum / weight;
        }
        return result;
    }

    /// <summary>Per-video min-max normalisation to [0, 1]; a constant video maps to all zeros.</summary>
    public static double[] MinMax(IReadOnlyList<double> scores)
    {
        int n = scores.Count;
        var result = new double[n];
        if (n == 0) return result;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            min = Math.Min(min, scores[i]);
            max = Math.Max(max, scores[i]);
        }
        double range = max - min;
        for (int i = 0; i < n; i++) result[i] = range > 0 ? (scores[i] - min) / range : 0;
        return result;
    }
}
