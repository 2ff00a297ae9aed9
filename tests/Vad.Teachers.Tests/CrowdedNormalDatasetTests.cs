using OpenCvSharp;
using Vad.Teachers;
using Vad.Teachers.Detection;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary><c>make-crowded</c>'s composite frames (the command itself: <see cref="ScoreCommandTests"/>, whose commands share the console's progress display).</summary>
public sealed class CrowdedNormalDatasetTests
{
    private static Mat Frame(params Rect[] people)
    {
        var m = new Mat(120, 160, MatType.CV_8UC1, Scalar.All(100));
        foreach (var p in people) m.Rectangle(p, Scalar.All(220), -1);
        return m;
    }

    [Fact]
    public void A_composite_keeps_the_frame_s_own_people_in_front_and_adds_the_partner_s_elsewhere()
    {
        using var background = Frame();
        using var det = new BackgroundSubtractionDetector(background.Clone());
        var own = new Rect(20, 30, 12, 30);
        var theirs = new Rect(100, 50, 12, 30);
        using var frame = Frame(own);
        frame.Set(45, 26, (byte)250); // a marked pixel of the frame's own person
        using var other = Frame(theirs, new Rect(18, 28, 16, 34)); // a second partner person right where the own one is
        other.Set(45, 26, (byte)180);
        using var composite = CrowdedNormalDataset.Composite(frame, other, det);
        Assert.Single(det.Detect(frame)); // the frame alone: one person
        Assert.Equal(2, det.Detect(composite).Count); // now also the partner's person
        Assert.Equal(250, composite.At<byte>(45, 26)); // the own person stays in front, untouched
        Assert.Equal(220, composite.At<byte>(60, 105)); // the pasted person
        Assert.Equal(100, composite.At<byte>(5, 80)); // background stays background
        // Frames of different sizes cannot be composed.
        using var small = new Mat(60, 80, MatType.CV_8UC1, Scalar.All(100));
        Assert.Throws<ArgumentException>(() => CrowdedNormalDataset.Composite(frame, small, det));
    }
}
