using OpenCvSharp;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Objects;
using Vad.Teachers.Teachers;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary>T2's stack crops with the frame's other objects painted over by the background (TeacherConfig.StackMaskNeighbours).</summary>
public sealed class NeighbourMaskTests
{
    private const byte Background = 100, Own = 200, Neighbour = 30;

    /// <summary>A 64x64 frame of background with the own object and one neighbour painted in.</summary>
    private static Mat Frame(Rect own, Rect neighbour)
    {
        var m = new Mat(64, 64, MatType.CV_8UC1, Scalar.All(Background));
        m[neighbour].SetTo(Scalar.All(Neighbour));
        m[own].SetTo(Scalar.All(Own));
        return m;
    }

    private static int Count(byte[] px, byte v) => px.Count(p => p == v);

    // The square (side 41 around the own box's centre x = 15, y = 30) starts at whole pixels (15 - 20 = -5, 30 - 20 = 10)
    // and size = side: the crops are exact copies, no resampling.
    private const int Side = 41;

    [Fact]
    public void A_separate_neighbour_is_painted_over_and_the_object_is_kept()
    {
        var own = new Rect(10, 20, 10, 20);
        var neighbour = new Rect(26, 22, 6, 16);
        using var frame = Frame(own, neighbour);
        using var background = new Mat(64, 64, MatType.CV_8UC1, Scalar.All(Background));
        var plain = ObjectCrops.StackBytes([frame], 0, own, 0, 1, Side, Side);
        var mask = NeighbourMask.For(background, [own, neighbour], own);
        var masked = ObjectCrops.StackBytes([frame], 0, own, 0, 1, Side, Side, mask);
        Assert.Equal(6 * 16, Count(plain, Neighbour));
        Assert.Equal(0, Count(masked, Neighbour));
        Assert.Equal(10 * 20, Count(plain, Own));
        Assert.Equal(10 * 20, Count(masked, Own));
    }

    [Fact]
    public void Boxes_grow_with_the_distance_from_the_objects_frame()
    {
        var own = new Rect(10, 20, 10, 20);
        var neighbour = new Rect(26, 22, 6, 16);
        using var background = new Mat(64, 64, MatType.CV_8UC1, Scalar.All(Background));
        var mask = NeighbourMask.For(background, [own, neighbour], own);
        // 3 frames later the neighbour has walked 4 px away (x 30..35). Its box from the object's frame grows by
        // 2 + ceil(3 x 1.5) = 7 px (x 19..38) and covers it; grown by 2 px only (distance 0: x 24..33) it would miss 2 columns.
        using var later = Frame(own, new Rect(30, 22, 6, 16));
        using var far = ObjectCrops.Crop(later, own, Side, Side, mask, distance: 3);
        using var near = ObjectCrops.Crop(later, own, Side, Side, mask, distance: 0);
        far.GetArray(out byte[] pxFar);
        near.GetArray(out byte[] pxNear);
        Assert.Equal(0, Count(pxFar, Neighbour));
        Assert.Equal(2 * 16, Count(pxNear, Neighbour));
        Assert.Equal(10 * 20, Count(pxFar, Own));
    }

    [Fact]
    public void The_object_itself_is_never_painted_even_where_a_grown_neighbour_reaches_it()
    {
        var own = new Rect(10, 20, 10, 20);
        var neighbour = new Rect(22, 22, 6, 16);
        using var frame = Frame(own, neighbour);
        using var background = new Mat(64, 64, MatType.CV_8UC1, Scalar.All(Background));
        var mask = NeighbourMask.For(background, [own, neighbour], own);
        // Distance 3: the neighbour grows to x 15..34, over the object (x 10..19); the object's box grown alike (x 3..26)
        // is kept whole, so the neighbour's columns 22..26 stay and 27 is painted.
        using var crop = ObjectCrops.Crop(frame, own, Side, Side, mask, distance: 3);
        crop.GetArray(out byte[] px);
        Assert.Equal(10 * 20, Count(px, Own));
        Assert.Equal(5 * 16, Count(px, Neighbour));
    }

    [Fact]
    public void Boxes_overlapping_the_object_are_not_neighbours()
    {
        using var background = new Mat(8, 8, MatType.CV_8UC1, Scalar.All(0));
        var own = new Rect(10, 10, 10, 10);
        var mask = NeighbourMask.For(background, [own, new Rect(15, 15, 10, 10), new Rect(40, 10, 5, 5)], own);
        Assert.Equal([new Rect(40, 10, 5, 5)], mask.Others);
    }

    [Fact]
    public void Masking_without_a_background_model_fails_clearly()
    {
        using var hog = new HogPeopleDetector();
        var e = Assert.Throws<InvalidOperationException>(() => TeacherTrainer.NeighbourBackground(hog));
        Assert.Contains("background", e.Message);
    }

    [Fact]
    public void Scoring_with_masking_changes_T2_only_where_a_neighbour_reaches_the_square_and_never_T1()
    {
        using var models = TeacherModels.Load(TestData.CommittedTeachers);
        using var detector = DetectorFactory.Create(models.Config.Detector, TestData.CommittedTeachers);
        var clip = Clips.List(TestData.Ped2, "train", ["02"]).Single(); // the most crowded training clip
        var frames = Clips.LoadGray(clip, maxFrames: 10);
        try
        {
            // Both settings explicit: the committed teachers (v31 on) mask by default.
            models.Config = models.Config with { StackMaskNeighbours = false };
            var plain = new TeacherScorer(models, detector).ScoreFrames(frames, t1: true, t2: true);
            models.Config = models.Config with { StackMaskNeighbours = true };
            var masked = new TeacherScorer(models, detector).ScoreFrames(frames, t1: true, t2: true);
            int reach = NeighbourMask.Pad + (int)MathF.Ceiling(InputSizes.StackFrames / 2 * NeighbourMask.Growth);
            int t2First = Array.IndexOf(TeacherModels.AllComponents, TeacherModels.T2Components[0]);
            int touched = 0, changed = 0, untouched = 0;
            using var noBackground = new Mat(); // only the neighbour selection is used here
            for (int f = 0; f < frames.Length; f++)
            {
                var boxes = plain[f].Objects.Select(o => o.Box).ToList();
                Assert.Equal(boxes, masked[f].Objects.Select(o => o.Box));
                for (int k = 0; k < boxes.Count; k++)
                {
                    var (c, side) = ObjectCrops.Square(boxes[k], models.Config.StackMinSide);
                    var square = new Rect((int)(c.X - side / 2f), (int)(c.Y - side / 2f), side, side);
                    var others = NeighbourMask.For(noBackground, boxes, boxes[k]).Others;
                    var p = plain[f].Raw[k];
                    var m = masked[f].Raw[k];
                    Assert.Equal(p[..t2First], m[..t2First]); // T1's components
                    bool t2Same = p[t2First..].SequenceEqual(m[t2First..]);
                    if (others.Any(o => o.IntersectsWith(square))) { touched++; if (!t2Same) changed++; }
                    else if (!others.Any(o => Grow(o, reach + 1).IntersectsWith(square))) { untouched++; Assert.True(t2Same, $"frame {f} object {k}"); }
                }
            }
            Assert.True(touched > 0 && untouched > 0, $"touched {touched}, untouched {untouched}");
            Assert.True(changed > touched / 2, $"{changed} of {touched} objects with a neighbour in their square changed");
        }
        finally { foreach (var m in frames) m.Dispose(); }
    }

    private static Rect Grow(Rect r, int by) => new(r.X - by, r.Y - by, r.Width + 2 * by, r.Height + 2 * by);
}
