using OpenCvSharp;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary>Local pseudo-anomalies cut from real Ped2 training frames with the committed background model.</summary>
public sealed class InContextPseudoAnomalyTests
{
    private static Mat[] Frames(int count) =>
        Clips.FrameFiles(Path.Combine(TestData.Ped2, "training", "frames", "15")).Take(count).Select(f => Cv2.ImRead(f, ImreadModes.Grayscale)).ToArray();

    private static BackgroundSubtractionDetector WholeObjects() =>
        BackgroundSubtractionDetector.Load(Path.Combine(TestData.CommittedTeachers, DetectorFactory.BackgroundFile));

    [Fact]
    public void Tracks_follow_whole_objects_and_segments_alter_only_the_tracked_object_in_the_counted_frames()
    {
        var frames = Frames(60);
        using var whole = WholeObjects();
        try
        {
            var tracks = InContextPseudoAnomalies.Tracks(frames, whole);
            Assert.NotEmpty(tracks); // clip 15 has people walking through the whole clip
            foreach (var t in tracks)
            {
                Assert.True(t.Boxes.Length >= InContextPseudoAnomalies.MinTrackFrames);
                Assert.All(t.Boxes, b => Assert.True(b.Height >= InContextPseudoAnomalies.MinObjectHeight));
                for (int i = 1; i < t.Boxes.Length; i++) Assert.True(BoxOverlap.Iou(t.Boxes[i - 1], t.Boxes[i]) >= 0.2);
            }
            var track = tracks.OrderByDescending(t => t.Boxes.Length).First();
            foreach (var kind in Enum.GetValues<PseudoAnomalyKind>())
            {
                using var seg = InContextPseudoAnomalies.Segment("15", frames, whole, track, kind);
                int altered = (track.Boxes.Length - 1) / InContextPseudoAnomalies.Speed + 1;
                Assert.Equal(seg.Frames.Length, seg.Abnormal.Length);
                Assert.Equal(altered - 2 * InContextPseudoAnomalies.Context, seg.Abnormal.Count(a => a == true));
                Assert.DoesNotContain(seg.Abnormal, a => a == false);
                bool anyChanged = false;
                for (int i = 0; i < seg.Frames.Length; i++)
                {
                    int f = seg.FirstFrame + i, k = f - track.Start;
                    using var diff = new Mat();
                    Cv2.Absdiff(seg.Frames[i], frames[f], diff);
                    if (k < 0 || k >= altered) { Assert.Equal(0, Cv2.CountNonZero(diff)); continue; } // context: as filmed
                    // Pixels change only inside the object's box (flip: its box now; speed: where it is Speed times later;
                    // glide: its first box moved to where it is GlideSpeed times later).
                    var shift = InContextPseudoAnomalies.GlideShift(track, k);
                    var box = kind switch
                    {
                        PseudoAnomalyKind.Flip => track.Boxes[k],
                        // Stretch: the object's own box (emptied) and the wider one it is drawn into.
                        PseudoAnomalyKind.Stretch => InContextPseudoAnomalies.StretchedBox(track.Boxes[k]).Intersect(new Rect(0, 0, diff.Width, diff.Height)),
                        PseudoAnomalyKind.Speed or PseudoAnomalyKind.Crowd => track.Boxes[InContextPseudoAnomalies.Speed * k],
                        // Ride: the wider box around where the object is Speed times later.
                        PseudoAnomalyKind.Ride => InContextPseudoAnomalies.StretchedBox(track.Boxes[InContextPseudoAnomalies.Speed * k]).Intersect(new Rect(0, 0, diff.Width, diff.Height)),
                        _ => new Rect(track.Boxes[0].X + shift.X, track.Boxes[0].Y + shift.Y, track.Boxes[0].Width, track.Boxes[0].Height)
                            .Intersect(new Rect(0, 0, diff.Width, diff.Height)),
                    };
                    using (var inside = new Mat(diff, box)) { int changedInside = Cv2.CountNonZero(inside); anyChanged |= changedInside > 0; }
                    Cv2.Rectangle(diff, box, Scalar.Black, -1);
                    Assert.Equal(0, Cv2.CountNonZero(diff));
                }
                Assert.True(anyChanged, $"{kind}: some altered frame must differ from the filmed one");
            }
        }
        finally { foreach (var f in frames) f.Dispose(); }
    }

    [Fact]
    public void A_glide_copy_is_the_first_frames_object_moved_rigidly_along_its_path_faster_than_it_walks()
    {
        var frames = Frames(60);
        using var whole = WholeObjects();
        try
        {
            var track = InContextPseudoAnomalies.Tracks(frames, whole).OrderByDescending(t => t.Boxes.Length).First();
            Assert.Equal(new Point(0, 0), InContextPseudoAnomalies.GlideShift(track, 0));
            int k = 8, at = (int)Math.Round(InContextPseudoAnomalies.GlideSpeed * k); // 12 frames along the path
            var shift = InContextPseudoAnomalies.GlideShift(track, k);
            var to = track.Boxes[at];
            Assert.Equal(to.X + to.Width / 2 - (track.Boxes[0].X + track.Boxes[0].Width / 2), shift.X);
            Assert.Equal(to.Bottom - track.Boxes[0].Bottom, shift.Y);
            using var seg = InContextPseudoAnomalies.Segment("15", frames, whole, track, PseudoAnomalyKind.Glide);
            // Frame Start + k holds, where the object will be 12 frames on, the first frame's foreground pixels unchanged.
            var frame = seg.Frames[track.Start + k - seg.FirstFrame];
            using var mask = whole.ForegroundMask(frames[track.Start]);
            var src = track.Boxes[0];
            int checkedPixels = 0;
            for (int y = src.Top; y < src.Bottom; y++)
                for (int x = src.Left; x < src.Right; x++)
                {
                    int tx = x + shift.X, ty = y + shift.Y;
                    if (mask.At<byte>(y, x) == 0 || tx < 0 || ty < 0 || tx >= frame.Width || ty >= frame.Height) continue;
                    Assert.Equal(frames[track.Start].At<byte>(y, x), frame.At<byte>(ty, tx));
                    checkedPixels++;
                }
            Assert.True(checkedPixels > 50, $"only {checkedPixels} foreground pixels pasted");
        }
        finally { foreach (var f in frames) f.Dispose(); }
    }

    [Fact]
    public void Crowd_segments_alter_the_tracks_with_the_most_neighbours_and_none_without_any()
    {
        var frames = Frames(60);
        using var whole = WholeObjects();
        try
        {
            var boxes = InContextPseudoAnomalies.WholeBoxes(frames, whole, edges: false);
            var tracks = InContextPseudoAnomalies.Tracks(frames, whole);
            var byCrowd = tracks.Select(t => (Track: t, N: InContextPseudoAnomalies.MeanNeighbours(t, boxes))).ToList();
            // Recount one track's neighbours by hand: other boxes of the frame overlapping its 32 px-or-larger stack square.
            var (t0, n0) = byCrowd[0];
            int altered = (t0.Boxes.Length - 1) / InContextPseudoAnomalies.Speed + 1;
            double manual = Enumerable.Range(0, altered).Average(i =>
            {
                var b = t0.Boxes[i];
                int side = Math.Max(32, (int)MathF.Round(Math.Max(b.Width, b.Height) * 1.15f));
                double cx = b.X + b.Width / 2.0, cy = b.Y + b.Height / 2.0;
                return boxes[t0.Start + i].Count(o => o != b && o.X < cx + side / 2.0 && o.Right > cx - side / 2.0 && o.Y < cy + side / 2.0 && o.Bottom > cy - side / 2.0);
            });
            Assert.Equal(manual, n0, 9);
            var segments = InContextPseudoAnomalies.Make("15", frames, whole, PseudoAnomalyKind.Crowd, perClip: 2);
            try
            {
                var expected = byCrowd.Where(t => t.N > 0).OrderByDescending(t => t.N).ThenBy(t => t.Track.Start).Take(2).ToList();
                Assert.NotEmpty(expected); // clip 15's walkers pass each other in its first 60 frames
                Assert.Equal(expected.Count, segments.Count);
                for (int i = 0; i < segments.Count; i++)
                {
                    Assert.Equal(PseudoAnomalyKind.Crowd, segments[i].Kind);
                    Assert.Equal(Math.Max(0, expected[i].Track.Start - InContextPseudoAnomalies.Context), segments[i].FirstFrame);
                }
            }
            finally { foreach (var s in segments) s.Dispose(); }
        }
        finally { foreach (var f in frames) f.Dispose(); }
    }

    [Fact]
    public void A_stretched_object_is_twice_as_wide_about_its_centre_and_cut_at_the_frame_edge()
    {
        using var background = new Mat(120, 160, MatType.CV_8UC1, Scalar.All(100));
        using var whole = new BackgroundSubtractionDetector(background.Clone());
        using var frame = background.Clone();
        var box = new Rect(50, 40, 10, 30);
        frame.Rectangle(box, Scalar.All(220), -1);
        InContextPseudoAnomalies.StretchObject(frame, box, whole);
        Assert.Equal(new Rect(45, 40, 20, 30), InContextPseudoAnomalies.StretchedBox(box));
        for (int x = 40; x < 70; x++)
            Assert.Equal(x is >= 45 and < 65 ? 220 : 100, frame.At<byte>(55, x));
        Assert.Equal(100, frame.At<byte>(39, 55)); // as tall as before
        // At the left edge the part that would fall outside is cut off, nothing throws.
        using var edge = background.Clone();
        var atEdge = new Rect(0, 40, 10, 30);
        edge.Rectangle(atEdge, Scalar.All(220), -1);
        InContextPseudoAnomalies.StretchObject(edge, atEdge, whole);
        Assert.Equal(220, edge.At<byte>(55, 0));
        Assert.Equal(220, edge.At<byte>(55, 14));
        Assert.Equal(100, edge.At<byte>(55, 15));
    }

    [Fact]
    public void A_ride_copy_is_a_later_frames_object_stretched_and_drawn_over_the_target_whose_own_object_stays()
    {
        using var background = new Mat(120, 160, MatType.CV_8UC1, Scalar.All(100));
        using var whole = new BackgroundSubtractionDetector(background.Clone());
        using var later = background.Clone();
        var laterBox = new Rect(100, 40, 10, 30);
        later.Rectangle(laterBox, Scalar.All(220), -1);
        using var target = background.Clone();
        var own = new Rect(20, 40, 10, 30);
        target.Rectangle(own, Scalar.All(180), -1);
        InContextPseudoAnomalies.PasteStretched(target, later, laterBox, whole);
        for (int x = 0; x < 160; x++)
            Assert.Equal(x is >= 95 and < 115 ? 220 : x is >= 20 and < 30 ? 180 : 100, target.At<byte>(55, x));
        Assert.Equal(220, later.At<byte>(55, 100)); // the source frame is left as it was
        Assert.Equal(100, later.At<byte>(55, 96));
    }

    [Fact]
    public void Kinds_parse_by_name_and_glide_is_used_only_when_asked()
    {
        Assert.Equal([PseudoAnomalyKind.Speed, PseudoAnomalyKind.Flip], InContextPseudoAnomalies.DefaultKinds);
        Assert.Equal([PseudoAnomalyKind.Glide, PseudoAnomalyKind.Speed], InContextPseudoAnomalies.ParseKinds(["glide", "Speed", "glide"]));
        Assert.Contains("kinds: speed, flip, glide, crowd, stretch, ride", Assert.Throws<ArgumentException>(() => InContextPseudoAnomalies.ParseKinds(["fast"])).Message);
        Assert.Throws<ArgumentException>(() => InContextPseudoAnomalies.ParseKinds(["2"]));
        Assert.Throws<ArgumentException>(() => InContextPseudoAnomalies.ParseKinds([]));
    }

    [Fact]
    public void With_edges_tracks_also_follow_objects_while_they_touch_the_frame_edge()
    {
        var frames = Clips.FrameFiles(Path.Combine(TestData.Ped2, "training", "frames", "15")).Select(f => Cv2.ImRead(f, ImreadModes.Grayscale)).ToArray();
        using var whole = WholeObjects();
        try
        {
            bool Truncated(Rect b) => Vad.Teachers.Objects.ObjectCrops.IsTruncated(b, frames[0].Width, frames[0].Height);
            var interior = InContextPseudoAnomalies.Tracks(frames, whole);
            var withEdges = InContextPseudoAnomalies.Tracks(frames, whole, edges: true);
            Assert.All(interior, t => Assert.DoesNotContain(t.Boxes, Truncated));
            // People walk in and out of clip 15 at its edges: some track now holds edge boxes, and tracks only get longer
            // or more (an interior track is part of a track with edges or stays whole).
            Assert.Contains(withEdges, t => t.Boxes.Any(Truncated));
            Assert.True(withEdges.Sum(t => t.Boxes.Length) > interior.Sum(t => t.Boxes.Length));
            Assert.All(withEdges, t => Assert.True(t.Boxes.Length >= InContextPseudoAnomalies.MinTrackFrames));
        }
        finally { foreach (var f in frames) f.Dispose(); }
    }

    [Fact]
    public void Flipping_an_object_turns_its_pixels_upside_down_on_the_background()
    {
        using var bg = new Mat(40, 40, MatType.CV_8UC1, Scalar.All(100));
        using var whole = new BackgroundSubtractionDetector(bg.Clone());
        using var frame = bg.Clone();
        frame[new Rect(10, 5, 10, 10)].SetTo(Scalar.All(250)); // head: top of the box
        frame[new Rect(10, 15, 10, 20)].SetTo(Scalar.All(180)); // body
        InContextPseudoAnomalies.FlipObject(frame, new Rect(8, 3, 14, 34), whole);
        Assert.Equal(180, frame.At<byte>(10, 15)); // top of the box: body now
        Assert.Equal(250, frame.At<byte>(30, 15)); // bottom: head now
        Assert.Equal(100, frame.At<byte>(20, 2)); // outside the box: untouched background
    }

    [Fact]
    public void Pasting_copies_only_foreground_pixels_of_the_source_inside_the_box()
    {
        using var bg = new Mat(40, 40, MatType.CV_8UC1, Scalar.All(100));
        using var whole = new BackgroundSubtractionDetector(bg.Clone());
        using var source = bg.Clone();
        source[new Rect(20, 10, 8, 20)].SetTo(Scalar.All(220)); // the object, later
        source[new Rect(0, 0, 6, 6)].SetTo(Scalar.All(30)); // another object, outside the box
        using var target = bg.Clone();
        target[new Rect(5, 10, 8, 20)].SetTo(Scalar.All(220)); // the object now
        InContextPseudoAnomalies.PasteObject(target, source, new Rect(18, 8, 12, 24), whole);
        Assert.Equal(220, target.At<byte>(20, 24)); // the pasted copy
        Assert.Equal(220, target.At<byte>(20, 8)); // the original stays
        Assert.Equal(100, target.At<byte>(3, 3)); // the source's other object is not pasted
        Assert.Equal(100, target.At<byte>(9, 19)); // background inside the box stays
    }
}
