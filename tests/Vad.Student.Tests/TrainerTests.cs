using TorchSharp;
using Vad.Student.Model;
using Vad.Student.Training;
using Vad.Torch;
using Xunit;
using static TorchSharp.torch;

namespace Vad.Student.Tests;

[Collection(Vad.Testing.SeededTorchCollection.Name)]
public class TrainerTests
{
    public TrainerTests() => TorchRuntime.EnsureLoaded();

    internal static StudentConfig Tiny(int frames = 3) => new()
    {
        Profile = "tiny", InputWidth = 48, InputHeight = 32, Channels = 1, Frames = frames, Blocks = 1, Heads = 2, HeadDim = 8,
        DownsamplingFilters = [8, 16, 32], HeadResolutions = [1, 4, 16], HeadHidden = 8,
    };

    private static string TempDir() => Directory.CreateTempSubdirectory("vad-student-").FullName;

    private static Tensor[][] Teachers(StudentConfig cfg, int n, int teachers) =>
        Enumerable.Range(0, teachers).Select(_ => cfg.HeadResolutions.Select(r => rand(n, 1, r, r)).ToArray()).ToArray();

    [Theory]
    [InlineData(AdversarialMode.PerTeacher)]
    [InlineData(AdversarialMode.TwoBranch)]
    [InlineData(AdversarialMode.ThreeClass)]
    public void Discriminator_fake_term_trains_D_and_not_the_student(AdversarialMode mode)
    {
        var cfg = Tiny();
        string dir = TempDir();
        try
        {
            using var trainer = new StudentTrainer(cfg, new TrainOptions { Mode = mode, BatchSize = 4 }, new SyntheticDistillationData(cfg, 8, 2, 1), dir);
            Assert.Equal(mode == AdversarialMode.ThreeClass ? 1 : 2, trainer.Discriminators.Count);
            using var scope = torch.NewDisposeScope(); // keeps the chained temporaries below alive until the test ends
            using var x = rand(4, cfg.InputChannels, cfg.InputHeight, cfg.InputWidth);
            var maps = trainer.Student.call(x);
            var teachers = Teachers(cfg, 4, 2);

            // D's gradient with two different fake inputs (same real inputs) differs only through the fake term.
            double[] DGrads(Tensor[] fake)
            {
                foreach (var d in trainer.Discriminators) d.zero_grad();
                trainer.DiscriminatorLoss(fake, teachers).backward();
                using var copies = torch.NewDisposeScope();
                return trainer.Discriminators.SelectMany(d => d.parameters())
                    .SelectMany(p => p.grad is null ? new float[p.numel()] : p.grad.contiguous().data<float>().ToArray()).Select(v => (double)v).ToArray();
            }
            var fake1 = maps.Select(m => m.detach().requires_grad_()).ToArray();
            var g1 = DGrads(fake1);
            var g2 = DGrads(maps.Select(m => (m.detach() + 1).requires_grad_()).ToArray());
            Assert.True(g1.Zip(g2).Max(p => Math.Abs(p.First - p.Second)) > 1e-7, "the fake term sends no gradient into D");
            // It also flows through D down to its (detached) input, and never into the student.
            Assert.True(fake1.Sum(f => f.grad!.abs().sum().item<float>()) > 0);
            Assert.All(trainer.Student.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));

            // The generator term reaches the student's heads.
            var g = trainer.GeneratorLoss(maps);
            g.backward();
            double sGrad = trainer.Student.Heads.SelectMany(h => h.parameters()).Sum(p => p.grad is null ? 0 : p.grad.abs().sum().item<float>());
            Assert.True(sGrad > 0, "the adversarial loss does not reach the student");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Distillation_loss_is_the_lambda_weighted_sum_of_head_mses()
    {
        var cfg = Tiny();
        string dir = TempDir();
        try
        {
            using var trainer = new StudentTrainer(cfg, new TrainOptions { Lambda = [1.0, 0.5], BatchSize = 4 }, new SyntheticDistillationData(cfg, 8, 2, 1), dir);
            var s = cfg.HeadResolutions.Select(r => zeros(2, 1, r, r)).ToArray();
            var t = new[]
            {
                cfg.HeadResolutions.Select(r => ones(2, 1, r, r)).ToArray(),
                cfg.HeadResolutions.Select(r => full(2, 1, r, r, 2f)).ToArray(),
            };
            // teacher 1: 3 heads x MSE 1 x lambda 1 = 3; teacher 2: 3 heads x MSE 4 x lambda 0.5 = 6
            Assert.Equal(9.0, trainer.DistillationLoss(s, t).item<float>(), 4);

            // --max-weight 2: teacher 1's 16x16 map peaks at 5 in one cell, the student's is flat 0. The cell-wise MSE
            // is (255 + 25) / 256 per sample; the maxima term adds 2 x (5 - 0)^2 for that head and 2 x 1 for the 4x4 head
            // (the 1x1 head has no separate maximum term); teacher 2 adds 2 x 0.5 x 4 per multi-cell head.
            using var maxTrainer = new StudentTrainer(cfg, new TrainOptions { Lambda = [1.0, 0.5], BatchSize = 4, MaxWeight = 2 }, new SyntheticDistillationData(cfg, 8, 2, 1), dir + "-max");
            int last = cfg.HeadResolutions.Length - 1;
            var peaked = cfg.HeadResolutions.Select(r => ones(2, 1, r, r)).ToArray();
            var cellsOfPeak = Enumerable.Repeat(1f, 2 * 256).ToArray();
            cellsOfPeak[0] = cellsOfPeak[256] = 5f;
            peaked[last] = tensor(cellsOfPeak, new long[] { 2, 1, 16, 16 });
            double cellMse = 1 + 1 + (255 + 25) / 256.0, maxTerm = 2 * 1 + 2 * 25;
            double expected = cellMse + maxTerm + 0.5 * (3 * 4 + 2 * 2 * 4);
            Assert.Equal(expected, maxTrainer.DistillationLoss(s, [peaked, t[1]]).item<float>(), 3);
        }
        finally
        {
            Directory.Delete(dir, true);
            if (Directory.Exists(dir + "-max")) Directory.Delete(dir + "-max", true);
        }
    }

    [Fact]
    public void Both_phases_lower_their_losses_on_synthetic_data()
    {
        var cfg = Tiny();
        string dir = TempDir();
        try
        {
            var data = new SyntheticDistillationData(cfg, 8, 2, 3);
            using var trainer = new StudentTrainer(cfg, new TrainOptions { BatchSize = 8, LearningRate = 3e-3, Adversarial = false }, data, dir);
            int[] all = Enumerable.Range(0, 8).ToArray();
            double r0 = trainer.Phase1Step(all).Reconstruction, r1 = 0;
            for (int i = 0; i < 15; i++) r1 = trainer.Phase1Step(all).Reconstruction;
            Assert.True(r1 < r0, $"reconstruction {r0} -> {r1}");
            double k0 = trainer.Phase2Step(all).Distillation, k1 = 0;
            for (int i = 0; i < 15; i++) k1 = trainer.Phase2Step(all).Distillation;
            Assert.True(k1 < k0, $"distillation {k0} -> {k1}");
        }
        finally { Directory.Delete(dir, true); }
    }

    internal static float[] Weights(nn.Module m)
    {
        using var scope = torch.NewDisposeScope(); // keeps the chained temporaries alive (and frees them) until copied
        return m.parameters().SelectMany(p => p.detach().contiguous().data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void A_killed_run_resumes_from_its_step_with_identical_weights_and_continues_like_an_uninterrupted_one()
    {
        var cfg = Tiny();
        var data = new SyntheticDistillationData(cfg, 16, 2, 5);
        var options = new TrainOptions { BatchSize = 4, Phase1Epochs = 1, Phase2Epochs = 1, CheckpointEverySteps = 2, Seed = 9 };
        string a = TempDir(), b = TempDir();
        try
        {
            // Interrupted: 6 steps (checkpoint at 6), the process "dies", a new trainer resumes and finishes.
            float[] atKill;
            using (var first = new StudentTrainer(cfg, options with { MaxSteps = 6 }, data, a))
            {
                first.Run();
                Assert.Equal(6, first.State.GlobalStep);
                atKill = Weights(first.Student);
            }
            using var resumed = new StudentTrainer(cfg, options, data, a);
            Assert.NotEqual(atKill, Weights(resumed.Student)); // a fresh trainer starts elsewhere (seeded init != trained)
            Assert.True(resumed.TryResume());
            Assert.Equal(6, resumed.State.GlobalStep);
            Assert.Equal(2, resumed.State.Phase);
            Assert.Equal(2, resumed.State.StepInEpoch);
            Assert.Equal(atKill, Weights(resumed.Student));
            resumed.Run();
            Assert.True(resumed.State.Finished);
            Assert.Equal(8, resumed.State.GlobalStep);

            using var straight = new StudentTrainer(cfg, options, data, b);
            straight.Run();
            var w1 = Weights(resumed.Student);
            var w2 = Weights(straight.Student);
            Assert.Equal(w2.Length, w1.Length);
            float diff = w1.Zip(w2).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(diff < 1e-5f, $"resumed run differs from the uninterrupted one by {diff}");
            Assert.Equal(straight.State.History.Count, resumed.State.History.Count);
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }
    /// <summary>Synthetic samples whose teacher target is NaN for one sample.</summary>
    private sealed class PoisonedTargets(SyntheticDistillationData inner, int poisoned) : IDistillationData
    {
        public StudentConfig Config => inner.Config;
        public int Count => inner.Count;
        public IReadOnlyList<string> Teachers => inner.Teachers;
        public string Describe(int sample) => $"synthetic {sample}";
        public void Fill(ReadOnlySpan<int> samples, float[] input, float[]? middle, float[][][]? targets)
        {
            inner.Fill(samples, input, middle, targets);
            int b = samples.IndexOf(poisoned);
            if (targets is not null && b >= 0) targets[1][0][b] = float.NaN;
        }
    }

    [Fact]
    public void A_non_finite_distillation_loss_stops_before_the_step_and_names_the_batch()
    {
        var cfg = Tiny();
        var data = new PoisonedTargets(new SyntheticDistillationData(cfg, 16, 2, 5), poisoned: 11);
        var options = new TrainOptions { BatchSize = 4, Phase1Epochs = 1, Phase2Epochs = 1, CheckpointEverySteps = 1, Seed = 9, Adversarial = false };
        string dir = TempDir();
        try
        {
            using var trainer = new StudentTrainer(cfg, options, data, dir);
            var e = Assert.Throws<NonFiniteTrainingException>(() => trainer.Run());
            Assert.Contains("phase 2", e.Message);
            Assert.Contains("synthetic 11", e.Message);
            // The poisoned target is the second teacher's 1x1 map: index 1 (after the input) + 3 (t1's heads) + 0.
            Assert.Contains("non-finite step tensors (index into inputs, targets, outputs): [4]", e.Message);
            // The step was not applied: the weights are finite and equal to the last checkpoint's.
            var atThrow = Weights(trainer.Student);
            Assert.All(atThrow, v => Assert.True(float.IsFinite(v)));
            using var resumed = new StudentTrainer(cfg, options, data, dir);
            Assert.True(resumed.TryResume());
            Assert.Equal(trainer.State.GlobalStep, resumed.State.GlobalStep);
            Assert.Equal(atThrow, Weights(resumed.Student));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Averaged_weights_blend_each_distillation_step_and_survive_a_kill()
    {
        var cfg = Tiny();
        var data = new SyntheticDistillationData(cfg, 16, 2, 5);
        var options = new TrainOptions { BatchSize = 4, Phase1Epochs = 1, Phase2Epochs = 1, CheckpointEverySteps = 1, Seed = 9, EmaDecay = 0.75, Adversarial = false };
        string a = TempDir(), b = TempDir();
        try
        {
            float[] w5, w6, avgAtKill;
            using (var first = new StudentTrainer(cfg, options with { MaxSteps = 5 }, data, a))
            {
                first.Run(); // 4 auto-encoder steps, then the first distillation step starts the average
                Assert.Same(first.AveragedStudent, first.ExportedStudent);
                Assert.Equal(0.75, first.ExportedDecay);
                w5 = Weights(first.Student);
                Assert.Equal(w5, Weights(first.AveragedStudent!));
                first.Phase2Step(first.BatchIndices(2, 0, 1));
                w6 = Weights(first.Student);
                var expected = w5.Zip(w6, (p, q) => 0.75f * p + 0.25f * q).ToArray();
                float blendError = expected.Zip(Weights(first.AveragedStudent!)).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(blendError < 1e-6f, $"average differs from 0.75 x previous + 0.25 x new by {blendError}");
                Assert.NotEqual(w6, Weights(first.AveragedStudent!));
            }
            // Killed after 6 steps (the extra step above was not checkpointed): resume at step 5 and finish.
            using (var killed = new StudentTrainer(cfg, options with { MaxSteps = 6 }, data, b)) killed.Run();
            using var resumed = new StudentTrainer(cfg, options, data, b);
            Assert.Same(resumed.Student, resumed.ExportedStudent); // no average before the resume loads it
            Assert.True(resumed.TryResume());
            avgAtKill = Weights(resumed.AveragedStudent!);
            Assert.NotEqual(Weights(resumed.Student), avgAtKill);
            resumed.Run();
            using var straight = new StudentTrainer(cfg, options, data, a + "-straight");
            straight.Run();
            float diff = Weights(resumed.AveragedStudent!).Zip(Weights(straight.AveragedStudent!)).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(diff < 1e-5f, $"resumed average differs from the uninterrupted one by {diff}");
        }
        finally
        {
            foreach (var d in new[] { a, b, a + "-straight" }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    private static float[] Buffers(nn.Module m)
    {
        using var scope = torch.NewDisposeScope();
        return m.buffers().Where(b => b.is_floating_point()).SelectMany(b => b.detach().contiguous().data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void Stochastic_weight_averaging_averages_the_epoch_ends_from_its_start_and_survives_a_kill()
    {
        var cfg = Tiny();
        var data = new SyntheticDistillationData(cfg, 16, 2, 5);
        // 4 steps per epoch: 1 auto-encoder epoch, then 3 distillation epochs averaged from the end of the second.
        var options = new TrainOptions { BatchSize = 4, Phase1Epochs = 1, Phase2Epochs = 3, CheckpointEverySteps = 1, Seed = 9, SwaFromEpoch = 2, Adversarial = false };
        string a = TempDir(), b = TempDir();
        try
        {
            var epochEnds = new List<float[]>();
            using var straight = new StudentTrainer(cfg, options, data, a);
            straight.Run(onEpoch: m =>
            {
                if (m.Phase != 2) return;
                epochEnds.Add(Weights(straight.Student));
                if (m.Epoch == 0)
                {
                    Assert.Same(straight.Student, straight.ExportedStudent); // nothing averaged before the start epoch
                    Assert.Null(straight.ExportedAveragedEpochs);
                    return;
                }
                Assert.Same(straight.AveragedStudent, straight.ExportedStudent);
                Assert.Equal(m.Epoch, straight.ExportedAveragedEpochs);
                var mean = epochEnds.Skip(1).Aggregate(new float[epochEnds[0].Length], (acc, w) => acc.Zip(w, (p, q) => p + q / (epochEnds.Count - 1)).ToArray());
                float error = mean.Zip(Weights(straight.AveragedStudent!)).Max(p => Math.Abs(p.First - p.Second));
                Assert.True(error < 1e-5f, $"epoch {m.Epoch + 1}: the average differs from the mean of epochs 2..{m.Epoch + 1} by {error}");
            });
            Assert.Equal(3, epochEnds.Count);
            Assert.NotEqual(epochEnds[1], epochEnds[2]);
            Assert.Equal(2, straight.State.AveragedEpochs);
            // Its BatchNorm statistics are its own (recomputed), not the last weights'.
            Assert.NotEqual(Buffers(straight.Student), Buffers(straight.AveragedStudent!));

            // Killed in the middle of the third distillation epoch (after the average started), resumed, finished.
            using (var killed = new StudentTrainer(cfg, options with { MaxSteps = 4 + 4 * 2 + 2 }, data, b)) killed.Run();
            using var resumed = new StudentTrainer(cfg, options, data, b);
            Assert.True(resumed.TryResume());
            Assert.Equal(1, resumed.State.AveragedEpochs);
            resumed.Run();
            Assert.Equal(2, resumed.State.AveragedEpochs);
            float diff = Weights(resumed.AveragedStudent!).Zip(Weights(straight.AveragedStudent!)).Max(p => Math.Abs(p.First - p.Second));
            float bufferDiff = Buffers(resumed.AveragedStudent!).Zip(Buffers(straight.AveragedStudent!)).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(diff < 1e-5f && bufferDiff < 1e-4f, $"resumed average differs from the uninterrupted one by {diff} (weights), {bufferDiff} (BatchNorm statistics)");
            Assert.Throws<ArgumentException>(() => new StudentTrainer(cfg, options with { EmaDecay = 0.9 }, data, TempDir()));
            Assert.Throws<ArgumentException>(() => new StudentTrainer(cfg, options with { SwaFromEpoch = 4 }, data, TempDir()));
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }

    [Fact]
    public void Recomputed_BatchNorm_statistics_are_the_mean_of_the_batch_statistics()
    {
        random.manual_seed(3);
        using var conv = nn.Conv2d(2, 3, 3);
        using var bn = nn.BatchNorm2d(3);
        using var net = nn.Sequential(("conv", conv), ("bn", bn));
        var batches = Enumerable.Range(0, 3).Select(i => rand(4, 2, 6, 6) * (i + 1) + i).ToList();
        Tensor expectedMean, expectedVar;
        using (torch.no_grad())
        {
            var outs = batches.Select(x => conv.call(x)).ToList();
            expectedMean = torch.stack(outs.Select(o => o.mean([0, 2, 3]))).mean([0]);
            expectedVar = torch.stack(outs.Select(o => o.var([0, 2, 3]))).mean([0]); // unbiased, as BatchNorm keeps it
        }
        int used = StudentTrainer.RecomputeBatchNormStatistics(net, batches.Select(x => x.clone()), x => net.call(x));
        Assert.Equal(3, used);
        Assert.False(net.training);
        Assert.True((bn.running_mean! - expectedMean).abs().max().item<float>() < 1e-5f);
        Assert.True((bn.running_var! - expectedVar).abs().max().item<float>() < 1e-4f);
        Assert.Equal(0.1, bn.momentum!.Value, 6); // the module's own momentum is restored
    }

    [Fact]
    public void The_exported_manifest_records_the_command_and_the_options_that_trained_the_model()
    {
        string dir = Directory.CreateTempSubdirectory("vad-manifest-").FullName;
        try
        {
            using var net = new StudentNetwork(Tiny());
            var options = new TrainOptions { Seed = 43, MaxWeight = 1, Adversarial = false, Lambda = [1, 0.5], Mirror = true };
            var runData = new TrainCommand.RunData("ped2 train", new() { ["t1"] = "aa" }, new() { ["t1"] = 0.5f }, null, options, "./vad train --seed 43 --max-weight 1");
            string onnx = Path.Combine(dir, "student.onnx");
            TrainCommand.Export(net, onnx, runData, null);
            var loaded = Vad.Core.Models.StudentManifest.Load(Vad.Core.Models.StudentManifest.PathFor(onnx));
            Assert.Equal("./vad train --seed 43 --max-weight 1", loaded.TrainCommand);
            Assert.NotNull(loaded.TrainOptions);
            Assert.Equal(43, (int)loaded.TrainOptions!["seed"]!);
            Assert.Equal(1.0, (double)loaded.TrainOptions["max_weight"]!);
            Assert.False((bool)loaded.TrainOptions["adversarial"]!);
            Assert.Equal(0.5, (double)loaded.TrainOptions["lambda"]![1]!);
            Assert.True((bool)loaded.TrainOptions["mirror"]!);
            // A manifest written before the fields existed still loads, without them.
            string legacy = Path.Combine(dir, "legacy.json");
            File.WriteAllText(legacy, """{"version":"x","input_width":16,"input_height":16,"channels":1,"frames":3,"stride_t":3}""");
            var old = Vad.Core.Models.StudentManifest.Load(legacy);
            Assert.Null(old.TrainOptions);
            Assert.Equal("", old.TrainCommand);
        }
        finally { Directory.Delete(dir, true); }
    }
}
