using Spectre.Console;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;

namespace Vad.Teachers.Teachers;

/// <summary>
/// How a raw component drifts with the size of a normal object: <c>v ~ a + Slope * (ln h - MeanLogHeight)</c>, h = the
/// box height in pixels, fitted by least squares on normal held-out objects.
/// </summary>
public sealed record HeightTrend(double Slope, double MeanLogHeight)
{
    /// <summary>The component with the trend removed: its value as if the object were of the calibration objects' typical
    /// (geometric-mean) height.</summary>
    public double Adjust(double v, int height) => v - Slope * (Math.Log(Math.Max(1, height)) - MeanLogHeight);
}

/// <summary>
/// Size-conditional calibration. T2 cuts its stack crops from a square of at least 32 px and shrinks larger objects to
/// 32x32, so its middle-box error grows with the object's size (more detail per crop) while its other tasks shift too.
/// The held-out calibration clips 14-16 hold the smallest objects of the training set (median height 28-31 px; the fit
/// clips reach 57 px at the 90th percentile), so on larger normal objects every z-score, and with it the object score,
/// drifts upwards (correlation of T2's object score with ln height: -0.04 on the held-out clips, 0.35 on the fit clips).
/// The usual fix for a nuisance variable: each component's trend over ln height is fitted on the normal held-out
/// objects and removed before the z-score, whose statistics are then those of the residuals. Tried as teachers v23 and
/// not adopted: trends fitted on 14-16 raised the drift on the other clips (0.40; bench/results/ped2/teachers/README.md).
/// Opt-in (<c>teachers select --size-calibration</c>); the committed teachers have no trends.
/// </summary>
public static class SizeCalibration
{
    /// <summary>Least-squares trend of <paramref name="values"/> over ln <paramref name="heights"/>, and the mean and
    /// standard deviation of the adjusted values (mean = the values' mean: the adjustment is centred).</summary>
    public static (HeightTrend Trend, ComponentStats Stats) Fit(IReadOnlyList<double> values, IReadOnlyList<int> heights)
    {
        if (values.Count != heights.Count) throw new ArgumentException($"{values.Count} values for {heights.Count} heights");
        if (values.Count < 20) throw new InvalidOperationException($"too few normal objects ({values.Count}) to fit a size trend");
        var x = heights.Select(h => Math.Log(Math.Max(1, h))).ToArray();
        double mx = x.Average(), my = values.Average();
        double sxx = x.Sum(v => (v - mx) * (v - mx)), sxy = x.Zip(values, (a, b) => (a - mx) * (b - my)).Sum();
        double slope = sxx > 1e-12 ? sxy / sxx : 0;
        var trend = new HeightTrend(slope, mx);
        var adjusted = values.Select((v, i) => trend.Adjust(v, heights[i])).ToArray();
        double sd = Math.Sqrt(adjusted.Sum(v => (v - my) * (v - my)) / (adjusted.Length - 1));
        return (trend, new ComponentStats(my, sd));
    }

    /// <summary>
    /// Fits <paramref name="components"/>' trends on the normal objects of <paramref name="clips"/> (every frame, objects
    /// away from the frame edge and not cut from merged groups) scored without any trend, and returns the config with
    /// the trends and those components' statistics replaced by the adjusted ones. Other components are left as they are.
    /// </summary>
    public static TeacherConfig Calibrate(TeacherModels models, IObjectDetector detector, IReadOnlyList<Clip> clips, string[] components, ProgressContext? ctx)
    {
        var saved = models.Config;
        models.Config = saved with { HeightTrends = [] };
        var objects = new List<(float[] Raw, int Height)>();
        try
        {
            var scorer = new TeacherScorer(models, detector);
            var task = ctx?.AddTask("size calibration (held-out normal objects)", maxValue: clips.Count);
            foreach (var clip in clips)
            {
                var all = Clips.LoadGray(clip);
                try
                {
                    foreach (var fo in scorer.ScoreFrames(all, true, true))
                        for (int k = 0; k < fo.Objects.Count; k++)
                            if (!fo.Truncated[k] && !fo.Objects[k].IsGroupWindow) objects.Add((fo.Raw[k], fo.Objects[k].Box.Height));
                }
                finally { foreach (var f in all) f.Dispose(); }
                task?.Increment(1);
            }
        }
        finally { models.Config = saved; }
        var trends = new Dictionary<string, HeightTrend>();
        var stats = new Dictionary<string, ComponentStats>(saved.Stats);
        foreach (var name in components)
        {
            int c = Array.IndexOf(TeacherModels.AllComponents, name);
            if (c < 0) throw new ArgumentException($"no component '{name}'");
            var usable = objects.Where(o => !float.IsNaN(o.Raw[c])).ToList();
            var (trend, st) = Fit([.. usable.Select(o => (double)o.Raw[c])], [.. usable.Select(o => o.Height)]);
            trends[name] = trend;
            stats[name] = st;
        }
        return saved with { HeightTrends = trends, Stats = stats };
    }
}
