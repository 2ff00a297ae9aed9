using OpenCvSharp;
using Spectre.Console;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;

namespace Vad.Teachers.Teachers;

/// <summary>
/// Model selection on training data only: the held-out normal calibration clips (negatives) against the same clips
/// played faster, every <see cref="TeacherConfig.ValidationDropEvery"/>-th frame dropped (positives: objects moving
/// faster and irregularly, the "sped-up" pseudo-anomaly of both papers). 2x speed saturated every rule near AUC 1 and
/// 1.5x left the top dozen rules within 0.004 AUC (no real choice), so the default is 1.25x (drop every 5th frame). Each candidate combination rule (scale x non-empty subset of a teacher's components) gets the
/// frame-level AUC of its frame scores (max over objects); the best rule per teacher is kept.
/// </summary>
public static class TeacherValidation
{
    public static IEnumerable<ScoreRule> Candidates(string[] components)
    {
        foreach (var scale in new[] { "probability", "z" })
            for (int mask = 1; mask < 1 << components.Length; mask++)
                yield return new ScoreRule(scale, components.Where((_, i) => (mask >> i & 1) == 1).ToArray());
    }

    public static TeacherConfig Select(TeacherModels models, IObjectDetector detector, IReadOnlyList<Clip> clips, ProgressContext? ctx)
    {
        var scorer = new TeacherScorer(models, detector);
        var frames = new List<(float[][] Raw, int Label)>();
        var task = ctx?.AddTask("validation (held-out clips vs sped-up copies)", maxValue: clips.Count);
        foreach (var clip in clips)
        {
            var all = Clips.LoadGray(clip);
            try
            {
                int drop = models.Config.ValidationDropEvery;
                var fast = all.Where((_, i) => i % drop != drop - 1).ToArray();
                foreach (var (seq, label) in new[] { (all, 0), (fast, 1) })
                    foreach (var fo in scorer.ScoreFrames(seq, true, true))
                        frames.Add((fo.Raw, label));
            }
            finally { foreach (var f in all) f.Dispose(); }
            task?.Increment(1);
        }
        var labels = frames.Select(f => f.Label).ToArray();
        var aucs = new Dictionary<string, double>();
        ScoreRule Best(string[] comps)
        {
            ScoreRule? best = null;
            double bestAuc = -1;
            foreach (var rule in Candidates(comps))
            {
                var scores = frames.Select(f => f.Raw.Length == 0 ? 0.0 : f.Raw.Max(r => (double)models.Score(rule, r))).ToArray();
                double auc = Auc(scores, labels);
                aucs[rule.ToString()] = Math.Round(auc, 4);
                if (auc > bestAuc + 1e-9) { bestAuc = auc; best = rule; }
            }
            return best!;
        }
        var t1 = Best(TeacherModels.T1Components);
        var t2 = Best(TeacherModels.T2Components);
        return models.Config with { T1Rule = t1, T2Rule = t2, ValidationAuc = aucs };
    }

    /// <summary>Rank AUC (ties get the mean rank).</summary>
    public static double Auc(double[] scores, int[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Length];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        long pos = labels.Count(l => l == 1), neg = labels.Length - pos;
        if (pos == 0 || neg == 0) return double.NaN;
        double sum = 0;
        for (int i = 0; i < labels.Length; i++) if (labels[i] == 1) sum += ranks[i];
        return (sum - pos * (pos + 1) / 2.0) / (pos * neg);
    }
}
