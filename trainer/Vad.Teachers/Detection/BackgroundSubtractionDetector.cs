using OpenCvSharp;

namespace Vad.Teachers.Detection;

/// <summary>Settings of <see cref="BackgroundSubtractionDetector"/> (chosen a priori / on training frames).</summary>
public sealed record BackgroundSubtractionOptions
{
    /// <summary>|frame - background| above this (gray levels) is foreground.</summary>
    public int DiffThreshold { get; init; } = 18;
    public int OpenKernel { get; init; } = 3;
    public int CloseKernel { get; init; } = 7;
    public int MinArea { get; init; } = 40;
    public int MinHeight { get; init; } = 8;
    /// <summary>Boxes are grown by this many pixels on each side (blobs cut by thresholding are tight).</summary>
    public int Pad { get; init; } = 2;
    /// <summary>
    /// Expected person height by image row (perspective), learned on training frames. When set, blobs much larger
    /// than one person (groups merged into one blob) are replaced by overlapping person-sized windows.
    /// </summary>
    public PersonHeightModel? PersonHeight { get; init; }
}

/// <summary>Expected person height (pixels) for a box whose bottom is at image row y: A + B * y (at least 8).</summary>
public sealed record PersonHeightModel(double A, double B)
{
    public double At(double bottom) => Math.Max(8, A + B * bottom);

    /// <summary>
    /// Also split blobs that are people stacked in depth (a far person above a near one, merged into one tall blob): a
    /// blob taller than 1.6 heights of a person whose head is at its top row is covered by rows of windows sized by
    /// the perspective of each row. False (the default, and what a person_height.json without the field means): such a
    /// blob is judged by its bottom row only, which expects the near person's height and keeps the stack whole.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool SplitStacks { get; init; }

    /// <summary>Height of a person whose head is at image row <paramref name="top"/>: the h with h = A + B * (top + h).</summary>
    public double FromTop(double top) => B < 1 ? Math.Max(8, (A + B * top) / (1 - B)) : At(top);

    /// <summary>Least-squares line through the median height per 10-row band of person-like boxes (height 1.5-4x width).</summary>
    public static PersonHeightModel Fit(IEnumerable<Rect> boxes)
    {
        var bands = boxes.Where(b => b.Height >= 1.5 * b.Width && b.Height <= 4 * b.Width)
            .GroupBy(b => (b.Y + b.Height) / 10)
            .Where(g => g.Count() >= 10)
            .Select(g =>
            {
                var h = g.Select(b => (double)b.Height).OrderBy(v => v).ToArray();
                return (Y: g.Average(b => (double)(b.Y + b.Height)), H: h[h.Length / 2], N: (double)g.Count());
            }).ToList();
        if (bands.Count < 2) throw new DetectorException($"too few person-like blobs to fit a person height model ({bands.Count} bands)");
        double sw = bands.Sum(b => b.N), my = bands.Sum(b => b.N * b.Y) / sw, mh = bands.Sum(b => b.N * b.H) / sw;
        double cov = bands.Sum(b => b.N * (b.Y - my) * (b.H - mh)), var = bands.Sum(b => b.N * (b.Y - my) * (b.Y - my));
        double slope = var > 0 ? cov / var : 0;
        return new PersonHeightModel(mh - slope * my, slope);
    }
}

/// <summary>
/// Class-agnostic detector for fixed cameras, needing no weights: a per-pixel median background learned from normal
/// training frames, absolute difference, morphology (open, then close), connected components and size filters.
/// Finds people, bicycles, carts and vehicles alike (anything that differs from the background).
/// </summary>
public sealed class BackgroundSubtractionDetector : IObjectDetector
{
    private readonly Mat _background;
    private readonly BackgroundSubtractionOptions _o;
    private readonly Mat _openK, _closeK;

    public BackgroundSubtractionDetector(Mat background, BackgroundSubtractionOptions? options = null)
    {
        if (background.Type() != MatType.CV_8UC1) throw new DetectorException("background must be 8-bit gray");
        _background = background.Clone();
        _o = options ?? new BackgroundSubtractionOptions();
        _openK = Cv2.GetStructuringElement(MorphShapes.Rect, new Size(_o.OpenKernel, _o.OpenKernel));
        _closeK = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(_o.CloseKernel, _o.CloseKernel));
    }

    public string Name => "background-subtraction";
    public Mat Background => _background;
    /// <summary>The perspective model learned with the background (null when none was learned).</summary>
    public PersonHeightModel? PersonHeight => _o.PersonHeight;

    public static BackgroundSubtractionDetector Load(string backgroundPng, BackgroundSubtractionOptions? options = null)
    {
        using var bg = Cv2.ImRead(backgroundPng, ImreadModes.Grayscale);
        if (bg.Empty()) throw new DetectorException($"cannot read background image {backgroundPng}");
        return new BackgroundSubtractionDetector(bg, options);
    }

    /// <summary>Per-pixel median of the given gray frames (all the same size), via per-pixel histograms.</summary>
    public static Mat MedianBackground(IReadOnlyList<Mat> frames)
    {
        if (frames.Count == 0) throw new DetectorException("no frames to learn a background from");
        int w = frames[0].Width, h = frames[0].Height, n = w * h;
        var hist = new ushort[n * 256];
        var buf = new byte[n];
        foreach (var f in frames)
        {
            if (f.Width != w || f.Height != h) throw new DetectorException("background frames differ in size");
            f.GetArray(out byte[] px);
            for (int p = 0; p < n; p++) hist[p * 256 + px[p]]++;
        }
        int half = (frames.Count + 1) / 2;
        for (int p = 0; p < n; p++)
        {
            int acc = 0, v = 0;
            for (; v < 256; v++) { acc += hist[p * 256 + v]; if (acc >= half) break; }
            buf[p] = (byte)Math.Min(v, 255);
        }
        var bg = new Mat(h, w, MatType.CV_8UC1);
        bg.SetArray(buf);
        return bg;
    }

    /// <summary>The cleaned foreground mask (255 = foreground).</summary>
    public Mat ForegroundMask(Mat gray)
    {
        if (gray.Size() != _background.Size())
            throw new DetectorException($"frame {gray.Width}x{gray.Height} does not match the background {_background.Width}x{_background.Height}");
        var diff = new Mat();
        Cv2.Absdiff(gray, _background, diff);
        Cv2.Threshold(diff, diff, _o.DiffThreshold, 255, ThresholdTypes.Binary);
        Cv2.MorphologyEx(diff, diff, MorphTypes.Open, _openK);
        Cv2.MorphologyEx(diff, diff, MorphTypes.Close, _closeK);
        return diff;
    }

    public IReadOnlyList<DetectedObject> Detect(Mat gray)
    {
        using var mask = ForegroundMask(gray);
        using var labels = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        int n = Cv2.ConnectedComponentsWithStats(mask, labels, stats, centroids, PixelConnectivity.Connectivity8);
        var result = new List<DetectedObject>();
        for (int i = 1; i < n; i++)
        {
            int x = stats.At<int>(i, 0), y = stats.At<int>(i, 1), w = stats.At<int>(i, 2), h = stats.At<int>(i, 3);
            int area = stats.At<int>(i, 4);
            if (area < _o.MinArea || h < _o.MinHeight) continue;
            int x0 = Math.Max(0, x - _o.Pad), y0 = Math.Max(0, y - _o.Pad);
            int x1 = Math.Min(gray.Width, x + w + _o.Pad), y1 = Math.Min(gray.Height, y + h + _o.Pad);
            float fill = Math.Clamp((float)area / (w * h), 0f, 1f);
            var box = new Rect(x0, y0, x1 - x0, y1 - y0);
            if (_o.PersonHeight is { } ph) result.AddRange(SplitObjects(box, fill, ph));
            else result.Add(new DetectedObject(box, fill, "object"));
        }
        return result;
    }

    /// <summary>Label of the person-sized windows a merged group is covered by (<see cref="Split"/>).</summary>
    public const string GroupWindowLabel = "group-window";

    /// <summary>A blob as detected objects: itself, or the windows of <see cref="Split"/> labelled
    /// <see cref="GroupWindowLabel"/> (a population of their own).</summary>
    public static IEnumerable<DetectedObject> SplitObjects(Rect box, float fill, PersonHeightModel ph)
    {
        var windows = Split(box, ph).ToList();
        bool group = windows.Count > 1 || windows[0] != box;
        return windows.Select(r => new DetectedObject(r, fill, group ? GroupWindowLabel : "object"));
    }

    /// <summary>
    /// A blob more than 2 person widths wide (width = half the expected height) or 1.6 person heights tall is covered
    /// by person-sized windows (1.4 widths x 1.2 heights) at half-window strides; other blobs are kept whole.
    /// </summary>
    public static IEnumerable<Rect> Split(Rect box, PersonHeightModel ph)
    {
        if (ph.SplitStacks && box.Height > 1.6 * ph.FromTop(box.Y))
        {
            foreach (var r in SplitStack(box, ph)) yield return r;
            yield break;
        }
        double hExp = ph.At(box.Y + box.Height), wExp = hExp / 2;
        bool wide = box.Width > 2 * wExp, tall = box.Height > 1.6 * hExp;
        if (!wide && !tall)
        {
            yield return box;
            yield break;
        }
        int ww = wide ? (int)Math.Round(1.4 * wExp) : box.Width;
        int wh = tall ? (int)Math.Round(1.2 * hExp) : box.Height;
        foreach (int y in Starts(box.Y, box.Height, wh))
            foreach (int x in Starts(box.X, box.Width, ww))
                yield return new Rect(x, y, ww, wh);
    }

    /// <summary>
    /// A stack (<see cref="PersonHeightModel.SplitStacks"/>) as rows of windows from its top down: a row starting at y is
    /// 1.2 heights of a person whose head is at y tall (cut at the blob's bottom), the next starts half a row lower, and
    /// the row that reaches the bottom is the last. A row wider than 2 person widths (width = half the height) is
    /// covered by windows 1.4 widths wide at half-window strides, as <see cref="Split"/> does for a wide group.
    /// </summary>
    public static IEnumerable<Rect> SplitStack(Rect box, PersonHeightModel ph)
    {
        int bottom = box.Y + box.Height;
        for (int y = box.Y; ;)
        {
            double h = ph.FromTop(y);
            int wh = Math.Min(bottom - y, Math.Max(1, (int)Math.Round(1.2 * h)));
            int ww = box.Width > h ? Math.Max(1, (int)Math.Round(0.7 * h)) : box.Width;
            foreach (int x in Starts(box.X, box.Width, ww)) yield return new Rect(x, y, ww, wh);
            if (y + wh >= bottom) yield break;
            y += Math.Max(1, wh / 2);
        }
    }

    private static IEnumerable<int> Starts(int origin, int extent, int window)
    {
        if (window >= extent) { yield return origin; yield break; }
        int n = (int)Math.Ceiling((extent - window) / (window / 2.0)) + 1;
        for (int k = 0; k < n; k++) yield return origin + (int)Math.Round((double)k * (extent - window) / (n - 1));
    }

    public void Dispose()
    {
        _background.Dispose();
        _openK.Dispose();
        _closeK.Dispose();
    }
}
