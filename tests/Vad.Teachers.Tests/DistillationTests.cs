using Vad.Teachers.Networks;
using Vad.Teachers.Objects;
using Vad.Teachers.Teachers;
using Xunit;
using static TorchSharp.torch;

namespace Vad.Teachers.Tests;

/// <summary>T2's fourth task: distillation from a fixed random network (<see cref="RandomTargetDistillation"/>).</summary>
public sealed class DistillationTests
{
    private const int A = InputSizes.Appearance;

    /// <summary>Crops of a bright bar on a gray ground: tall and narrow (walker-like) or wide and short, at random places.</summary>
    private static float[] Bars(int count, bool wide, Random rng)
    {
        var x = new float[count * A * A];
        for (int b = 0; b < count; b++)
        {
            int w = wide ? 40 + rng.Next(10) : 8 + rng.Next(6), h = wide ? 10 + rng.Next(6) : 40 + rng.Next(10);
            int x0 = rng.Next(A - w), y0 = rng.Next(A - h);
            for (int y = 0; y < A; y++)
                for (int c = 0; c < A; c++)
                    x[b * A * A + y * A + c] = y >= y0 && y < y0 + h && c >= x0 && c < x0 + w ? 0.9f : 0.4f;
        }
        return x;
    }

    [Fact]
    public void The_predictor_learns_normal_crops_and_its_error_stays_higher_on_a_shape_it_never_saw()
    {
        Vad.Torch.TorchRuntime.EnsureLoaded();
        var rng = new Random(3);
        using var d = new RandomTargetDistillation("d", seed: 11);
        var train = tensor(Bars(256, wide: false, rng), new long[] { 256, 1, A, A });
        d.FitTargetNormalisation(train);
        var opt = TorchSharp.torch.optim.Adam(d.PredictorParameters(), 1e-3);
        d.train();
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            var idx = tensor(Enumerable.Range(0, 32).Select(_ => (long)rng.Next(256)).ToArray());
            var loss = d.forward(train.index_select(0, idx)).mean();
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        d.eval();
        using var _ = no_grad();
        using var evaluation = NewDisposeScope(); // keeps the chained temporaries alive through their native calls
        double normal = d.forward(tensor(Bars(64, wide: false, rng), new long[] { 64, 1, A, A })).mean().item<float>();
        double unseen = d.forward(tensor(Bars(64, wide: true, rng), new long[] { 64, 1, A, A })).mean().item<float>();
        Assert.True(unseen > 2 * normal, $"error on unseen wide bars {unseen:G3} vs held-out tall ones {normal:G3}");
    }

    [Fact]
    public void Teachers_save_and_load_the_task_with_its_normalisation_and_older_teachers_have_none()
    {
        using var old = TeacherModels.Load(TestData.CommittedTeachers);
        Assert.Null(old.Distillation);
        Assert.Equal(TeacherModels.T2Components, old.T2ComponentsInUse);
        int n = 3, st = InputSizes.StackFrames * InputSizes.Stack * InputSizes.Stack;
        var app = Bars(n, wide: true, new Random(5));
        var stack = new float[n * st];
        var motion = new float[n * 2 * InputSizes.Motion * InputSizes.Motion];
        int c = Array.IndexOf(TeacherModels.AllComponents, TeacherModels.DistillationComponent);
        Assert.True(float.IsNaN(TeacherModels.PerObject(old.Raw(n, app, motion, stack), n)[0][c]), "no fourth task: no value");

        string dir = TestData.SingleCommittedTeachers();
        float[] values;
        using (var added = TeacherModels.LoadAddingDistillation(dir, epochs: 1))
        {
            Assert.NotNull(added.Distillation);
            // A normalisation other than the identity, so that loading has to restore it.
            added.Distillation!.FitTargetNormalisation(tensor(Bars(16, wide: false, new Random(6)), new long[] { 16, 1, A, A }));
            values = added.Raw(n, app, motion, stack, t1: false, t2: true).DistillationError;
            Assert.Equal(n, values.Length);
            Assert.Throws<ArgumentException>(() => added.Raw(n, [], motion, stack, t1: false, t2: true)); // it needs the crops
            added.Save(dir, "test");
        }
        using var loaded = TeacherModels.Load(dir);
        Assert.True(loaded.Config.T2Distillation);
        Assert.Equal(values, loaded.Raw(n, app, motion, stack, t1: false, t2: true).DistillationError);
        Assert.Throws<InvalidOperationException>(() => TeacherModels.LoadAddingDistillation(dir, epochs: 1));
        File.Delete(Path.Combine(dir, TeacherModels.DistillationFile));
        Assert.Contains(TeacherModels.DistillationFile, Assert.Throws<FileNotFoundException>(() => TeacherModels.Load(dir)).Message);
        Directory.Delete(dir, true);
    }
}
