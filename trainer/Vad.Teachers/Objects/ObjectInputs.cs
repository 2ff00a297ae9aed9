using OpenCvSharp;

namespace Vad.Teachers.Objects;

/// <summary>Sizes of the object inputs the teachers use.</summary>
public static class InputSizes
{
    /// <summary>Appearance crop side (gray, pixel/255).</summary>
    public const int Appearance = 64;
    /// <summary>Motion crop side (two channels: flow magnitude t-3 -> t and t -> t+3).</summary>
    public const int Motion = 32;
    /// <summary>Side of each crop in T2's temporal stack.</summary>
    public const int Stack = 32;
    /// <summary>Temporal distance of the motion inputs (the paper's t = 3).</summary>
    public const int Dt = 3;
    /// <summary>T2's stack: frames i-3 .. i+3.</summary>
    public const int StackFrames = 7;
    /// <summary>A square crop is this much larger than the box's longer side (context; keeps the aspect ratio).</summary>
    public const float Context = 1.15f;
    /// <summary>Flow magnitudes are divided by this (pixels per 3 frames) before entering the networks.</summary>
    public const float MotionScale = 8f;
}

/// <summary>
/// Dense optical flow magnitudes of a clip: Mag[j] = |Farneback flow from frame j to frame j+3| (CV_32FC1),
/// for j = 0 .. n-4. Motion of frame i: past = Mag[i-3], future = Mag[i] (edges reuse the available side).
/// </summary>
public sealed class ClipMotion : IDisposable
{
    public Mat[] Mag { get; }

    private ClipMotion(Mat[] mag) => Mag = mag;

    public static ClipMotion Compute(IReadOnlyList<Mat> gray, Action? onFlow = null)
    {
        int n = Math.Max(0, gray.Count - InputSizes.Dt);
        var mags = new Mat[n];
        using var flow = new Mat();
        var xy = new Mat[2];
        for (int j = 0; j < n; j++)
        {
            Cv2.CalcOpticalFlowFarneback(gray[j], gray[j + InputSizes.Dt], flow, 0.5, 3, 15, 3, 5, 1.2, OpticalFlowFlags.None);
            Cv2.Split(flow, out xy);
            var mag = new Mat();
            Cv2.Magnitude(xy[0], xy[1], mag);
            xy[0].Dispose(); xy[1].Dispose();
            mags[j] = mag;
            onFlow?.Invoke();
        }
        return new ClipMotion(mags);
    }

    public (Mat Past, Mat Future) At(int i)
    {
        if (Mag.Length == 0) throw new InvalidOperationException($"clip too short for motion (needs more than {InputSizes.Dt} frames)");
        int past = i - InputSizes.Dt, fut = i;
        if (past < 0) past = Math.Min(fut, Mag.Length - 1);
        if (fut >= Mag.Length) fut = Math.Max(0, past);
        past = Math.Clamp(past, 0, Mag.Length - 1);
        return (Mag[past], Mag[fut]);
    }

    public void Dispose() { foreach (var m in Mag) m.Dispose(); }
}

public static class ObjectCrops
{
    /// <summary>Pixels from the frame edge within which a box counts as truncated.</summary>
    public const int EdgeMargin = 2;

    /// <summary>
    /// True when the box touches the frame edge: the object is only partly visible (entering or leaving), its crop
    /// would be padded with replicated edge pixels and its flow is unreliable. Such objects are neither trained on nor
    /// scored (on held-out normal training clips they were the highest-scoring objects).
    /// </summary>
    public static bool IsTruncated(Rect box, int width, int height) =>
        box.X < EdgeMargin || box.Y < EdgeMargin || box.X + box.Width > width - EdgeMargin || box.Y + box.Height > height - EdgeMargin;

    /// <summary>The square region (center of the box, side = longer box side x context, at least minSide) a crop is taken from.</summary>
    public static (Point2f Center, int Side) Square(Rect box, int minSide = 8)
    {
        int side = Math.Max(minSide, (int)MathF.Round(Math.Max(box.Width, box.Height) * InputSizes.Context));
        return (new Point2f(box.X + box.Width / 2f, box.Y + box.Height / 2f), side);
    }

    /// <summary>
    /// Square crop resized to size x size, border replicated outside the frame. Same type as src. With
    /// <paramref name="neighbours"/>, the other objects are painted over first (<paramref name="distance"/>: frames from
    /// the frame their boxes come from).
    /// </summary>
    public static Mat Crop(Mat src, Rect box, int size, int minSide = 8, NeighbourMask? neighbours = null, int distance = 0)
    {
        var (c, side) = Square(box, minSide);
        using var patch = new Mat();
        Cv2.GetRectSubPix(src, new Size(side, side), c, patch);
        neighbours?.Paint(patch, c, box, distance);
        var dst = new Mat();
        Cv2.Resize(patch, dst, new Size(size, size), 0, 0, side > size ? InterpolationFlags.Area : InterpolationFlags.Linear);
        return dst;
    }

    /// <summary>Gray crop as pixel/255 floats, row-major.</summary>
    public static void AppearanceInto(Mat gray, Rect box, int size, Span<float> dst)
    {
        using var m = Crop(gray, box, size);
        m.GetArray(out byte[] px);
        for (int k = 0; k < px.Length; k++) dst[k] = px[k] / 255f;
    }

    public static byte[] AppearanceBytes(Mat gray, Rect box, int size)
    {
        using var m = Crop(gray, box, size);
        m.GetArray(out byte[] px);
        return px;
    }

    /// <summary>Two channels (past, future) of flow magnitude / MotionScale, each size x size.</summary>
    public static void MotionInto(ClipMotion motion, int frame, Rect box, Span<float> dst)
    {
        int s = InputSizes.Motion, n = s * s;
        var (past, fut) = motion.At(frame);
        using (var a = Crop(past, box, s)) { a.GetArray(out float[] v); for (int k = 0; k < n; k++) dst[k] = v[k] / InputSizes.MotionScale; }
        using (var b = Crop(fut, box, s)) { b.GetArray(out float[] v); for (int k = 0; k < n; k++) dst[n + k] = v[k] / InputSizes.MotionScale; }
    }

    /// <summary>
    /// Crops of the same box in frames i + o*step for o in [-half, half] (indices clamped to the clip), bytes; the square
    /// is at least <paramref name="minSide"/> pixels (T2: its input size, so a fragment's crop keeps its surroundings).
    /// With <paramref name="neighbours"/>, see <see cref="NeighbourMask"/>.
    /// </summary>
    public static byte[] StackBytes(IReadOnlyList<Mat> gray, int frame, Rect box, int half, int step, int size, int minSide = 8,
        NeighbourMask? neighbours = null)
    {
        int count = 2 * half + 1, n = size * size;
        var result = new byte[count * n];
        for (int o = -half; o <= half; o++)
        {
            int f = Math.Clamp(frame + o * step, 0, gray.Count - 1);
            using var m = Crop(gray[f], box, size, minSide, neighbours, Math.Abs(f - frame));
            m.GetArray(out byte[] px);
            Array.Copy(px, 0, result, (o + half) * n, n);
        }
        return result;
    }
}

/// <summary>
/// The other objects of an object's frame, painted over with the background in its stack crops, so that T2 sees the
/// object's own motion and not people passing through its square (T2's score followed the number of such neighbours).
/// Boxes overlapping the object itself (merged blobs, windows of the same group) cannot be separated and are kept.
/// Boxes come from the object's own frame; in a frame d frames away each is grown by <see cref="Pad"/> + ceil(d x
/// <see cref="Growth"/>) pixels for the motion since, and the object's own box, grown alike, is never painted.
/// </summary>
public sealed class NeighbourMask(Mat background, IReadOnlyList<Rect> others)
{
    /// <summary>Pixels every box is grown by (the detector's boxes are tight).</summary>
    public const int Pad = 2;
    /// <summary>Pixels per frame of distance a box is grown by (a walker moves about 1 pixel per frame in Ped2).</summary>
    public const float Growth = 1.5f;

    public IReadOnlyList<Rect> Others { get; } = others;

    /// <summary>The boxes of the object's frame that do not overlap its own box (itself included among them or not).</summary>
    public static NeighbourMask For(Mat background, IEnumerable<Rect> frameBoxes, Rect own) =>
        new(background, frameBoxes.Where(b => !b.IntersectsWith(own)).ToList());

    /// <summary>Paints the background over the neighbours in a square patch cut around centre c from the object's frame.</summary>
    public void Paint(Mat patch, Point2f c, Rect box, int distance)
    {
        int side = patch.Width;
        // GetRectSubPix puts source pixel (x, y) at patch (x - c.X + (side - 1) / 2, y - c.Y + (side - 1) / 2).
        float ox = c.X - (side - 1) / 2f, oy = c.Y - (side - 1) / 2f;
        int grow = Pad + (int)MathF.Ceiling(distance * Growth);
        using var mask = new Mat(side, side, MatType.CV_8UC1, Scalar.All(0));
        bool any = false;
        foreach (var b in Others)
        {
            var r = Local(b, grow, ox, oy, side);
            if (r.Width <= 0 || r.Height <= 0) continue;
            mask[r].SetTo(Scalar.All(255));
            any = true;
        }
        if (!any) return;
        var self = Local(box, grow, ox, oy, side);
        if (self.Width > 0 && self.Height > 0) mask[self].SetTo(Scalar.All(0));
        using var bg = new Mat();
        Cv2.GetRectSubPix(background, new Size(side, side), c, bg);
        bg.CopyTo(patch, mask);
    }

    /// <summary>Box grown by <paramref name="grow"/> pixels, in patch coordinates, clipped to the patch.</summary>
    private static Rect Local(Rect b, int grow, float ox, float oy, int side)
    {
        int x0 = Math.Max(0, (int)MathF.Floor(b.X - grow - ox)), y0 = Math.Max(0, (int)MathF.Floor(b.Y - grow - oy));
        int x1 = Math.Min(side, (int)MathF.Ceiling(b.X + b.Width + grow - ox)), y1 = Math.Min(side, (int)MathF.Ceiling(b.Y + b.Height + grow - oy));
        return new Rect(x0, y0, x1 - x0, y1 - y0);
    }
}
