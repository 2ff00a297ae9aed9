using System.Globalization;

namespace Vad.Core.Frames;

/// <summary>
/// Where a sped-up copy is sped up: the whole frame, or only its top or bottom half (the other half plays at normal
/// speed). A half-frame copy is a local pseudo-anomaly: some objects too fast among normal ones, so a frame-level
/// student cannot learn "much motion in the frame" instead of "an object too fast". Ped2's people walk mostly
/// sideways, so a horizontal seam is rarely crossed.
/// </summary>
public enum SpeedRegion { Frame, Top, Bottom }

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

    /// <summary>
    /// A copy sped up in <paramref name="region"/> only: frame j takes the region's rows from frame floor(j * factor)
    /// and the other rows from frame j (<paramref name="composite"/>(fast, normal) builds it; <see cref="FastRows"/>
    /// says which rows). Same length as the whole-frame copy.
    /// </summary>
    public static IReadOnlyList<T> Apply<T>(IReadOnlyList<T> frames, double factor, SpeedRegion region, Func<T, T, T> composite)
    {
        if (region == SpeedRegion.Frame) return Apply(frames, factor);
        var idx = Indices(frames.Count, factor);
        return idx.Select((i, j) => composite(frames[i], frames[j])).ToList();
    }

    /// <summary>Rows [From, To) of a frame of <paramref name="height"/> rows that come from the sped-up copy.</summary>
    public static (int From, int To) FastRows(SpeedRegion region, int height) => region switch
    {
        SpeedRegion.Top => (0, height / 2),
        SpeedRegion.Bottom => (height / 2, height),
        _ => (0, height),
    };

    /// <summary>Composite of two interleaved-pixel frames (rows of <paramref name="rowBytes"/> bytes), see <see cref="Apply{T}(IReadOnlyList{T}, double, SpeedRegion, Func{T, T, T})"/>.</summary>
    public static byte[] CompositeRows(byte[] fast, byte[] normal, int rowBytes, SpeedRegion region)
    {
        if (fast.Length != normal.Length || rowBytes <= 0 || normal.Length % rowBytes != 0)
            throw new ArgumentException("frames differ in size or are not whole rows");
        var (from, to) = FastRows(region, normal.Length / rowBytes);
        var result = (byte[])normal.Clone();
        Array.Copy(fast, from * rowBytes, result, from * rowBytes, (to - from) * rowBytes);
        return result;
    }

    /// <summary>"train-x2-top" etc.; <see cref="SplitName(string, double)"/> for the whole frame.</summary>
    public static string SplitName(string split, double factor, SpeedRegion region) =>
        region == SpeedRegion.Frame || factor == 1 ? SplitName(split, factor) : $"{SplitName(split, factor)}-{region.ToString().ToLowerInvariant()}";

    /// <summary>Parses "&lt;split&gt;-x&lt;factor&gt;[-top|-bottom]"; false for anything else.</summary>
    public static bool TryParseSplit(string name, out string split, out double factor, out SpeedRegion region)
    {
        region = SpeedRegion.Frame;
        foreach (var r in new[] { SpeedRegion.Top, SpeedRegion.Bottom })
        {
            string suffix = "-" + r.ToString().ToLowerInvariant();
            if (name.EndsWith(suffix, StringComparison.Ordinal) && TryParseSplit(name[..^suffix.Length], out split, out factor))
            {
                region = r;
                return true;
            }
        }
        return TryParseSplit(name, out split, out factor);
    }

    /// <summary>Parses "top", "bottom" or "frame".</summary>
    public static SpeedRegion ParseRegion(string text) => text switch
    {
        "frame" => SpeedRegion.Frame,
        "top" => SpeedRegion.Top,
        "bottom" => SpeedRegion.Bottom,
        _ => throw new ArgumentException($"unknown region '{text}' (frame | top | bottom)"),
    };

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
