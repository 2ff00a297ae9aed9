namespace Vad.Core.Evaluation;

/// <summary>Area under the ROC curve of frame scores against 0/1 labels.</summary>
public static class FrameAuc
{
    /// <summary>
    /// Exact ROC AUC, computed as the Mann-Whitney U statistic with average ranks for tied scores:
    /// AUC = (sum of the ranks of abnormal frames - P(P+1)/2) / (P N). A tie between an abnormal and a normal frame
    /// counts one half, exactly as the trapezoidal ROC area does. Null when the labels hold one class only (undefined).
    /// </summary>
    public static double? Compute(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        if (scores.Count != labels.Count)
            throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels");
        int n = scores.Count;
        long positives = 0;
        for (int i = 0; i < n; i++)
        {
            if (double.IsNaN(scores[i])) throw new ArgumentException($"score {i} is NaN");
            if (labels[i] != 0) positives++;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) return null;

        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = new double[n];
        for (int i = 0; i < n; i++) keys[i] = scores[i];
        Array.Sort(keys, order);

        double positiveRankSum = 0;
        int start = 0;
        while (start < n)
        {
            int end = start;
            while (end + 1 < n && keys[end + 1] == keys[start]) end++;
            double averageRank = (start + end) / 2.0 + 1; // ranks are 1-based
            for (int k = start; k <= end; k++)
                if (labels[order[k]] != 0) positiveRankSum += averageRank;
            start = end + 1;
        }
        double u = positiveRankSum - positives * (positives + 1) / 2.0;
        return u / ((double)positives * negatives);
    }
}
