using System.Text.Json;
using Vad.Cli;
using Vad.Core.Datasets;
using Vad.Core.Evaluation;
using Xunit;

namespace Vad.Core.Tests;

public class EvalSmoothingTests
{
    [Fact]
    public void SigmaZeroIsTheIdentity()
    {
        double[] x = [3, 1, 4, 1, 5];
        Assert.Equal(x, ScoreTransforms.GaussianSmooth(x, 0));
    }

    [Fact]
    public void ConstantSignalsStayConstantUpToTheEdges()
    {
        var y = ScoreTransforms.GaussianSmooth(Enumerable.Repeat(0.7, 25).ToArray(), 3);
        Assert.All(y, v => Assert.Equal(0.7, v, 12));
    }

    [Fact]
    public void MatchesTheTruncatedRenormalisedKernelByHand()
    {
        // sigma 0.5: radius ceil(4 * 0.5) = 2, weights w(j) = exp(-2 j^2): w0 = 1, w1 = e^-2, w2 = e^-8.
        double w1 = Math.Exp(-2), w2 = Math.Exp(-8);
        double[] x = [0, 0, 10, 0, 0, 0];
        var y = ScoreTransforms.GaussianSmooth(x, 0.5);
        double full = 1 + 2 * w1 + 2 * w2;
        Assert.Equal(10 / full, y[2], 12);
        Assert.Equal(10 * w1 / full, y[3], 12); // frames 1..5: the whole kernel fits
        // Near the edges the kernel is cut to the frames that exist and renormalised:
        Assert.Equal(10 * w2 / (1 + w1 + w2), y[0], 12);      // frames 0..2
        Assert.Equal(10 * w1 / (1 + 2 * w1 + w2), y[1], 12); // frames 0..3
        Assert.Equal(10 * w2 / (1 + 2 * w1 + w2), y[4], 12); // frames 2..5
        Assert.Equal(0, y[5], 12); // 3 frames away from the impulse: outside the truncated kernel
    }

    [Fact]
    public void IsNonCausalAndSymmetric()
    {
        var x = new double[41];
        x[20] = 1;
        var y = ScoreTransforms.GaussianSmooth(x, 2);
        for (int k = 1; k <= 8; k++) Assert.Equal(y[20 - k], y[20 + k], 14);
        Assert.True(y[19] > 0 && y[21] > 0);
        Assert.Equal(1.0, y.Sum(), 10); // interior impulse: mass is preserved
        Assert.Throws<ArgumentOutOfRangeException>(() => ScoreTransforms.GaussianSmooth(x, -1));
    }

    [Fact]
    public void MinMaxMapsToUnitRangeAndConstantToZero()
    {
        Assert.Equal([0.0, 1, 0.5, 0.25], ScoreTransforms.MinMax([2, 6, 4, 3]));
        Assert.Equal([0.0, 0, 0], ScoreTransforms.MinMax([5, 5, 5]));
        Assert.Empty(ScoreTransforms.MinMax([]));
    }
}

public class EvalProtocolTests
{
    private static readonly (string, int[])[] Videos =
    [
        ("a", [0, 0, 1, 1]),
        ("b", [1, 1, 1]),        // single class: excluded from macro
        ("c", [0, 1, 0, 1, 0]),
    ];

    [Fact]
    public void MacroExcludesSingleClassVideosAndSaysWhy()
    {
        var scores = new Dictionary<string, double[]>
        {
            ["a"] = [0.1, 0.2, 0.9, 0.8],     // AUC 1
            ["b"] = [0.0, 0.0, 0.0],          // would hurt micro, cannot be ranked within itself
            ["c"] = [0.5, 0.4, 0.3, 0.6, 0.1], // abn {0.4, 0.6} vs norm {0.5, 0.3, 0.1}: 2 + 3 = 5 of 6
        };
        var r = FrameLevelEvaluator.Evaluate(Videos, scores);
        Assert.Equal((1 + 5.0 / 6) / 2, r.MacroAuc!.Value, 12);
        Assert.Equal(["b"], r.MacroExcluded.ToArray());
        var b = r.PerVideo.Single(v => v.Video == "b");
        Assert.Null(b.Auc);
        Assert.Equal("all 3 frames abnormal: AUC undefined", b.ExcludedReason);
        Assert.Null(r.PerVideo.Single(v => v.Video == "a").ExcludedReason);
        // micro uses every frame, the excluded video included: check against the AUC of the concatenation.
        double[] all = [.. scores["a"], .. scores["b"], .. scores["c"]];
        int[] labels = [.. Videos[0].Item2, .. Videos[1].Item2, .. Videos[2].Item2];
        Assert.Equal(FrameAuc.Compute(all, labels)!.Value, r.MicroAuc!.Value, 12);
        Assert.Equal(12, r.Frames);
        Assert.Equal(7, r.AbnormalFrames);
    }

    [Fact]
    public void AllNormalVideoIsAlsoExcludedAndAllExcludedGivesNullMacro()
    {
        var r = FrameLevelEvaluator.Evaluate([("n", [0, 0]), ("p", [1, 1])],
            new Dictionary<string, double[]> { ["n"] = [0.1, 0.2], ["p"] = [0.5, 0.6] });
        Assert.Null(r.MacroAuc);
        Assert.Equal(1.0, r.MicroAuc);
        Assert.Equal("all 2 frames normal: AUC undefined", r.PerVideo[0].ExcludedReason);
        using var doc = JsonDocument.Parse(r.ToJson());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("macro_auc").ValueKind);
    }

    [Fact]
    public void SmoothingAndMinMaxAreAppliedPerVideoBeforeTheAuc()
    {
        // Video "c" has a one-frame spike on a normal frame; smoothing spreads the neighbours' evidence.
        var scores = new Dictionary<string, double[]> { ["a"] = [0, 0, 1, 1], ["b"] = [5, 5, 5], ["c"] = [0, 1, 0, 1, 0] };
        var raw = FrameLevelEvaluator.Evaluate(Videos, scores);
        var smooth = FrameLevelEvaluator.Evaluate(Videos, scores, new EvalOptions { Sigma = 1 });
        Assert.Equal(ScoreTransforms.GaussianSmooth(scores["c"], 1), smooth.PerVideo[2].Scores);
        Assert.Equal(1.0, raw.PerVideo[2].Auc);
        Assert.NotEqual(raw.PerVideo[2].Auc, smooth.PerVideo[2].Auc);
        // Per-video min-max maps video b's constant 5 (its frames are abnormal) to 0, which changes the micro AUC.
        var mm = FrameLevelEvaluator.Evaluate(Videos, scores, new EvalOptions { MinMax = true });
        Assert.Equal([0.0, 0, 0], mm.PerVideo[1].Scores);
        int[] labels = [0, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0];
        Assert.Equal(FrameAuc.Compute([0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 0], labels), mm.MicroAuc);
        Assert.Equal(FrameAuc.Compute([0, 0, 1, 1, 5, 5, 5, 0, 1, 0, 1, 0], labels), raw.MicroAuc);
        Assert.NotEqual(raw.MicroAuc, mm.MicroAuc);
        Assert.True(mm.Minmax);
        Assert.Equal(1, smooth.Sigma);
    }

    [Fact]
    public void CountMismatchAndMissingVideoAreErrorsNamingTheVideo()
    {
        var e = Assert.Throws<EvaluationException>(() => FrameLevelEvaluator.Evaluate(Videos,
            new Dictionary<string, double[]> { ["a"] = [0, 0, 1], ["b"] = [1, 1, 1], ["c"] = [0, 1, 0, 1, 0] }));
        Assert.Contains("'a'", e.Message);
        Assert.Contains("3 scores but 4", e.Message);
        e = Assert.Throws<EvaluationException>(() => FrameLevelEvaluator.Evaluate(Videos,
            new Dictionary<string, double[]> { ["a"] = [0, 0, 1, 1], ["c"] = [0, 1, 0, 1, 0] }));
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void JsonHasTheDocumentedFields()
    {
        var r = FrameLevelEvaluator.Evaluate(Videos, new Dictionary<string, double[]>
            { ["a"] = [0, 0, 1, 1], ["b"] = [1, 1, 1], ["c"] = [0, 1, 0, 1, 0] }, new EvalOptions { Sigma = 2 }, "ds", "sc");
        using var doc = JsonDocument.Parse(r.ToJson());
        var root = doc.RootElement;
        foreach (string field in new[] { "micro_auc", "macro_auc", "sigma", "minmax", "per_video", "macro_excluded", "dataset", "scores", "created_utc" })
            Assert.True(root.TryGetProperty(field, out _), field);
        Assert.Equal(2, root.GetProperty("sigma").GetDouble());
        var b = root.GetProperty("per_video")[1];
        Assert.Equal("b", b.GetProperty("video").GetString());
        Assert.Equal(3, b.GetProperty("frames").GetInt32());
        Assert.Equal(3, b.GetProperty("abnormal").GetInt32());
        Assert.Equal(JsonValueKind.Null, b.GetProperty("auc").ValueKind);
        Assert.Contains("abnormal", b.GetProperty("excluded_reason").GetString());
    }
}

/// <summary>`./vad eval` through the command's own code path, on the real Ped2 labels.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vad-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement ReadJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Ped2LabelsAsScoresGiveOneAndInvertedGiveZero()
    {
        string ped2 = Ped2Location.Require();
        string json = Path.Combine(_dir, "OUT.json");
        Assert.Equal(0, EvalCommand.Run(["--dataset", ped2, "--scores", Path.Combine(ped2, "testing", "labels"), "--json", json]));
        var root = ReadJson(json);
        Assert.Equal(1.0, root.GetProperty("micro_auc").GetDouble());
        Assert.Equal(1.0, root.GetProperty("macro_auc").GetDouble());
        Assert.Equal(["08", "09", "10", "11"], root.GetProperty("macro_excluded").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(12, root.GetProperty("per_video").GetArrayLength());
        Assert.Equal(2010, root.GetProperty("per_video").EnumerateArray().Sum(v => v.GetProperty("frames").GetInt32()));
        Assert.Equal(1648, root.GetProperty("per_video").EnumerateArray().Sum(v => v.GetProperty("abnormal").GetInt32()));
        // The labels folder is inside the (read-only) dataset: plots went next to the JSON.
        Assert.Equal(12, Directory.GetFiles(Path.Combine(_dir, "OUT-plots"), "*.png").Length);
        Assert.False(Directory.Exists(Path.Combine(ped2, "testing", "labels", "plots")));

        string inverted = Path.Combine(_dir, "inverted");
        foreach (var v in VideoDataset.Open(ped2).Test)
            ScoresFolder.Write(inverted, v.Name, v.Labels!.Select(l => 1.0 - l));
        string json2 = Path.Combine(_dir, "INV.json");
        string plots = Path.Combine(_dir, "plots2");
        Assert.Equal(0, EvalCommand.Run(["--dataset", ped2, "--scores", inverted, "--json", json2, "--plots", plots]));
        Assert.Equal(0.0, ReadJson(json2).GetProperty("micro_auc").GetDouble());
        Assert.Equal(0.0, ReadJson(json2).GetProperty("macro_auc").GetDouble());
        var png = File.ReadAllBytes(Path.Combine(plots, "01.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

        // --sigma applies the smoothing: a one-frame false alarm (normal frame 10 of clip 01 scored 1) ties with the
        // 1648 abnormal frames unsmoothed (AUC 1 - 0.5/362); sigma 3 flattens it below every abnormal frame.
        string spiky = Path.Combine(_dir, "spiky");
        foreach (var v in VideoDataset.Open(ped2).Test)
            ScoresFolder.Write(spiky, v.Name, v.Labels!.Select((l, k) => v.Name == "01" && k == 10 ? 1.0 : l));
        string raw = Path.Combine(_dir, "R.json"), smooth = Path.Combine(_dir, "S.json");
        Assert.Equal(0, EvalCommand.Run(["--dataset", ped2, "--scores", spiky, "--json", raw, "--no-plots"]));
        Assert.Equal(0, EvalCommand.Run(["--dataset", ped2, "--scores", spiky, "--json", smooth, "--sigma", "3", "--no-plots"]));
        Assert.Equal(1 - 0.5 / 362, ReadJson(raw).GetProperty("micro_auc").GetDouble(), 12);
        Assert.Equal(3, ReadJson(smooth).GetProperty("sigma").GetDouble());
        Assert.Equal(1.0, ReadJson(smooth).GetProperty("micro_auc").GetDouble(), 12);
    }

    [Fact]
    public void BadInputsExitNonZero()
    {
        string ped2 = Ped2Location.Require();
        string labels = Path.Combine(ped2, "testing", "labels");
        Assert.Equal(2, EvalCommand.Run(["--scores", labels]));
        Assert.Equal(2, EvalCommand.Run(["--dataset", ped2, "--scores", labels, "--bogus", "1"]));
        Assert.Equal(2, EvalCommand.Run(["--dataset", ped2, "--scores", labels, "--sigma", "abc"]));
        Assert.Equal(2, EvalCommand.Run(["--dataset", ped2, "--scores", labels, "--sigma", "-1"]));
        Assert.Equal(2, EvalCommand.Run(["--dataset", ped2, "--scores", labels, "--split", "train"]));
        Assert.Equal(2, EvalCommand.Run(["--dataset", Path.Combine(_dir, "none"), "--scores", labels]));
        Assert.Equal(2, EvalCommand.Run(["--dataset", ped2, "--scores", Path.Combine(_dir, "none")]));

        string shortScores = Path.Combine(_dir, "short");
        foreach (var v in VideoDataset.Open(ped2).Test)
            ScoresFolder.Write(shortScores, v.Name, v.Labels!.Skip(v.Name == "05" ? 1 : 0).Select(l => (double)l));
        Assert.Equal(2, EvalCommand.Run(["--dataset", ped2, "--scores", shortScores, "--no-plots"]));
        File.Delete(Path.Combine(shortScores, "05.txt"));
        Assert.Equal(2, EvalCommand.Run(["--dataset", ped2, "--scores", shortScores, "--no-plots"]));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void DefaultPlotFolderIsBesideWritableScoresOnly()
    {
        string scores = Directory.CreateDirectory(Path.Combine(_dir, "scores")).FullName;
        Assert.Equal(Path.Combine(scores, "plots"), EvalCommand.DefaultPlotFolder(scores, Path.Combine(_dir, "dataset"), null, out _));

        File.SetUnixFileMode(scores, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            Assert.Null(EvalCommand.DefaultPlotFolder(scores, Path.Combine(_dir, "dataset"), null, out string? note));
            Assert.Contains("not writable", note);
            Assert.Equal(Path.Combine(_dir, "r-plots"), EvalCommand.DefaultPlotFolder(scores, Path.Combine(_dir, "dataset"), Path.Combine(_dir, "r.json"), out _));
        }
        finally
        {
            File.SetUnixFileMode(scores, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        // Never inside the dataset, even when writable.
        Assert.Null(EvalCommand.DefaultPlotFolder(scores, _dir, null, out string? inside));
        Assert.Contains("inside the dataset", inside);
    }
}
