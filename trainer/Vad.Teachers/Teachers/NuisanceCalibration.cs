using OpenCvSharp;
using Spectre.Console;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Objects;

namespace Vad.Teachers.Teachers;

/// <summary>
/// How a raw component drifts with a nuisance covariate x of a normal object: <c>v ~ a + Slope * (x - Mean)</c>, fitted
/// by least squares on normal held-out objects (<see cref="NuisanceCalibration"/>).
/// </summary>
public sealed record CovariateTrend(double Slope, double Mean)
{
    /// <summary>The component with the trend removed: its value as if the object's covariate were the calibration objects' mean.</summary>
    public double Adjust(double v, double x) => v - Slope * (x - Mean);
}

/// <summary>What an object's score should not depend on while the object is normal.</summary>
public enum NuisanceCovariate
{
    /// <summary>ln of the box height: T2 cuts its stack crops from a square of at least 32 px and shrinks larger objects
    /// to 32x32, so a larger object brings more detail per crop.</summary>
    LogHeight,
    /// <summary>The other detections of the frame whose boxes overlap the object's stack square: people walking through
    /// T2's crop, an irregular motion to it.</summary>
    Neighbours,
}

/// <summary>
/// Calibration of teacher components for nuisance covariates. The held-out calibration clips 14-16 are the least
/// crowded of the training set and hold its smallest objects, so every z-score is taken against small, lone objects.
/// On the held-out clips themselves T2's object score already rises with the number of other objects in its stack
/// square (median 0.45 with none, 0.56 with one, 0.64 with two or more; correlation 0.39, T1's -0.02), and on the
/// unlabelled test footage, where objects have more neighbours, the same rise shows (0.64 / 0.70 / 0.79).
/// The usual fix for a nuisance variable: each component's trend over the covariate is fitted on the normal held-out
/// whole objects and removed before anything else sees the value; the z-statistics become those of the adjusted values.
/// Size (ln height) was tried as teachers v23 and not adopted: trends fitted on 14-16 raised the drift on the other
/// clips (bench/results/ped2/teachers/README.md). Opt-in (<c>teachers select --size-calibration / --neighbour-calibration</c>).
/// </summary>
public static class NuisanceCalibration
{
    /// <summary>The covariate of object <paramref name="k"/> among the frame's <paramref name="boxes"/>.</summary>
    public static double Covariate(NuisanceCovariate kind, IReadOnlyList<Rect> boxes, int k, int stackMinSide) => kind switch
    {
        NuisanceCovariate.LogHeight => Math.Log(Math.Max(1, boxes[k].Height)),
        _ => NeighboursInStackSquare(boxes, k, stackMinSide),
    };

    /// <summary>How many other boxes of the frame overlap the square T2's stack of box <paramref name="k"/> is cut from.</summary>
    public static int NeighboursInStackSquare(IReadOnlyList<Rect> boxes, int k, int stackMinSide)
    {
        var (c, side) = ObjectCrops.Square(boxes[k], stackMinSide);
        double x0 = c.X - side / 2.0, y0 = c.Y - side / 2.0, x1 = x0 + side, y1 = y0 + side;
        int n = 0;
        for (int j = 0; j < boxes.Count; j++)
            if (j != k && boxes[j].X < x1 && boxes[j].Right > x0 && boxes[j].Y < y1 && boxes[j].Bottom > y0) n++;
        return n;
    }

    /// <summary>Least-squares trend of <paramref name="values"/> over <paramref name="covariate"/>, and the mean and
    /// standard deviation of the adjusted values (mean = the values' mean: the adjustment is centred).</summary>
    public static (CovariateTrend Trend, ComponentStats Stats) Fit(IReadOnlyList<double> values, IReadOnlyList<double> covariate)
    {
        if (values.Count != covariate.Count) throw new ArgumentException($"{values.Count} values for {covariate.Count} covariate values");
        if (values.Count < 20) throw new InvalidOperationException($"too few normal objects ({values.Count}) to fit a trend");
        double mx = covariate.Average(), my = values.Average();
        double sxx = covariate.Sum(v => (v - mx) * (v - mx)), sxy = covariate.Zip(values, (a, b) => (a - mx) * (b - my)).Sum();
        var trend = new CovariateTrend(sxx > 1e-12 ? sxy / sxx : 0, mx);
        var adjusted = values.Select((v, i) => trend.Adjust(v, covariate[i])).ToArray();
        double sd = Math.Sqrt(adjusted.Sum(v => (v - my) * (v - my)) / (adjusted.Length - 1));
        return (trend, new ComponentStats(my, sd));
    }

    /// <summary>
    /// Fits <paramref name="components"/>' trends over <paramref name="kind"/> on the normal objects of
    /// <paramref name="clips"/> (every frame, objects away from the frame edge and not cut from merged groups) scored with
    /// the config's other trends but none of this kind, and returns the config with these trends and those components'
    /// statistics replaced by the adjusted ones. Other components are left as they are.
    /// </summary>
    public static TeacherConfig Calibrate(TeacherModels models, IObjectDetector detector, IReadOnlyList<Clip> clips, string[] components,
        NuisanceCovariate kind, ProgressContext? ctx)
    {
        var saved = models.Config;
        models.Config = kind == NuisanceCovariate.LogHeight ? saved with { HeightTrends = [] } : saved with { NeighbourTrends = [] };
        var objects = new List<(float[] Raw, double X)>();
        try
        {
            var scorer = new TeacherScorer(models, detector);
            var task = ctx?.AddTask($"{kind} calibration (held-out normal objects)", maxValue: clips.Count);
            foreach (var clip in clips)
            {
                var all = Clips.LoadGray(clip);
                try
                {
                    foreach (var fo in scorer.ScoreFrames(all, true, true))
                    {
                        var boxes = fo.Objects.Select(o => o.Box).ToList();
                        for (int k = 0; k < fo.Objects.Count; k++)
                            if (!fo.Truncated[k] && !fo.Objects[k].IsGroupWindow) objects.Add((fo.Raw[k], Covariate(kind, boxes, k, saved.StackMinSide)));
                    }
                }
                finally { foreach (var f in all) f.Dispose(); }
                task?.Increment(1);
            }
        }
        finally { models.Config = saved; }
        var trends = new Dictionary<string, CovariateTrend>();
        var stats = new Dictionary<string, ComponentStats>(saved.Stats);
        foreach (var name in components)
        {
            int c = Array.IndexOf(TeacherModels.AllComponents, name);
            if (c < 0) throw new ArgumentException($"no component '{name}'");
            var usable = objects.Where(o => !float.IsNaN(o.Raw[c])).ToList();
            var (trend, st) = Fit([.. usable.Select(o => (double)o.Raw[c])], [.. usable.Select(o => o.X)]);
            trends[name] = trend;
            stats[name] = st;
        }
        return kind == NuisanceCovariate.LogHeight ? saved with { HeightTrends = trends, Stats = stats } : saved with { NeighbourTrends = trends, Stats = stats };
    }
}
