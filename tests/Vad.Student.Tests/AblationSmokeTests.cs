using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Student.Training;
using Vad.Torch;
using Xunit;

namespace Vad.Student.Tests;

/// <summary>The switches of the paper's ablation tables, each a tiny forward/backward (and export) on small inputs.</summary>
public class AblationSmokeTests
{
    public AblationSmokeTests() => TorchRuntime.EnsureLoaded();

    public static TheoryData<string> Switches => new()
    {
        "kd-only", "kd+akd", "one-frame", "three-frames", "three-class-discriminator", "two-branch-discriminators",
        "fc-mlp", "pointwise-mlp", "m=1", "m=3", "s=1", "s=4", "one-head", "two-heads", "rgb", "authors-variants",
    };

    private static (StudentConfig, TrainOptions) Setup(string name)
    {
        var cfg = TrainerTests.Tiny();
        var opt = new TrainOptions { BatchSize = 4, LearningRate = 1e-3 };
        return name switch
        {
            "kd-only" => (cfg, opt with { Adversarial = false }),
            "kd+akd" => (cfg, opt),
            "one-frame" => (cfg with { Frames = 1 }, opt),
            "three-frames" => (cfg with { Frames = 3 }, opt),
            "three-class-discriminator" => (cfg, opt with { Mode = AdversarialMode.ThreeClass }),
            "two-branch-discriminators" => (cfg, opt with { Mode = AdversarialMode.TwoBranch }),
            "fc-mlp" => (cfg with { Mlp = MlpKind.FullyConnected }, opt),
            "pointwise-mlp" => (cfg with { Mlp = MlpKind.Pointwise }, opt),
            "m=1" => (cfg with { Blocks = 1 }, opt),
            "m=3" => (cfg with { Blocks = 3 }, opt),
            "s=1" => (cfg with { Heads = 1 }, opt),
            "s=4" => (cfg with { Heads = 4 }, opt),
            "one-head" => (cfg with { HeadResolutions = [1] }, opt),
            "two-heads" => (cfg with { HeadResolutions = [1, 4] }, opt),
            "rgb" => (cfg with { Channels = 3 }, opt),
            "authors-variants" => (cfg with { AuthorsFirstConv = true, Norm = NormKind.LayerNormPreNorm, Activation = ActivationKind.Gelu }, opt),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Switches))]
    public void Switch_trains_a_step_and_exports(string name)
    {
        var (cfg, opt) = Setup(name);
        string dir = Directory.CreateTempSubdirectory("vad-ablation-").FullName;
        try
        {
            using var trainer = new StudentTrainer(cfg, opt, new SyntheticDistillationData(cfg, 8, 2, 1), dir);
            Assert.Equal(opt.Adversarial ? (opt.Mode == AdversarialMode.ThreeClass ? 1 : 2) : 0, trainer.Discriminators.Count);
            var all = Enumerable.Range(0, 4).ToArray();
            var r = trainer.Phase1Step(all);
            Assert.True(double.IsFinite(r.Reconstruction) && r.Reconstruction > 0);
            var before = trainer.Student.Heads[0].parameters().First().detach().clone();
            var k = trainer.Phase2Step(all);
            Assert.True(double.IsFinite(k.Distillation) && k.Distillation > 0);
            Assert.Equal(opt.Adversarial, k.Adversarial != 0);
            Assert.True((before - trainer.Student.Heads[0].parameters().First()).abs().max().item<float>() > 0, "the heads did not move");
            float diff = ModelTests.MaxParityDiff(trainer.Student, batch: 2, seed: 3);
            Assert.True(diff <= 1e-4f, $"{name}: ONNX parity {diff}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
