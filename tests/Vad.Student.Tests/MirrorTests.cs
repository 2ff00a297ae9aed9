using TorchSharp;
using Vad.Core.Maps;
using Vad.Student.Model;
using Vad.Student.Training;
using Vad.Torch;
using Xunit;

namespace Vad.Student.Tests;

/// <summary>Left-right mirroring of training samples (<see cref="TrainOptions.Mirror"/>).</summary>
public class MirrorAugmentationTests
{
    [Fact]
    public void The_draw_mirrors_about_half_of_the_samples_and_depends_on_seed_and_epoch()
    {
        const int n = 20000;
        bool[] Draw(int seed, int phase, int epoch) => Enumerable.Range(0, n).Select(s => MirrorAugmentation.IsMirrored(seed, phase, epoch, s)).ToArray();
        var e0 = Draw(52, 2, 0);
        Assert.Equal(e0, Draw(52, 2, 0)); // a fixed draw: a resumed run draws the same
        double Fraction(bool[] d) => d.Count(m => m) / (double)n;
        double Agreement(bool[] a, bool[] b) => a.Zip(b).Count(p => p.First == p.Second) / (double)n;
        Assert.InRange(Fraction(e0), 0.48, 0.52);
        // Independent across epochs, phases and seeds: about half of the samples agree.
        Assert.InRange(Agreement(e0, Draw(52, 2, 1)), 0.48, 0.52);
        Assert.InRange(Agreement(e0, Draw(52, 1, 0)), 0.48, 0.52);
        Assert.InRange(Agreement(e0, Draw(53, 2, 0)), 0.48, 0.52);
        // Neighbouring samples are not correlated (consecutive frames would otherwise be mirrored in runs).
        Assert.InRange(Agreement(e0[..^1], e0[1..]), 0.48, 0.52);
    }

    [Fact]
    public void Rows_are_reversed_in_place_and_a_ragged_block_is_refused()
    {
        float[] block = [1, 2, 3, 4, 5, 6];
        MirrorAugmentation.MirrorRows(block, 3);
        Assert.Equal([3f, 2, 1, 6, 5, 4], block);
        Assert.Throws<ArgumentException>(() => MirrorAugmentation.MirrorRows(new float[7], 3));
    }

    [Theory]
    [InlineData(360, 240)]
    [InlineData(238, 158)]
    [InlineData(7, 5)]
    public void Max_pooling_commutes_with_mirroring_so_a_mirrored_teacher_map_is_exact(int width, int height)
    {
        var rng = new Random(width);
        var map = Enumerable.Range(0, width * height).Select(_ => (float)rng.NextDouble()).ToArray();
        var mirrored = (float[])map.Clone();
        MirrorAugmentation.MirrorRows(mirrored, width);
        foreach (int r in new[] { 1, 2, 4, 16 })
        {
            var pooled = AnomalyMapPainter.MaxPool(map, width, height, r);
            MirrorAugmentation.MirrorRows(pooled, r);
            Assert.Equal(pooled, AnomalyMapPainter.MaxPool(mirrored, width, height, r));
        }
    }

    [Fact]
    public void Apply_mirrors_the_chosen_entries_frames_middle_frame_and_every_teacher_map_and_nothing_else()
    {
        var cfg = TrainerTests.Tiny();
        var data = new SyntheticDistillationData(cfg, 4, 2, 7);
        int[] samples = [0, 1, 2];
        int frame = cfg.InputChannels * cfg.InputHeight * cfg.InputWidth, plane = cfg.Channels * cfg.InputHeight * cfg.InputWidth;
        (float[] Input, float[] Middle, float[][][] Targets) Fill()
        {
            var input = new float[samples.Length * frame];
            var middle = new float[samples.Length * plane];
            var targets = Enumerable.Range(0, 2).Select(_ => cfg.HeadResolutions.Select(r => new float[samples.Length * r * r]).ToArray()).ToArray();
            data.Fill(samples, input, middle, targets);
            return (input, middle, targets);
        }
        var original = Fill();
        var changed = Fill();
        MirrorAugmentation.Apply(cfg, [false, true, false], changed.Input, changed.Middle, changed.Targets);

        float[] Reversed(float[] buf, int entry, int size, int width)
        {
            var copy = buf.AsSpan(entry * size, size).ToArray();
            MirrorAugmentation.MirrorRows(copy, width);
            return copy;
        }
        foreach (int b in new[] { 0, 2 })
        {
            Assert.Equal(original.Input.AsSpan(b * frame, frame).ToArray(), changed.Input.AsSpan(b * frame, frame).ToArray());
            Assert.Equal(original.Middle.AsSpan(b * plane, plane).ToArray(), changed.Middle.AsSpan(b * plane, plane).ToArray());
        }
        Assert.Equal(Reversed(original.Input, 1, frame, cfg.InputWidth), changed.Input.AsSpan(frame, frame).ToArray());
        Assert.Equal(Reversed(original.Middle, 1, plane, cfg.InputWidth), changed.Middle.AsSpan(plane, plane).ToArray());
        Assert.NotEqual(original.Input.AsSpan(frame, frame).ToArray(), changed.Input.AsSpan(frame, frame).ToArray());
        for (int t = 0; t < 2; t++)
            for (int h = 0; h < cfg.HeadResolutions.Length; h++)
            {
                int r = cfg.HeadResolutions[h], rr = r * r;
                Assert.Equal(Reversed(original.Targets[t][h], 1, rr, r), changed.Targets[t][h].AsSpan(rr, rr).ToArray());
                Assert.Equal(original.Targets[t][h].AsSpan(0, rr).ToArray(), changed.Targets[t][h].AsSpan(0, rr).ToArray());
                Assert.Equal(original.Targets[t][h].AsSpan(2 * rr, rr).ToArray(), changed.Targets[t][h].AsSpan(2 * rr, rr).ToArray());
            }
    }
}

[Collection(Vad.Testing.SeededTorchCollection.Name)]
public class MirrorTrainingTests
{
    public MirrorTrainingTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void A_mirrored_run_trains_differently_from_a_plain_one_and_resumes_after_a_kill_like_an_uninterrupted_one()
    {
        StudentConfig cfg = TrainerTests.Tiny();
        var data = new SyntheticDistillationData(cfg, 16, 2, 5);
        var options = new TrainOptions { BatchSize = 4, Phase1Epochs = 1, Phase2Epochs = 1, CheckpointEverySteps = 1, Seed = 9, Adversarial = false, Mirror = true };
        string killed = Directory.CreateTempSubdirectory("vad-mirror-").FullName, straight = killed + "-straight", plain = killed + "-plain";
        try
        {
            using (var first = new StudentTrainer(cfg, options with { MaxSteps = 5 }, data, killed)) first.Run();
            using var resumed = new StudentTrainer(cfg, options, data, killed);
            Assert.True(resumed.TryResume());
            resumed.Run();
            Assert.True(resumed.State.Finished);

            using var uninterrupted = new StudentTrainer(cfg, options, data, straight);
            uninterrupted.Run();
            float resumeDiff = TrainerTests.Weights(resumed.Student).Zip(TrainerTests.Weights(uninterrupted.Student)).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(resumeDiff < 1e-5f, $"resumed mirrored run differs from the uninterrupted one by {resumeDiff}");

            using var unmirrored = new StudentTrainer(cfg, options with { Mirror = false }, data, plain);
            unmirrored.Run();
            float mirrorDiff = TrainerTests.Weights(unmirrored.Student).Zip(TrainerTests.Weights(uninterrupted.Student)).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(mirrorDiff > 1e-4f, $"mirroring changed the trained weights by only {mirrorDiff}");
        }
        finally
        {
            foreach (var d in new[] { killed, straight, plain }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }
}
