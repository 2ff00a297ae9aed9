using Vad.Core.Frames;
using Vad.Core.Maps;
using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Student.Scoring;
using Vad.Student.Training;
using Vad.Torch;
using Xunit;

namespace Vad.Student.Tests;

public class DataAndScoringTests
{
    public DataAndScoringTests() => TorchRuntime.EnsureLoaded();

    private static ClipFrames Clip(string name, int n, StudentConfig cfg) => new(name, cfg.InputWidth, cfg.InputHeight, cfg.Channels,
        Enumerable.Range(0, n).Select(i => Enumerable.Repeat((byte)(i * 10), cfg.InputWidth * cfg.InputHeight * cfg.Channels).ToArray()).ToList());

    [Fact]
    public void A_sped_up_training_copy_keeps_every_kth_frame_and_its_split_name_is_parsed()
    {
        var cfg = StudentConfig.ForProfile("cpu");
        var clip = Clip("01", 7, cfg);
        var fast = StudentInput.SpedUp(clip, 3);
        Assert.Equal(new byte[] { 0, 30, 60 }, fast.Frames.Select(f => f[0]).ToArray());
        Assert.Same(clip, StudentInput.SpedUp(clip, 1));
        Assert.Equal((2.0, SpeedRegion.Frame), TrainCommand.SpeedupOf("train-x2"));
        Assert.Equal((1.5, SpeedRegion.Frame), TrainCommand.SpeedupOf("train-x1.5"));
        Assert.Equal((2.0, SpeedRegion.Bottom), TrainCommand.SpeedupOf("train-x2-bottom"));
        Assert.Null(TrainCommand.SpeedupOf("train-x2-left"));
        Assert.Null(TrainCommand.SpeedupOf("train-x1"));
        Assert.Null(TrainCommand.SpeedupOf("train-x"));
        Assert.Null(TrainCommand.SpeedupOf("test-x2"));
        Assert.Null(TrainCommand.SpeedupOf("train"));
    }

    [Fact]
    public void Lambda_per_teacher_is_parsed_and_bad_weights_fail_clearly()
    {
        var l = TrainCommand.ParseLambda(["t1=1", "t2=0.5"]);
        Assert.Equal(1.0, l["t1"]);
        Assert.Equal(0.5, l["t2"]);
        Assert.Empty(TrainCommand.ParseLambda([]));
        foreach (var bad in new[] { "t1", "=1", "t1=-1", "t1=x", "t1=Infinity" })
            Assert.Throws<Vad.Core.Cli.CommandArgsException>(() => TrainCommand.ParseLambda([bad]));
    }

    [Fact]
    public void A_half_frame_copy_takes_the_top_rows_from_the_fast_frame_at_the_students_input_size()
    {
        var cfg = StudentConfig.ForProfile("cpu");
        var clip = Clip("01", 7, cfg);
        var top = StudentInput.SpedUp(clip, 2, SpeedRegion.Top);
        Assert.Equal(4, top.Frames.Count);
        int row = cfg.InputWidth * cfg.Channels, half = cfg.InputHeight / 2;
        // frame 3 of the copy: top half from clip frame 6 (60), bottom half from clip frame 3 (30)
        Assert.Equal(60, top.Frames[3][(half - 1) * row]);
        Assert.Equal(30, top.Frames[3][half * row]);
        Assert.Same(clip, StudentInput.SpedUp(clip, 1, SpeedRegion.Top));
    }

    [Fact]
    public void Triples_stack_past_middle_future_with_clamped_edges()
    {
        var cfg = TrainerTests.Tiny();
        Assert.Equal(new[] { 0, 0, 3 }, StudentInput.FrameIndices(0, 10, cfg));
        Assert.Equal(new[] { 2, 5, 8 }, StudentInput.FrameIndices(5, 10, cfg));
        Assert.Equal(new[] { 6, 9, 9 }, StudentInput.FrameIndices(9, 10, cfg));
        Assert.Equal(new[] { 4 }, StudentInput.FrameIndices(4, 10, cfg with { Frames = 1 }));
        var clip = Clip("a", 10, cfg);
        var buf = new float[cfg.InputChannels * cfg.InputHeight * cfg.InputWidth];
        StudentInput.Fill(clip, 5, cfg, buf);
        int plane = cfg.InputHeight * cfg.InputWidth;
        Assert.Equal(20 / 255f, buf[0], 6);
        Assert.Equal(50 / 255f, buf[plane], 6);
        Assert.Equal(80 / 255f, buf[2 * plane], 6);
    }

    [Fact]
    public void Cached_maps_are_matched_to_their_frames_and_scaled_by_the_training_split()
    {
        var cfg = TrainerTests.Tiny();
        string root = Directory.CreateTempSubdirectory("vad-maps-").FullName;
        try
        {
            foreach (var (split, video, n, level) in new[] { ("train", "01", 6, 1f), ("test", "01", 4, 5f) })
                AnomalyMapCache.Write(AnomalyMapCache.VideoPath(root, "t1", split, video),
                    new AnomalyMapHeader { Teacher = "t1", Split = split, Video = video, FrameWidth = 48, FrameHeight = 32, Resolutions = [1, 4, 16] },
                    Enumerable.Range(0, n).Select(f => new FrameMaps(level * (f + 1),
                        new[] { 1, 4, 16 }.Select(r => Enumerable.Repeat(level * (f + 1), r * r).ToArray()).ToArray())).ToList());
            var data = new CachedDistillationData(cfg, [(Clip("01", 6, cfg), "train"), (Clip("01", 4, cfg), "test")], root);
            Assert.Equal(10, data.Count);
            float scale = data.TeacherScales["t1"];
            Assert.Equal(6f, scale); // 99th percentile of the TRAIN frame scores 1..6 (test scores 5..20 ignored)
            var input = new float[2 * cfg.InputChannels * cfg.InputHeight * cfg.InputWidth];
            var targets = new[] { cfg.HeadResolutions.Select(r => new float[2 * r * r]).ToArray() };
            data.Fill(new[] { 2, 7 }, input, null, targets); // train frame 2, test frame 1
            Assert.Equal(3f / scale, targets[0][0][0], 6);
            Assert.Equal(10f / scale, targets[0][0][1], 6);
            Assert.All(targets[0][2].AsSpan(256, 256).ToArray(), v => Assert.Equal(10f / scale, v, 6));

            // A clip repeated per epoch (--pseudo-anomaly-repeat) adds samples, not weight in the scale.
            var twice = TrainCommand.RepeatPseudoAnomalyClips([(Clip("01", 6, cfg), "train"), (Clip("01", 4, cfg), "test")], new HashSet<string> { "01" }, 3);
            Assert.Equal(["train", "test", "train", "train"], twice.Select(c => c.Split));
            var repeated = new CachedDistillationData(cfg, twice, root);
            Assert.Equal(22, repeated.Count);
            Assert.Equal(scale, repeated.TeacherScales["t1"]);
            Assert.Single(TrainCommand.RepeatPseudoAnomalyClips(twice.Take(1).ToList(), new HashSet<string> { "02" }, 3));

            // --target-floor 0.5: floor = the median train frame score (4 of 1..6) over the scale; below it 0, above shifted.
            var floored = new CachedDistillationData(cfg, [(Clip("01", 6, cfg), "train"), (Clip("01", 4, cfg), "test")], root, floorQuantile: 0.5);
            Assert.Equal(4f / 6f, floored.TeacherFloors["t1"], 6);
            Assert.Empty(data.TeacherFloors);
            floored.Fill(new[] { 2, 7, 4 }, new float[3 * cfg.InputChannels * cfg.InputHeight * cfg.InputWidth], null,
                targets = new[] { cfg.HeadResolutions.Select(r => new float[3 * r * r]).ToArray() });
            Assert.Equal(0f, targets[0][0][0]); // 3/6 is below the floor
            Assert.Equal(10f / 6f - 4f / 6f, targets[0][0][1], 5);
            Assert.Equal(5f / 6f - 4f / 6f, targets[0][0][2], 5);
            Assert.All(targets[0][1].AsSpan(0, 16).ToArray(), v => Assert.Equal(0f, v));
            Assert.Throws<ArgumentOutOfRangeException>(() => new CachedDistillationData(cfg, [(Clip("01", 6, cfg), "train")], root, floorQuantile: 1.0));
            Assert.Equal(scale, floored.TeacherScales["t1"]);

            Assert.Throws<AnomalyMapCacheException>(() => new CachedDistillationData(cfg, [(Clip("02", 6, cfg), "train")], root));
            Assert.Throws<AnomalyMapCacheException>(() => new CachedDistillationData(cfg, [(Clip("01", 5, cfg), "train")], root));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void Frame_score_is_the_mean_over_heads_of_each_maps_maximum()
    {
        var cfg = TrainerTests.Tiny();
        using var net = new StudentNetwork(cfg);
        ModelTests.RandomiseNorms(net, 2);
        using var session = new StudentSession(OnnxExporter.Export(net), threads: 1);
        var clip = Clip("c", 7, cfg);
        var (scores, maps, r, _) = ScoreCommand.ScoreClip(session, clip, cfg, batch: 3);
        Assert.Equal(16, r);
        Assert.Equal(7, scores.Length);
        var buf = new float[session.FrameSize];
        for (int i = 0; i < 7; i++)
        {
            StudentInput.Fill(clip, i, cfg, buf);
            var outs = session.Run(buf, 1);
            Assert.Equal(outs.Average(o => o.Max()), scores[i], 5);
            Assert.Equal(outs[2], maps[i]);
        }
    }
}
