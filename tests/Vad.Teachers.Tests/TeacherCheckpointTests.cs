using Spectre.Console;
using Vad.Teachers.Objects;
using Vad.Teachers.Teachers;
using Xunit;
using static TorchSharp.torch;

namespace Vad.Teachers.Tests;

/// <summary><c>teachers train</c> checkpoints every epoch; a killed training resumes with an uninterrupted one's weights.</summary>
[Collection(Vad.Testing.SeededTorchCollection.Name)]
public sealed class TeacherCheckpointTests() : Vad.Testing.TempDirectoryTest("vad-teacher-ckpt-")
{
    /// <summary>Random objects: 20 in fitting clip 01, 6 in calibration clip 14.</summary>
    private static List<TrainingObject> Objects(int seed)
    {
        var rng = new Random(seed);
        int window = (2 * TeacherTrainer.WindowHalf + 1) * InputSizes.Stack * InputSizes.Stack;
        return Enumerable.Range(0, 26).Select(i =>
        {
            var app = new byte[InputSizes.Appearance * InputSizes.Appearance];
            var win = new byte[window];
            rng.NextBytes(app);
            rng.NextBytes(win);
            var motion = Enumerable.Range(0, 2 * InputSizes.Motion * InputSizes.Motion).Select(_ => (float)rng.NextDouble()).ToArray();
            return new TrainingObject(i < 20 ? "01" : "14", app, motion, win);
        }).ToList();
    }

    private static readonly TeacherConfig Config = new() { Seed = 5, AutoEncoderEpochs = 1, ClassifierEpochs = 2, MultiTaskEpochs = 2, BatchSize = 8 };

    private static TeacherModels Train(TeacherTrainer trainer, List<TrainingObject> objects, string? t1From = null)
    {
        // A console of its own: AnsiConsole's shared one lets one live display run at a time, and the commands other
        // test classes run in parallel show theirs on it.
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        TeacherModels? models = null;
        console.Progress().Start(ctx => models = trainer.Train(objects, ctx, t1From));
        return models!;
    }

    private static float[] Weights(TeacherModels m)
    {
        using var scope = NewDisposeScope();
        return new TorchSharp.torch.nn.Module[] { m.AppAe, m.MotionAe, m.AppClassifier, m.MotionClassifier, m.MultiTask }
            .SelectMany(n => n.parameters()).SelectMany(p => p.detach().contiguous().data<float>().ToArray()).ToArray();
    }

    [Theory]
    [InlineData(2, 1, 1)] // killed after the first classifier epoch
    [InlineData(4, 2, 1)] // killed after the first T2 epoch
    public void A_killed_teacher_training_resumes_from_its_last_epoch_with_the_weights_of_an_uninterrupted_one(int killAfter, int phase, int epochsDone)
    {
        var objects = Objects(1);
        using var straight = Train(new TeacherTrainer(Config), objects);
        string ckpt = Path.Combine(Dir, "checkpoint");
        Assert.Throws<OperationCanceledException>(() => Train(new TeacherTrainer(Config, ckpt) { StopAfterCheckpoints = killAfter }, objects));
        Assert.True(File.Exists(Path.Combine(ckpt, "state.json")));

        TeacherCheckpoint? announced = null;
        var trainer = new TeacherTrainer(Config, ckpt) { OnResumed = r => announced = r };
        using var resumed = Train(trainer, objects);
        Assert.NotNull(trainer.ResumedFrom);
        Assert.Same(trainer.ResumedFrom, announced);
        Assert.Equal(phase, trainer.ResumedFrom!.Phase);
        Assert.Equal(epochsDone, trainer.ResumedFrom.EpochsDone);
        var a = Weights(straight);
        var b = Weights(resumed);
        Assert.Equal(a.Length, b.Length);
        float diff = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(diff < 1e-5f, $"resumed weights differ from the uninterrupted training's by {diff}");
        Assert.Equal(straight.Config.Stats["arrow_of_time"].Mean, resumed.Config.Stats["arrow_of_time"].Mean, 5);
        // The comparison means something: training moved the weights away from their initialisation.
        using var untrained = new TeacherModels(Config);
        Assert.True(a.Zip(Weights(untrained)).Max(p => Math.Abs(p.First - p.Second)) > 1e-3f);
    }

    [Fact]
    public void A_checkpoint_of_other_settings_or_objects_is_refused_and_names_what_differs()
    {
        var objects = Objects(1);
        string ckpt = Path.Combine(Dir, "checkpoint");
        Assert.Throws<OperationCanceledException>(() => Train(new TeacherTrainer(Config, ckpt) { StopAfterCheckpoints = 1 }, objects));
        var e = Assert.Throws<InvalidOperationException>(() => Train(new TeacherTrainer(Config with { MultiTaskEpochs = 3 }, ckpt), objects));
        Assert.Contains("configuration", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Train(new TeacherTrainer(Config, ckpt), Objects(2)));
        Assert.Contains("training objects", e.Message);
    }
}
