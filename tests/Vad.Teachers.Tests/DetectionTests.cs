using OpenCvSharp;
using Vad.Core.Maps;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Xunit;

namespace Vad.Teachers.Tests;

public sealed class DetectionTests
{
    private static readonly Lazy<Mat> Background = new(() => DetectorFactory.LearnBackground(TestData.Ped2, every: 25));

    [Fact]
    public void Background_subtraction_finds_the_cyclist_in_ped2_test_01()
    {
        // Test clip 01, frame 100 (0-based): a cyclist in the abnormal range (frames 61-180, 1-based).
        // Box checked by eye on the frame (rider's head to the wheels' bottom): x 79..104, y 96..141.
        var cyclist = new Rect(79, 96, 25, 45);
        using var det = new BackgroundSubtractionDetector(Background.Value);
        using var frame = Cv2.ImRead(Path.Combine(TestData.Ped2, "testing", "frames", "01", "100.jpg"), ImreadModes.Grayscale);
        var objects = det.Detect(frame);
        Assert.InRange(objects.Count, 3, 40);
        double best = objects.Max(o => BoxOverlap.Iou(o.Box, cyclist));
        Assert.True(best >= 0.5, $"best IoU with the cyclist {best:F2}; boxes: {string.Join("; ", objects.Select(o => o.Box))}");
    }

    [Fact]
    public void A_frame_equal_to_the_background_has_no_detections_and_an_all_zero_map()
    {
        using var det = new BackgroundSubtractionDetector(Background.Value);
        var objects = det.Detect(Background.Value);
        Assert.Empty(objects);
        var fm = AnomalyMapPainter.FrameFromBoxes(360, 240, Array.Empty<ScoredBox>(), [1, 4, 16]);
        Assert.Equal(0f, fm.Score);
        Assert.All(fm.Maps, m => Assert.All(m, v => Assert.Equal(0f, v)));
        Assert.Equal(new[] { 1, 16, 256 }, fm.Maps.Select(m => m.Length));
    }

    [Fact]
    public void Median_background_ignores_a_passing_object()
    {
        var frames = Enumerable.Range(0, 5).Select(i =>
        {
            var m = new Mat(10, 10, MatType.CV_8UC1, new Scalar(100));
            if (i < 2) m.Set(3, 3, (byte)250); // an object covers the pixel in 2 of 5 frames
            return m;
        }).ToList();
        using var bg = BackgroundSubtractionDetector.MedianBackground(frames);
        Assert.Equal(100, bg.At<byte>(3, 3));
        foreach (var f in frames) f.Dispose();
    }

    [Fact]
    public void Detector_rejects_a_frame_of_another_size()
    {
        using var det = new BackgroundSubtractionDetector(Background.Value);
        using var small = new Mat(10, 10, MatType.CV_8UC1, new Scalar(0));
        Assert.Throws<DetectorException>(() => det.Detect(small));
    }

    [Fact]
    public void Clip_loader_names_the_corrupt_frame()
    {
        string dir = TestData.TempDir();
        File.Copy(Path.Combine(TestData.Ped2, "testing", "frames", "01", "000.jpg"), Path.Combine(dir, "000.jpg"));
        File.WriteAllBytes(Path.Combine(dir, "001.jpg"), new byte[] { 0xFF, 0xD8, 1, 2, 3 });
        var e = Assert.Throws<ClipReadException>(() => Clips.LoadGray(new Clip("x", "test", dir)));
        Assert.Contains("001.jpg", e.Message);
        Directory.Delete(dir, true);
    }
}

public sealed class GroupSplitTests
{
    [Fact]
    public void Person_height_fit_recovers_a_linear_perspective()
    {
        var boxes = new List<Rect>();
        for (int bottom = 100; bottom <= 220; bottom += 2)
            for (int k = 0; k < 12; k++)
            {
                int h = (int)Math.Round(-40 + 0.5 * bottom) + (k % 3) - 1;
                boxes.Add(new Rect(10 + k, bottom - h, h / 2, h));
            }
        boxes.Add(new Rect(0, 100, 120, 30)); // a wide group: not person-like, ignored
        var m = PersonHeightModel.Fit(boxes);
        Assert.Equal(0.5, m.B, 1);
        Assert.Equal(40, m.At(160), 0);
    }

    [Fact]
    public void A_wide_group_blob_is_covered_by_person_windows_and_a_single_person_is_kept()
    {
        var ph = new PersonHeightModel(0, 0.25); // 40 px tall people at bottom row 160
        var person = new Rect(100, 120, 18, 40);
        Assert.Equal(new[] { person }, BackgroundSubtractionDetector.Split(person, ph).ToArray());
        var group = new Rect(50, 120, 100, 40);
        var windows = BackgroundSubtractionDetector.Split(group, ph).ToList();
        Assert.True(windows.Count >= 4, $"{windows.Count} windows");
        Assert.All(windows, w => { Assert.Equal(28, w.Width); Assert.Equal(40, w.Height); Assert.True(w.X >= 50 && w.X + w.Width <= 150); });
        Assert.Equal(50, windows.Min(w => w.X));
        Assert.Equal(150, windows.Max(w => w.X + w.Width));
        // as detections: the group's windows are labelled group windows, the single person an object
        Assert.All(BackgroundSubtractionDetector.SplitObjects(group, 0.5f, ph), o => Assert.Equal(BackgroundSubtractionDetector.GroupWindowLabel, o.Label));
        Assert.Equal("object", Assert.Single(BackgroundSubtractionDetector.SplitObjects(person, 0.5f, ph)).Label);
    }
}

public sealed class StackSplitTests
{
    // h = -40 + 0.5 * bottom: a person whose head is at row y is (-40 + 0.5 y) / 0.5 = y - 80 px tall
    private static readonly PersonHeightModel Perspective = new(-40, 0.5);

    [Fact]
    public void A_single_person_is_kept_whole_with_stacks_split()
    {
        var ph = Perspective with { SplitStacks = true };
        var person = new Rect(100, 140, 30, 60); // bottom 200: expected 60 px, from its top 140 also 60 px
        Assert.Equal(60, ph.FromTop(140), 6);
        Assert.Equal(new[] { person }, BackgroundSubtractionDetector.Split(person, ph).ToArray());
    }

    [Fact]
    public void A_stack_in_depth_is_split_only_when_asked_into_rows_that_grow_downwards()
    {
        // far person's head at row 120 (40 px tall), near person's feet at row 240 (80 px expected there): 120 px tall,
        // 1.5x the bottom-row height (kept whole by the old rule) but 3x the height of a person whose head is at its top
        var stack = new Rect(40, 120, 50, 120);
        Assert.Equal(new[] { stack }, BackgroundSubtractionDetector.Split(stack, Perspective).ToArray());
        var windows = BackgroundSubtractionDetector.Split(stack, Perspective with { SplitStacks = true }).ToList();
        Assert.True(windows.Count >= 3, $"{windows.Count} windows");
        Assert.All(windows, w => Assert.True(w.X >= 40 && w.X + w.Width <= 90 && w.Y >= 120 && w.Y + w.Height <= 240, w.ToString()));
        Assert.Equal(120, windows.Min(w => w.Y));
        Assert.Equal(240, windows.Max(w => w.Y + w.Height));
        var rows = windows.GroupBy(w => w.Y).OrderBy(g => g.Key).ToList();
        Assert.True(rows.Count >= 2);
        Assert.Equal(48, rows[0].First().Height); // 1.2 x 40 px at the top row
        Assert.True(rows[0].Count() > 1, "the top row (40 px people, 50 px wide blob) is split across too");
        for (int i = 1; i < rows.Count; i++)
            Assert.True(rows[i].Key - rows[i - 1].Key <= rows[i - 1].First().Height / 2, "rows overlap by half");
        Assert.All(BackgroundSubtractionDetector.SplitObjects(stack, 0.5f, Perspective with { SplitStacks = true }),
            o => Assert.Equal(BackgroundSubtractionDetector.GroupWindowLabel, o.Label));
    }

    [Fact]
    public void The_stack_switch_is_written_only_when_on_so_older_models_read_and_write_the_same_json()
    {
        string old = System.Text.Json.JsonSerializer.Serialize(Perspective);
        Assert.DoesNotContain("SplitStacks", old);
        Assert.False(System.Text.Json.JsonSerializer.Deserialize<PersonHeightModel>("{\"A\":-40,\"B\":0.5}")!.SplitStacks);
        string on = System.Text.Json.JsonSerializer.Serialize(Perspective with { SplitStacks = true });
        Assert.True(System.Text.Json.JsonSerializer.Deserialize<PersonHeightModel>(on)!.SplitStacks);
    }
}
