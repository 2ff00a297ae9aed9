using System.Globalization;

namespace Vad.Core.Frames;

/// <summary>
/// A clip played faster by dropping frames: frame j of the copy is frame floor(j * factor) of the clip, so every
/// object moves <c>factor</c> times as far between frames (1.5: steps 1, 2, 1, 2...; 2: every other frame). Sped-up
/// copies of normal training footage are the "too fast" pseudo-anomaly used for validation and distillation; a copy
/// is named as a split of its own, "&lt;split&gt;-x&lt;factor&gt;" (train-x1.5).
/// </summary>
public static class PlaybackSpeed
{
    /// <summary>Indices of the kept frames of a clip of <paramref name="count"/> frames.</summary>
    public static int[] Indices(int count, double factor)
    {
        if (!(factor >= 1) || double.IsInfinity(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "a speed-up factor is a finite number >= 1");
        var kept = new List<int>();
        for (int j = 0; ; j++)
        {
            int i = (int)Math.Floor(j * factor + 1e-9);
            if (i >= count) break;
            kept.Add(i);
        }
        return kept.ToArray();
    }

    public static IReadOnlyList<T> Apply<T>(IReadOnlyList<T> frames, double factor) =>
        factor == 1 ? frames : Indices(frames.Count, factor).Select(i => frames[i]).ToList();

    /// <summary>"train" for factor 1, "train-x2", "train-x1.5" otherwise.</summary>
    public static string SplitName(string split, double factor) =>
        factor == 1 ? split : $"{split}-x{factor.ToString("0.###", CultureInfo.InvariantCulture)}";

    /// <summary>Parses "&lt;split&gt;-x&lt;factor&gt;" (factor &gt; 1) into its base split and factor; false for anything else.</summary>
    public static bool TryParseSplit(string name, out string split, out double factor)
    {
        split = name;
        factor = 1;
        int at = name.LastIndexOf("-x", StringComparison.Ordinal);
        if (at <= 0) return false;
        if (!double.TryParse(name.AsSpan(at + 2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double f) || !(f > 1) || double.IsInfinity(f)) return false;
        split = name[..at];
        factor = f;
        return true;
    }
}
