using Onnx;
using Vad.Core.Models;
using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Student.Training;
using Xunit;
using static TorchSharp.torch;

namespace Vad.Student.Tests;

/// <summary><c>./vad average-weights</c>: the element-wise mean of one architecture's exported weights.</summary>
public sealed class WeightAveragingTests() : Vad.Testing.TempDirectoryTest("vad-average-")
{
    /// <summary>Exports a tiny student with weights drawn from <paramref name="seed"/> (and randomised norms) to NAME.onnx + manifest.</summary>
    private string Export(StudentConfig cfg, string name, int seed, string? teacherHash = null)
    {
        random.manual_seed(seed);
        using var net = new StudentNetwork(cfg);
        ModelTests.RandomiseNorms(net, seed);
        string path = Path.Combine(Dir, name + ".onnx");
        var runData = new TrainCommand.RunData("tiny data", new() { ["t1"] = teacherHash ?? "aa", ["t2"] = "bb" }, new() { ["t1"] = 1f, ["t2"] = 1f },
            Command: $"./vad train --seed {seed}");
        TrainCommand.Export(net, path, runData, null);
        return path;
    }

    private static Dictionary<string, float[]> FloatInitializers(string path) =>
        ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer.Where(t => t.DataType == 1)
            .ToDictionary(t => t.Name, t => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray());

    private static float[][] Outputs(string path, float[] input, int batch)
    {
        using var s = new StudentSession(path, threads: 1);
        return s.Run(input, batch);
    }

    [Fact]
    public void Every_weight_of_the_average_is_the_mean_of_the_models_weights_and_the_average_runs()
    {
        var cfg = TrainerTests.Tiny();
        var paths = new[] { Export(cfg, "a", 1), Export(cfg, "b", 2), Export(cfg, "c", 3) };
        string outPath = Path.Combine(Dir, "avg.onnx");
        Assert.Equal(0, Program.Main(["average-weights", "--models", string.Join(",", paths), "--out", outPath]));

        var inputs = paths.Select(FloatInitializers).ToList();
        var averaged = FloatInitializers(outPath);
        Assert.Equal(inputs[0].Keys.Order(), averaged.Keys.Order());
        int differing = 0;
        foreach (var (name, mean) in averaged)
        {
            for (int i = 0; i < mean.Length; i++)
            {
                double expected = ((double)inputs[0][name][i] + inputs[1][name][i] + inputs[2][name][i]) / 3;
                Assert.True(Math.Abs(mean[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"{name}[{i}]: {mean[i]} vs {expected}");
                if (inputs[0][name][i] != inputs[1][name][i]) differing++;
            }
        }
        Assert.True(differing > 1000, $"the models must differ for the check to mean anything ({differing} weights differ)");

        var manifest = StudentManifest.Load(StudentManifest.PathFor(outPath));
        Assert.Equal(StudentManifest.HashFile(outPath), manifest.Version);
        Assert.Equal(3, manifest.Metrics["weights_averaged_models"]);
        Assert.StartsWith("./vad train --seed 3 && ./vad average-weights --models ", manifest.TrainCommand);

        var rng = new Random(5);
        var x = Enumerable.Range(0, 2 * cfg.InputChannels * cfg.InputHeight * cfg.InputWidth).Select(_ => (float)rng.NextDouble()).ToArray();
        var heads = Outputs(outPath, x, 2);
        Assert.Equal(cfg.HeadResolutions.Length, heads.Length);
        Assert.All(heads, h => Assert.All(h, v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void The_average_of_copies_of_one_model_scores_exactly_as_that_model()
    {
        var cfg = TrainerTests.Tiny();
        string a = Export(cfg, "a", 4);
        string copy = Path.Combine(Dir, "copy.onnx");
        File.Copy(a, copy);
        File.Copy(StudentManifest.PathFor(a), StudentManifest.PathFor(copy));
        string outPath = Path.Combine(Dir, "avg.onnx");
        WeightAveraging.AverageFiles([a, copy], outPath, "test");
        var rng = new Random(6);
        var x = Enumerable.Range(0, 3 * cfg.InputChannels * cfg.InputHeight * cfg.InputWidth).Select(_ => (float)rng.NextDouble()).ToArray();
        var want = Outputs(a, x, 3);
        var got = Outputs(outPath, x, 3);
        for (int h = 0; h < want.Length; h++) Assert.Equal(want[h], got[h]);
    }

    [Fact]
    public void Models_of_different_architectures_or_runs_or_too_few_models_fail_clearly()
    {
        var cfg = TrainerTests.Tiny();
        string a = Export(cfg, "a", 1);
        string wider = Export(cfg with { HeadDim = 16 }, "wider", 2);
        string otherTeachers = Export(cfg, "other", 3, teacherHash: "cc");
        string outPath = Path.Combine(Dir, "avg.onnx");

        // Same manifests, weights of other shapes: named with the model and the first initializer that differs.
        var e = Assert.Throws<InvalidDataException>(() => WeightAveraging.AverageFiles([a, wider], outPath, "test"));
        Assert.Contains("wider.onnx: initializer", e.Message);
        string deeper = Export(cfg with { Blocks = 2 }, "deeper", 5);
        e = Assert.Throws<InvalidDataException>(() => WeightAveraging.Average([File.ReadAllBytes(a), File.ReadAllBytes(deeper)]));
        Assert.Contains("model 2: its graph", e.Message);
        e = Assert.Throws<InvalidDataException>(() => WeightAveraging.AverageFiles([a, otherTeachers], outPath, "test"));
        Assert.Contains("teachers", e.Message);
        Assert.False(File.Exists(outPath));

        string garbage = Path.Combine(Dir, "garbage.onnx");
        File.WriteAllBytes(garbage, [0xff, 0xff, 0xff, 0x01, 0x02]);
        File.Copy(StudentManifest.PathFor(a), StudentManifest.PathFor(garbage));
        e = Assert.Throws<InvalidDataException>(() => WeightAveraging.AverageFiles([a, garbage], outPath, "test"));
        Assert.Contains("garbage.onnx: not an ONNX model", e.Message);
        Assert.Equal(2, Program.Main(["average-weights", "--models", a, "--out", outPath]));
        Assert.Equal(2, Program.Main(["average-weights", "--models", $"{a},{Path.Combine(Dir, "missing.onnx")}", "--out", outPath]));
        Assert.False(File.Exists(outPath));
    }
}
