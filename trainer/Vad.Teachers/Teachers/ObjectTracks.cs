using OpenCvSharp;
using Vad.Teachers.Detection;

namespace Vad.Teachers.Teachers;

/// <summary>
/// How an object's score is smoothed along its track: the <see cref="Statistic"/> ("mean" or "median") of its scores in
/// frames t-Window..t+Window of its chain of best-IoU links. Window 0 keeps the object's own score.
/// </summary>
public sealed record TrackSmoothing(string Statistic, int Window)
{
    public static readonly TrackSmoothing None = new("mean", 0);
    public static readonly string[] Statistics = ["mean", "median"];

    public override string ToString() => Window == 0 ? "none" : $"{Statistic}(+-{Window} frames)";
}

/// <summary>
/// Temporal smoothing of object scores along short tracks. A frame's score is the max over its objects, so with noisy
/// object scores a crowded normal frame scores high by chance (the extreme of many draws); an anomalous object stays
/// anomalous over consecutive frames, noise does not. Objects are linked to their best-IoU object (IoU at least
/// <see cref="MinIou"/>) in the previous and next frames; the chain is followed up to the window in each direction
/// and stops where a link is missing.
/// </summary>
public static class ObjectTracks
{
    public const double MinIou = 0.2;

    /// <summary>Index of the best-IoU box in <paramref name="others"/> (at least <see cref="MinIou"/>), or -1.</summary>
    public static int BestLink(Rect box, IReadOnlyList<Rect> others)
    {
        int best = -1;
        double bestIou = MinIou;
        for (int j = 0; j < others.Count; j++)
        {
            double v = BoxOverlap.Iou(box, others[j]);
            if (v >= bestIou) { bestIou = v; best = j; }
        }
        return best;
    }

    /// <summary>Each object's best-IoU link in the previous and in the next frame (-1: none), per frame and object.</summary>
    public sealed record Links(int[][] Previous, int[][] Next)
    {
        public int Frames => Previous.Length;
    }

    public static Links Link(IReadOnlyList<IReadOnlyList<Rect>> boxes)
    {
        int n = boxes.Count;
        var prev = new int[n][];
        var next = new int[n][];
        for (int f = 0; f < n; f++)
        {
            prev[f] = boxes[f].Select(b => f > 0 ? BestLink(b, boxes[f - 1]) : -1).ToArray();
            next[f] = boxes[f].Select(b => f + 1 < n ? BestLink(b, boxes[f + 1]) : -1).ToArray();
        }
        return new Links(prev, next);
    }

    /// <summary>
    /// Smoothed copy of <paramref name="scores"/> (per frame, per object, aligned with <paramref name="boxes"/>). NaN marks
    /// an object the teacher does not score: chains pass through it, its value is not used, and it stays NaN.
    /// </summary>
    public static float[][] Smooth(IReadOnlyList<IReadOnlyList<Rect>> boxes, IReadOnlyList<float[]> scores, TrackSmoothing smoothing) =>
        Smooth(Link(boxes), scores, smoothing);

    /// <summary>As <see cref="Smooth(IReadOnlyList{IReadOnlyList{Rect}}, IReadOnlyList{float[]}, TrackSmoothing)"/>, with the
    /// links computed once for several scorings of the same objects.</summary>
    public static float[][] Smooth(Links links, IReadOnlyList<float[]> scores, TrackSmoothing smoothing)
    {
        if (links.Frames != scores.Count) throw new ArgumentException("boxes and scores differ in frame count");
        if (!TrackSmoothing.Statistics.Contains(smoothing.Statistic)) throw new ArgumentException($"unknown track statistic '{smoothing.Statistic}'");
        if (smoothing.Window < 0) throw new ArgumentException("track window must be >= 0");
        var result = scores.Select(s => (float[])s.Clone()).ToArray();
        if (smoothing.Window == 0) return result;
        int n = links.Frames;
        var (prev, next) = (links.Previous, links.Next);
        var values = new List<float>();
        for (int f = 0; f < n; f++)
            for (int k = 0; k < scores[f].Length; k++)
            {
                if (float.IsNaN(scores[f][k])) continue;
                values.Clear();
                values.Add(scores[f][k]);
                foreach (int dir in new[] { -1, 1 })
                {
                    int ff = f, kk = k;
                    for (int step = 0; step < smoothing.Window; step++)
                    {
                        int j = dir < 0 ? prev[ff][kk] : next[ff][kk];
                        if (j < 0) break;
                        ff += dir;
                        kk = j;
                        if (!float.IsNaN(scores[ff][kk])) values.Add(scores[ff][kk]);
                    }
                }
                result[f][k] = smoothing.Statistic == "mean" ? values.Average() : Median(values);
            }
        return result;
    }

    private static float Median(List<float> values)
    {
        values.Sort();
        int m = values.Count / 2;
        return values.Count % 2 == 1 ? values[m] : (values[m - 1] + values[m]) / 2;
    }
}
