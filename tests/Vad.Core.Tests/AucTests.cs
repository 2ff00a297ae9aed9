using Vad.Core.Evaluation;
using Xunit;

namespace Vad.Core.Tests;

public class AucTests
{
    /// <summary>The definition itself: the fraction of (abnormal, normal) pairs ranked correctly, ties counting 1/2.</summary>
    private static double PairwiseReference(double[] scores, int[] labels)
    {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (labels[i] == 0) continue;
            for (int j = 0; j < scores.Length; j++)
            {
                if (labels[j] != 0) continue;
                pairs++;
                if (scores[i] > scores[j]) wins += 1;
                else if (scores[i] == scores[j]) wins += 0.5;
            }
        }
        return wins / pairs;
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.2, 0.8, 0.9 }, new[] { 0, 0, 1, 1 }, 1.0)]
    [InlineData(new[] { 0.9, 0.8, 0.2, 0.1 }, new[] { 0, 0, 1, 1 }, 0.0)]
    // pairs (abn, norm): (0.8 vs 0.1 win), (0.8 vs 0.9 loss), (0.3 vs 0.1 win), (0.3 vs 0.9 loss) = 2/4
    [InlineData(new[] { 0.1, 0.8, 0.3, 0.9 }, new[] { 0, 1, 1, 0 }, 0.5)]
    // 3 abnormal x 2 normal {0.3, 0.5} = 6 pairs; 0.35 and 0.4 beat 0.3 only, 0.9 beats both: 1 + 1 + 2 = 4/6
    [InlineData(new[] { 0.3, 0.35, 0.4, 0.9, 0.5 }, new[] { 0, 1, 1, 1, 0 }, 4.0 / 6)]
    // every score tied: each pair counts one half
    [InlineData(new[] { 1.0, 1.0, 1.0, 1.0 }, new[] { 0, 1, 0, 1 }, 0.5)]
    // ties across classes: abn {0.5, 0.7}, norm {0.5, 0.2}: 0.5 vs 0.5 = 1/2, 0.5 vs 0.2 = 1, 0.7 beats both = 2 -> 3.5/4
    [InlineData(new[] { 0.5, 0.5, 0.7, 0.2 }, new[] { 1, 0, 1, 0 }, 0.875)]
    public void HandComputedCases(double[] scores, int[] labels, double expected)
    {
        Assert.Equal(expected, FrameAuc.Compute(scores, labels)!.Value, 12);
    }

    [Fact]
    public void SingleClassIsUndefined()
    {
        Assert.Null(FrameAuc.Compute([0.1, 0.5, 0.2], [1, 1, 1]));
        Assert.Null(FrameAuc.Compute([0.1, 0.5, 0.2], [0, 0, 0]));
        Assert.Null(FrameAuc.Compute([], []));
    }

    [Fact]
    public void MismatchedLengthsAndNaNAreRejected()
    {
        Assert.Throws<ArgumentException>(() => FrameAuc.Compute([0.1, 0.2], [0, 1, 1]));
        Assert.Throws<ArgumentException>(() => FrameAuc.Compute([0.1, double.NaN], [0, 1]));
    }

    [Fact]
    public void InvariantToMonotoneTransforms()
    {
        double[] s = [0.3, 0.1, 0.7, 0.7, 0.2, 0.9, 0.4];
        int[] y = [0, 0, 1, 0, 1, 1, 0];
        double auc = FrameAuc.Compute(s, y)!.Value;
        Assert.Equal(auc, FrameAuc.Compute(s.Select(v => Math.Exp(5 * v) - 3).ToArray(), y)!.Value, 12);
        Assert.Equal(1 - auc, FrameAuc.Compute(s.Select(v => -v).ToArray(), y)!.Value, 12);
    }

    [Fact]
    public void RandomCasesMatchThePairwiseReference()
    {
        var rng = new Random(20260128);
        for (int trial = 0; trial < 400; trial++)
        {
            int n = rng.Next(2, 120);
            // Coarse scores on some trials so that ties are frequent.
            int levels = trial % 3 == 0 ? rng.Next(2, 6) : 0;
            var scores = new double[n];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = rng.NextDouble() < 0.4 ? 1 : 0;
                double raw = rng.NextDouble() + 0.3 * labels[i];
                scores[i] = levels > 0 ? Math.Floor(raw * levels) : raw;
            }
            if (labels.All(l => l == labels[0])) labels[rng.Next(n)] ^= 1; // n >= 2: now both classes
            Assert.Equal(PairwiseReference(scores, labels), FrameAuc.Compute(scores, labels)!.Value, 12);
        }
    }
}
