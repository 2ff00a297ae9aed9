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
    public static List<Track> Tracks(IReadOnlyList<Mat> frames, BackgroundSubtractionDetector wholeObjects, int minFrames = MinTrackFrames, bool edges = false)
    {
        var boxes = frames.Select(f => (IReadOnlyList<Rect>)wholeObjects.Detect(f).Select(o => o.Box)
            .Where(b => (edges || !ObjectCrops.IsTruncated(b, f.Width, f.Height)) && b.Height >= MinObjectHeight).ToList()).ToList();
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

    /// <summary>
    /// Up to <paramref name="perClip"/> segments of one kind: the tracks in order of their first frame, every
    /// (count / perClip)-th taken so that the choice spreads over the clip.
    /// </summary>
    public static List<PseudoAnomalySegment> Make(string clip, IReadOnlyList<Mat> frames, BackgroundSubtractionDetector wholeObjects,
        PseudoAnomalyKind kind, int perClip, bool edges = false)
    {
        var tracks = Tracks(frames, wholeObjects, edges: edges);
        var chosen = tracks.Count <= perClip ? tracks
            : Enumerable.Range(0, perClip).Select(i => tracks[(int)((long)i * tracks.Count / perClip)]).ToList();
        return chosen.Select(t => Segment(clip, frames, wholeObjects, t, kind)).ToList();
    }

    /// <summary><see cref="Make"/> for every kind in turn, each segment with its index within its kind.</summary>
    public static IEnumerable<(PseudoAnomalySegment Segment, int Index)> MakeEveryKind(string clip, IReadOnlyList<Mat> frames,
        BackgroundSubtractionDetector wholeObjects, int perClip, bool edges = false) =>
        Enum.GetValues<PseudoAnomalyKind>().SelectMany(kind => Make(clip, frames, wholeObjects, kind, perClip, edges).Select((s, n) => (s, n)));

    /// <summary>The frames <c>[first - Context, last + Context]</c> around the altered ones, altered frames counted abnormal
    /// except their first and last <see cref="Context"/> (where the flow would also see the alteration start or stop).</summary>
    public static PseudoAnomalySegment Segment(string clip, IReadOnlyList<Mat> frames, BackgroundSubtractionDetector wholeObjects, Track track, PseudoAnomalyKind kind)
    {
        // Speed: frame j shows, besides everything as filmed, the object as it is at frame Start + Speed * (j - Start).
        // Flip: frame j's object is replaced by itself turned upside down. Both alter as many frames, so that neither kind
        // weighs more in a pooled AUC.
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
                if (kind == PseudoAnomalyKind.Speed) PasteObject(frame, frames[track.Start + Speed * i], track.Boxes[Speed * i], wholeObjects);
                else FlipObject(frame, track.Boxes[i], wholeObjects);
                abnormal[j - first] = i >= Context && i < altered - Context ? true : null;
            }
            outFrames[j - first] = frame;
        }
        return new PseudoAnomalySegment(clip, kind, first, outFrames, abnormal);
    }

    /// <summary>Copies the foreground pixels of <paramref name="source"/> inside <paramref name="box"/> onto <paramref name="target"/>.</summary>
    public static void PasteObject(Mat target, Mat source, Rect box, BackgroundSubtractionDetector wholeObjects)
    {
        using var mask = wholeObjects.ForegroundMask(source);
        using var src = new Mat(source, box);
        using var dst = new Mat(target, box);
        using var m = new Mat(mask, box);
        src.CopyTo(dst, m);
    }

    /// <summary>Replaces the object in <paramref name="box"/> by its vertical mirror image: its foreground pixels become
    /// background, then the mirrored foreground is drawn over them.</summary>
    public static void FlipObject(Mat frame, Rect box, BackgroundSubtractionDetector wholeObjects)
    {
        using var mask = wholeObjects.ForegroundMask(frame);
        using var m = new Mat(mask, box);
        using var region = new Mat(frame, box);
        using var object_ = region.Clone();
        using var bg = new Mat(wholeObjects.Background, box);
        bg.CopyTo(region, m);
        using var flipped = new Mat();
        using var flippedMask = new Mat();
        Cv2.Flip(object_, flipped, FlipMode.X);
        Cv2.Flip(m, flippedMask, FlipMode.X);
        flipped.CopyTo(region, flippedMask);
    }
}
