using OpenCvSharp;
using Vad.Teachers.Detection;
using Vad.Teachers.Objects;
using Vad.Teachers.Teachers;

namespace Vad.Teachers.Data;

/// <summary>How one object of a normal clip is made abnormal in place (<see cref="InContextPseudoAnomalies"/>).</summary>
public enum PseudoAnomalyKind
{
    /// <summary>A copy of the object replayed <see cref="InContextPseudoAnomalies.Speed"/> times faster along its own path,
    /// pasted into the frames while everything else plays normally (a cyclist or skater among walkers).</summary>
    Speed,
    /// <summary>The object turned upside down in place, moving as it does (an object of a shape never seen).</summary>
    Flip,
    /// <summary>
    /// The object frozen as it is in its first frame and slid along its own path <see cref="InContextPseudoAnomalies.GlideSpeed"/>
    /// times faster: a rigid body that glides without limb motion (a skater or cyclist among walkers). Neither teacher
    /// trains on it (T1's motion pseudo-anomalies scale the flow of walking people x2-x4, T2's irregularity skips frames of
    /// walking people), unlike <see cref="Speed"/> and <see cref="Flip"/>; not in <see cref="InContextPseudoAnomalies.DefaultKinds"/>.
    /// </summary>
    Glide,
    /// <summary>
    /// <see cref="Speed"/>'s alteration on the tracks with the most other objects around them (mean count of other whole
    /// objects overlapping the square T2 cuts its stack from): a fast object among others, where a teacher that
    /// discounts crowds could miss it. Tracks with no neighbour at all are not used. Not in
    /// <see cref="InContextPseudoAnomalies.DefaultKinds"/>.
    /// </summary>
    Crowd,
    /// <summary>
    /// The object stretched <see cref="InContextPseudoAnomalies.StretchFactor"/> times wider about its centre, moving as it
    /// does: a silhouette wider than any walker, like a cart, a bicycle seen side-on or a wheelchair. Neither teacher trains
    /// on it. Not in <see cref="InContextPseudoAnomalies.DefaultKinds"/>.
    /// </summary>
    Stretch,
    /// <summary>
    /// <see cref="Stretch"/> and <see cref="Speed"/> at once: a copy of the object stretched
    /// <see cref="InContextPseudoAnomalies.StretchFactor"/> times wider, replayed <see cref="InContextPseudoAnomalies.Speed"/>
    /// times faster along its own path while everything else plays as filmed (a wide, fast silhouette, like a cyclist
    /// among walkers). Neither teacher trains on it. Not in <see cref="InContextPseudoAnomalies.DefaultKinds"/>.
    /// </summary>
    Ride,
}

/// <summary>
/// A short stretch of a normal clip with one object made abnormal: <see cref="Frames"/> (owned, dispose them) and, per
/// frame, whether it counts as abnormal. Frames around the altered ones are context (optical flow and T2's stacks look
/// 3 frames each way) and count as neither: <see cref="Abnormal"/> is null there.
/// </summary>
public sealed record PseudoAnomalySegment(string Clip, PseudoAnomalyKind Kind, int FirstFrame, Mat[] Frames, bool?[] Abnormal) : IDisposable
{
    public void Dispose() { foreach (var f in Frames) f.Dispose(); }
}

/// <summary>
/// Local pseudo-anomalies made from normal training footage, for model selection on training data only. The whole-frame
/// sped-up copies the teachers were validated on make every object abnormal at once, so they cannot tell whether a
/// teacher finds one odd object among normal ones, or one inside a crowd. Here a single tracked object is altered (its
/// foreground pixels, cut with the background model, pasted back), the rest of the frame stays as filmed.
/// Deterministic: the tracks are chosen by rank, nothing is random.
/// </summary>
public static class InContextPseudoAnomalies
{
    public const int Speed = 2;
    /// <summary>How much faster than the object itself a <see cref="PseudoAnomalyKind.Glide"/> copy moves along its path.</summary>
    public const double GlideSpeed = 1.5;
    /// <summary>How many times wider a <see cref="PseudoAnomalyKind.Stretch"/> object becomes.</summary>
    public const int StretchFactor = 2;
    /// <summary>The kinds the validations and the local dataset use unless told otherwise (all of them until Glide existed).</summary>
    public static readonly PseudoAnomalyKind[] DefaultKinds = [PseudoAnomalyKind.Speed, PseudoAnomalyKind.Flip];

    /// <summary>Parses kind names ("speed", "flip", "glide"); a clear error for anything else.</summary>
    public static PseudoAnomalyKind[] ParseKinds(IEnumerable<string> names)
    {
        var kinds = names.Select(n => Enum.TryParse<PseudoAnomalyKind>(n, ignoreCase: true, out var k) && Enum.IsDefined(k) && !int.TryParse(n, out _) ? k
            : throw new ArgumentException($"unknown pseudo-anomaly kind '{n}' (kinds: {string.Join(", ", Enum.GetNames<PseudoAnomalyKind>().Select(x => x.ToLowerInvariant()))})")).Distinct().ToArray();
        return kinds.Length > 0 ? kinds : throw new ArgumentException("no pseudo-anomaly kind given");
    }
    /// <summary>Frames each way the teachers' inputs look at (flow at t-3 and t+3, T2's stack i-3..i+3).</summary>
    public const int Context = 3;
    /// <summary>Shortest track used: at <see cref="Speed"/> 2 it gives 15 altered frames, 9 of them counted.</summary>
    public const int MinTrackFrames = 30;
    /// <summary>Objects shorter than this (pixels) are fragments, not whole people.</summary>
    public const int MinObjectHeight = 20;

    /// <summary>A whole object followed frame to frame: <see cref="Boxes"/>[i] is its box in frame <see cref="Start"/> + i.</summary>
    public sealed record Track(int Start, Rect[] Boxes)
    {
        public int End => Start + Boxes.Length - 1;
    }

    /// <summary>
    /// Tracks of whole objects (blobs of the background model, not split into person windows): chains of mutual best-IoU
    /// links, away from the frame edge (with <paramref name="edges"/>: also while touching it, entering or leaving the
    /// scene), at least <see cref="MinObjectHeight"/> tall, at least <paramref name="minFrames"/> long.
    /// </summary>
    public static List<Track> Tracks(IReadOnlyList<Mat> frames, BackgroundSubtractionDetector wholeObjects, int minFrames = MinTrackFrames, bool edges = false) =>
        Tracks(WholeBoxes(frames, wholeObjects, edges), minFrames);

    /// <summary>Per frame, the boxes tracks are made of: whole objects at least <see cref="MinObjectHeight"/> tall, away from
    /// the frame edge unless <paramref name="edges"/>.</summary>
    public static List<IReadOnlyList<Rect>> WholeBoxes(IReadOnlyList<Mat> frames, BackgroundSubtractionDetector wholeObjects, bool edges) =>
        frames.Select(f => (IReadOnlyList<Rect>)wholeObjects.Detect(f).Select(o => o.Box)
            .Where(b => (edges || !ObjectCrops.IsTruncated(b, f.Width, f.Height)) && b.Height >= MinObjectHeight).ToList()).ToList();

    private static List<Track> Tracks(List<IReadOnlyList<Rect>> boxes, int minFrames)
    {
        var links = ObjectTracks.Link(boxes);
        var used = boxes.Select(b => new bool[b.Count]).ToArray();
        var tracks = new List<Track>();
        for (int f = 0; f < boxes.Count; f++)
            for (int k = 0; k < boxes[f].Count; k++)
            {
                if (used[f][k]) continue;
                var chain = new List<Rect> { boxes[f][k] };
                used[f][k] = true;
                int ff = f, kk = k;
                while (ff + 1 < boxes.Count && links.Next[ff][kk] is var j && j >= 0 && links.Previous[ff + 1][j] == kk && !used[ff + 1][j])
                {
                    ff++;
                    kk = j;
                    used[ff][kk] = true;
                    chain.Add(boxes[ff][kk]);
                }
                if (chain.Count >= minFrames) tracks.Add(new Track(f, chain.ToArray()));
            }
        return tracks;
    }

    /// <summary>A track's mean number of other boxes overlapping its stack square (<see cref="NuisanceCalibration.NeighboursInStackSquare"/>),
    /// over the frames <see cref="Segment"/> alters.</summary>
    public static double MeanNeighbours(Track track, IReadOnlyList<IReadOnlyList<Rect>> boxes)
    {
        int altered = (track.Boxes.Length - 1) / Speed + 1;
        double sum = 0;
        for (int i = 0; i < altered; i++)
        {
            var frame = boxes[track.Start + i].ToList();
            int k = frame.IndexOf(track.Boxes[i]);
            sum += NuisanceCalibration.NeighboursInStackSquare(frame, k, InputSizes.Stack);
        }
        return sum / altered;
    }

    /// <summary>
    /// Up to <paramref name="perClip"/> segments of one kind: the tracks in order of their first frame, every
    /// (count / perClip)-th taken so that the choice spreads over the clip.
    /// </summary>
    public static List<PseudoAnomalySegment> Make(string clip, IReadOnlyList<Mat> frames, BackgroundSubtractionDetector wholeObjects,
        PseudoAnomalyKind kind, int perClip, bool edges = false)
    {
        var boxes = WholeBoxes(frames, wholeObjects, edges);
        var tracks = Tracks(boxes, MinTrackFrames);
        // Crowd: the most crowded tracks (ties: the earlier); the others spread over the clip.
        var chosen = kind == PseudoAnomalyKind.Crowd
            ? tracks.Select(t => (Track: t, Neighbours: MeanNeighbours(t, boxes))).Where(t => t.Neighbours > 0)
                .OrderByDescending(t => t.Neighbours).ThenBy(t => t.Track.Start).Take(perClip).Select(t => t.Track).ToList()
            : tracks.Count <= perClip ? tracks
            : Enumerable.Range(0, perClip).Select(i => tracks[(int)((long)i * tracks.Count / perClip)]).ToList();
        return chosen.Select(t => Segment(clip, frames, wholeObjects, t, kind)).ToList();
    }

    /// <summary><see cref="Make"/> for each of <paramref name="kinds"/> (default <see cref="DefaultKinds"/>) in turn, each segment
    /// with its index within its kind.</summary>
    public static IEnumerable<(PseudoAnomalySegment Segment, int Index)> MakeEveryKind(string clip, IReadOnlyList<Mat> frames,
        BackgroundSubtractionDetector wholeObjects, int perClip, bool edges = false, IReadOnlyList<PseudoAnomalyKind>? kinds = null) =>
        (kinds ?? DefaultKinds).SelectMany(kind => Make(clip, frames, wholeObjects, kind, perClip, edges).Select((s, n) => (s, n)));

    /// <summary>The frames <c>[first - Context, last + Context]</c> around the altered ones, altered frames counted abnormal
    /// except their first and last <see cref="Context"/> (where the flow would also see the alteration start or stop).</summary>
    public static PseudoAnomalySegment Segment(string clip, IReadOnlyList<Mat> frames, BackgroundSubtractionDetector wholeObjects, Track track, PseudoAnomalyKind kind)
    {
        // Speed: frame j shows, besides everything as filmed, the object as it is at frame Start + Speed * (j - Start)
        // (Ride: that copy stretched).
        // Flip: frame j's object is replaced by itself turned upside down. Glide: frame j shows, besides everything as
        // filmed, the object's first-frame pixels where the object is at Start + GlideSpeed * (j - Start). All alter as
        // many frames, so that no kind weighs more in a pooled AUC.
        int altered = (track.Boxes.Length - 1) / Speed + 1;
        int first = Math.Max(0, track.Start - Context), last = Math.Min(frames.Count - 1, track.Start + altered - 1 + Context);
        var outFrames = new Mat[last - first + 1];
        var abnormal = new bool?[outFrames.Length];
        for (int j = first; j <= last; j++)
        {
            int i = j - track.Start;
            var frame = frames[j].Clone();
            if (i >= 0 && i < altered)
            {
                switch (kind)
                {
                    case PseudoAnomalyKind.Speed or PseudoAnomalyKind.Crowd: PasteObject(frame, frames[track.Start + Speed * i], track.Boxes[Speed * i], wholeObjects); break;
                    case PseudoAnomalyKind.Flip: FlipObject(frame, track.Boxes[i], wholeObjects); break;
                    case PseudoAnomalyKind.Stretch: StretchObject(frame, track.Boxes[i], wholeObjects); break;
                    case PseudoAnomalyKind.Ride: PasteStretched(frame, frames[track.Start + Speed * i], track.Boxes[Speed * i], wholeObjects); break;
                    case PseudoAnomalyKind.Glide: PasteShifted(frame, frames[track.Start], track.Boxes[0], GlideShift(track, i), wholeObjects); break;
                    default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "no alteration for this kind");
                }
                abnormal[j - first] = i >= Context && i < altered - Context ? true : null;
            }
            outFrames[j - first] = frame;
        }
        return new PseudoAnomalySegment(clip, kind, first, outFrames, abnormal);
    }

    /// <summary>Where a glide copy is in its k-th altered frame, relative to the track's first box: the displacement of the
    /// box's bottom centre from the first frame to frame Start + round(GlideSpeed * k) (within the track).</summary>
    public static Point GlideShift(Track track, int k)
    {
        var to = track.Boxes[Math.Min(track.Boxes.Length - 1, (int)Math.Round(GlideSpeed * k))];
        var from = track.Boxes[0];
        return new Point(to.X + to.Width / 2 - (from.X + from.Width / 2), to.Bottom - from.Bottom);
    }

    /// <summary>Copies the foreground pixels of <paramref name="source"/> inside <paramref name="box"/> onto
    /// <paramref name="target"/> moved by <paramref name="shift"/>; what would fall outside the frame is cut off.</summary>
    public static void PasteShifted(Mat target, Mat source, Rect box, Point shift, BackgroundSubtractionDetector wholeObjects)
    {
        var dstBox = new Rect(box.X + shift.X, box.Y + shift.Y, box.Width, box.Height).Intersect(new Rect(0, 0, target.Width, target.Height));
        if (dstBox.Width <= 0 || dstBox.Height <= 0) return;
        var srcBox = new Rect(dstBox.X - shift.X, dstBox.Y - shift.Y, dstBox.Width, dstBox.Height);
        using var mask = wholeObjects.ForegroundMask(source);
        using var src = new Mat(source, srcBox);
        using var dst = new Mat(target, dstBox);
        using var m = new Mat(mask, srcBox);
        src.CopyTo(dst, m);
    }

    /// <summary>Copies the foreground pixels of <paramref name="source"/> inside <paramref name="box"/> onto <paramref name="target"/>.</summary>
    public static void PasteObject(Mat target, Mat source, Rect box, BackgroundSubtractionDetector wholeObjects) =>
        PasteShifted(target, source, box, new Point(0, 0), wholeObjects);

    /// <summary>Where a <see cref="PseudoAnomalyKind.Stretch"/> object of <paramref name="box"/> is drawn: the box made
    /// <see cref="StretchFactor"/> times wider about its centre (not cut to the frame).</summary>
    public static Rect StretchedBox(Rect box)
    {
        int w = box.Width * StretchFactor;
        return new Rect(box.X + box.Width / 2 - w / 2, box.Y, w, box.Height);
    }

    /// <summary>Replaces the object in <paramref name="box"/> by itself stretched <see cref="StretchFactor"/> times wider:
    /// its foreground pixels become background, then the stretched foreground is drawn over <see cref="StretchedBox"/>
    /// (what falls outside the frame is cut off).</summary>
    public static void StretchObject(Mat frame, Rect box, BackgroundSubtractionDetector wholeObjects)
    {
        var (object_, m) = LiftObject(frame, box, wholeObjects);
        using (object_)
        using (m) DrawStretched(frame, object_, m, box);
    }

    /// <summary>Draws the foreground pixels of <paramref name="source"/> inside <paramref name="box"/>, stretched
    /// <see cref="StretchFactor"/> times wider, over <paramref name="target"/> (the object in the target stays).</summary>
    public static void PasteStretched(Mat target, Mat source, Rect box, BackgroundSubtractionDetector wholeObjects)
    {
        using var mask = wholeObjects.ForegroundMask(source);
        using var m = new Mat(mask, box);
        using var object_ = new Mat(source, box);
        DrawStretched(target, object_, m, box);
    }

    /// <summary>Resizes an object's pixels and mask (both of <paramref name="box"/>'s size) to <see cref="StretchedBox"/>
    /// and copies the masked pixels there.</summary>
    private static void DrawStretched(Mat frame, Mat object_, Mat mask, Rect box)
    {
        var wide = StretchedBox(box);
        using var stretched = new Mat();
        using var stretchedMask = new Mat();
        Cv2.Resize(object_, stretched, new Size(wide.Width, wide.Height), interpolation: InterpolationFlags.Linear);
        Cv2.Resize(mask, stretchedMask, new Size(wide.Width, wide.Height), interpolation: InterpolationFlags.Nearest);
        var dst = wide.Intersect(new Rect(0, 0, frame.Width, frame.Height));
        if (dst.Width <= 0 || dst.Height <= 0) return;
        var src = new Rect(dst.X - wide.X, dst.Y - wide.Y, dst.Width, dst.Height);
        using var target = new Mat(frame, dst);
        using var s = new Mat(stretched, src);
        using var sm = new Mat(stretchedMask, src);
        s.CopyTo(target, sm);
    }

    /// <summary>Takes the object in <paramref name="box"/> out of <paramref name="frame"/>: returns its pixels and its
    /// foreground mask within the box (the caller disposes both) and paints its foreground pixels with the background.</summary>
    private static (Mat Object, Mat Mask) LiftObject(Mat frame, Rect box, BackgroundSubtractionDetector wholeObjects)
    {
        using var mask = wholeObjects.ForegroundMask(frame);
        var m = new Mat(mask, box).Clone();
        using var region = new Mat(frame, box);
        var object_ = region.Clone();
        using var bg = new Mat(wholeObjects.Background, box);
        bg.CopyTo(region, m);
        return (object_, m);
    }

    /// <summary>Replaces the object in <paramref name="box"/> by its vertical mirror image: its foreground pixels become
    /// background, then the mirrored foreground is drawn over them.</summary>
    public static void FlipObject(Mat frame, Rect box, BackgroundSubtractionDetector wholeObjects)
    {
        var (object_, m) = LiftObject(frame, box, wholeObjects);
        using (object_)
        using (m)
        {
            using var region = new Mat(frame, box);
            using var flipped = new Mat();
            using var flippedMask = new Mat();
            Cv2.Flip(object_, flipped, FlipMode.X);
            Cv2.Flip(m, flippedMask, FlipMode.X);
            flipped.CopyTo(region, flippedMask);
        }
    }
}
