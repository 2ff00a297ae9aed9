using OpenCvSharp;
using Vad.Teachers;
using Vad.Teachers.Detection;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary><c>make-crowded</c>: normal clips made more crowded by pasting in a partner clip's people.</summary>
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

    [Fact]
    public void Make_crowded_links_the_dataset_and_writes_one_crowded_clip_per_clip_and_partner()
    {
        string models = TestData.CommittedTeachers;
        string root = TestData.TempDir();
        string dataset = Path.Combine(root, "data");
        TestData.CopyClip(dataset, "training", "01", first: 0, count: 12);
        TestData.CopyClip(dataset, "training", "02", first: 0, count: 10);
        Directory.CreateDirectory(Path.Combine(dataset, "testing", "frames", "01"));
        string outDir = Path.Combine(root, "crowded");
        Assert.Equal(0, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01,02", "--models", models]));
        string frames = Path.Combine(outDir, "training", "frames");
        Assert.NotNull(new DirectoryInfo(Path.Combine(frames, "01")).LinkTarget);
        Assert.NotNull(new DirectoryInfo(Path.Combine(outDir, "testing")).LinkTarget);
        // As long as the shorter clip of each pair.
        Assert.Equal(10, Directory.GetFiles(Path.Combine(frames, "01-crowded-02"), "*.png").Length);
        Assert.Equal(10, Directory.GetFiles(Path.Combine(frames, "02-crowded-01"), "*.png").Length);
        // Every composite frame has at least the foreground of its own frame.
        using var det = BackgroundSubtractionDetector.Load(Path.Combine(models, "background.png"));
        using var first = Cv2.ImRead(Path.Combine(frames, "01-crowded-02", "000.png"), ImreadModes.Grayscale);
        using var own = Cv2.ImRead(Directory.GetFiles(Path.Combine(frames, "01")).Order(StringComparer.Ordinal).First(), ImreadModes.Grayscale);
        using var ownMask = det.ForegroundMask(own);
        using var compositeMask = det.ForegroundMask(first);
        Assert.True(Cv2.CountNonZero(compositeMask) >= Cv2.CountNonZero(ownMask));
        // Re-running into the same folder is fine; bad options are refused before anything is written.
        Assert.Equal(0, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01,02", "--models", models]));
        Assert.Equal(2, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01", "--models", models]));
        Assert.Equal(2, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01,02", "--partners", "2", "--models", models]));
        Assert.Equal(2, Program.Main(["make-crowded", "--dataset", dataset, "--out", Path.Combine(dataset, "x"), "--clips", "01,02", "--models", models]));
        Directory.Delete(root, true);
    }
}
