using Vad.Core.Maps;
using Xunit;

namespace Vad.Teachers.Tests;

public sealed class MapTests
{
    [Fact]
    public void Painting_takes_the_max_where_boxes_overlap()
    {
        var map = AnomalyMapPainter.Paint(8, 6, [new ScoredBox(0, 0, 4, 4, 1f), new ScoredBox(2, 2, 4, 4, 3f), new ScoredBox(3, 3, 1, 1, 2f)]);
        Assert.Equal(1f, map[0 * 8 + 0]);
        Assert.Equal(3f, map[2 * 8 + 2]);
        Assert.Equal(3f, map[3 * 8 + 3]); // 2 < 3: max wins
        Assert.Equal(0f, map[5 * 8 + 7]);
        Assert.Equal(0f, map[0 * 8 + 6]);
    }

    [Fact]
    public void An_object_the_teacher_does_not_score_paints_nothing()
    {
        var objects = new[] { new Vad.Teachers.Detection.DetectedObject(new OpenCvSharp.Rect(0, 0, 4, 4), 1f, "object"), new Vad.Teachers.Detection.DetectedObject(new OpenCvSharp.Rect(4, 2, 4, 4), 1f, "object") };
        var frame = new Vad.Teachers.Teachers.FrameObjects(objects, [true, false], [[], []], [float.NaN, 0.5f], [0.7f, float.NaN]);
        var t1 = Vad.Teachers.Teachers.TeacherScorer.Maps([frame], "t1", 8, 6, [1])[0];
        var t2 = Vad.Teachers.Teachers.TeacherScorer.Maps([frame], "t2", 8, 6, [1])[0];
        Assert.Equal(0.5f, t1.Score);
        Assert.Equal(0.7f, t2.Score);
    }

    [Fact]
    public void Max_pooling_matches_a_brute_force_reference_on_non_divisible_sizes()
    {
        var rng = new Random(3);
        int w = 360, h = 240;
        var map = new float[w * h];
        for (int k = 0; k < map.Length; k++) map[k] = (float)rng.NextDouble();
        foreach (int r in new[] { 1, 4, 7, 16, 30 })
        {
            var pooled = AnomalyMapPainter.MaxPool(map, w, h, r);
            for (int i = 0; i < r; i++)
                for (int j = 0; j < r; j++)
                {
                    // torch AdaptiveMaxPool2d bins
                    int y0 = (int)Math.Floor((double)i * h / r), y1 = (int)Math.Ceiling((double)(i + 1) * h / r);
                    int x0 = (int)Math.Floor((double)j * w / r), x1 = (int)Math.Ceiling((double)(j + 1) * w / r);
                    float m = float.MinValue;
                    for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m = Math.Max(m, map[y * w + x]);
                    Assert.Equal(m, pooled[i * r + j]);
                }
        }
    }

    [Fact]
    public void A_box_lands_in_the_right_cells_and_the_frame_score_is_the_map_max()
    {
        // 360x240 -> 4x4 cells of 90x60: a box at x 100..119, y 130..149 lies in cell (row 2, col 1)
        var fm = AnomalyMapPainter.FrameFromBoxes(360, 240, [new ScoredBox(100, 130, 20, 20, 2.5f), new ScoredBox(0, 0, 5, 5, 1f)], [1, 4, 16]);
        Assert.Equal(2.5f, fm.Score);
        Assert.Equal(2.5f, fm.Maps[0][0]);
        var m4 = fm.Maps[1];
        Assert.Equal(2.5f, m4[2 * 4 + 1]);
        Assert.Equal(1f, m4[0]);
        Assert.Equal(2, m4.Count(v => v > 0));
    }

    [Fact]
    public void Cache_round_trip_keeps_header_scores_and_maps()
    {
        string dir = TestData.TempDir();
        int[] res = [1, 4, 16, 30];
        var frames = Enumerable.Range(0, 5).Select(i => AnomalyMapPainter.FrameFromBoxes(360, 240,
            i == 2 ? Array.Empty<ScoredBox>() : [new ScoredBox(10 * i, 20, 30, 40, 0.5f + i)], res)).ToList();
        string path = AnomalyMapCache.VideoPath(dir, "t1", "test", "04");
        AnomalyMapCache.Write(path, new AnomalyMapHeader { Teacher = "t1", Split = "test", Video = "04", FrameWidth = 360, FrameHeight = 240, Resolutions = res, WeightsSha256 = "ab" }, frames);
        var back = AnomalyMapCache.Read(path);
        Assert.Equal(5, back.Header.FrameCount);
        Assert.Equal(res, back.Header.Resolutions);
        Assert.Equal("ab", back.Header.WeightsSha256);
        for (int f = 0; f < 5; f++)
        {
            Assert.Equal(frames[f].Score, back.Frames[f].Score);
            for (int k = 0; k < res.Length; k++) Assert.Equal(frames[f].Maps[k], back.Frames[f].Maps[k]);
        }
        Assert.Equal(frames[3].Maps[3], back.Map(3, 30));
        Assert.Equal(0f, back.Frames[2].Score);
        Assert.Equal("04", AnomalyMapCache.ReadHeader(path).Video);
        Assert.True(new FileInfo(path).Length < 5 * (1 + 1 + 16 + 256 + 900) * 4 + 400, "one compact file");

        AnomalyMapCache.WriteManifest(AnomalyMapCache.TeacherDir(dir, "t1"), new AnomalyMapManifest { Teacher = "t1", WeightsSha256 = "ab", Dataset = "ped2", Resolutions = res });
        var man = AnomalyMapCache.ReadManifest(AnomalyMapCache.TeacherDir(dir, "t1"));
        Assert.Equal("t1", man.Teacher);
        Assert.Equal(res, man.Resolutions);

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^4]);
        Assert.Throws<AnomalyMapCacheException>(() => AnomalyMapCache.Read(path));
        Directory.Delete(dir, true);
    }
}
