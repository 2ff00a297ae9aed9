using System.Text.Json;
using Vad.Core.Datasets;
using Vad.Core.Models;
using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Student.Training;
using Xunit;

namespace Vad.Student.Tests;

/// <summary>Epoch selection on held-out training clips against their sped-up copies (no test data).</summary>
public sealed class SelectEpochTests() : Vad.Testing.TempDirectoryTest("vad-select-")
{
    /// <summary>A Ped2-layout dataset with 20 real frames of training clip 14 and of test clip 01 (whose labels the layout requires).</summary>
    private string Dataset()
    {
        string ped2 = KnownDatasets.FindPed2() ?? throw new DirectoryNotFoundException("UCSD Ped2 not found");
        string root = Path.Combine(Dir, "ds");
        foreach (var (split, clip) in new[] { ("training", "14"), ("testing", "01") })
        {
            string to = Path.Combine(root, split, "frames", clip);
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(Path.Combine(ped2, split, "frames", clip), "*.jpg").Order(StringComparer.Ordinal).Take(20))
                File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }
        string labels = Path.Combine(root, "testing", "labels");
        Directory.CreateDirectory(labels);
        File.WriteAllLines(Path.Combine(labels, "01.txt"), File.ReadLines(Path.Combine(ped2, "testing", "labels", "01.txt")).Take(20));
        return root;
    }

    /// <summary>Exports epochs 1..<paramref name="count"/> of a run: tiny students whose norms are randomised with seeds
    /// <paramref name="seed"/> + epoch, so that they score differently.</summary>
    private static void ExportEpochs(StudentConfig cfg, string run, int count, int seed)
    {
        for (int e = 1; e <= count; e++)
        {
            using var net = new StudentNetwork(cfg);
            ModelTests.RandomiseNorms(net, seed + e);
            TrainCommand.Export(net, TrainCommand.EpochExportPath(run, e), null, null);
        }
    }

    [Fact]
    public void The_epoch_that_best_separates_held_out_clips_from_their_sped_up_copies_is_selected()
    {
        var cfg = TrainerTests.Tiny();
        string run = Path.Combine(Dir, "run");
        ExportEpochs(cfg, run, 3, seed: 0);
        string dataset = Dataset();
        Assert.Equal(0, SelectEpochCommand.Run(["--run", run, "--dataset", dataset, "--clips", "14", "--threads", "1"]));

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "selection.json")));
        var rows = doc.RootElement.GetProperty("epochs").EnumerateArray()
            .Select(r => (Epoch: r.GetProperty("epoch").GetString()!, Auc: r.GetProperty("auc").GetDouble())).ToList();
        Assert.Equal(["epoch-01", "epoch-02", "epoch-03"], rows.Select(r => r.Epoch).ToArray());
        Assert.All(rows, r => Assert.InRange(r.Auc, 0, 1));
        Assert.All(doc.RootElement.GetProperty("epochs").EnumerateArray(), r => Assert.InRange(r.GetProperty("local_auc").GetDouble(), 0, 1));
        // Recompute one AUC independently of the command.
        var clip = StudentInput.Decode(VideoDataset.Open(dataset).Train.Single(), cfg);
        using (var s = new StudentSession(TrainCommand.EpochExportPath(run, 2), 1))
            Assert.Equal(Math.Round(SelectEpochCommand.ValidationAuc(s, [clip], cfg, 1.25), 4), rows[1].Auc, 6);
        var best = rows.OrderByDescending(r => r.Auc).ThenByDescending(r => r.Epoch, StringComparer.Ordinal).First();
        Assert.Equal(best.Epoch, doc.RootElement.GetProperty("selected").GetString());
        string selected = Path.Combine(run, "selected", "student.onnx");
        Assert.Equal(File.ReadAllBytes(Path.Combine(run, "epochs", best.Epoch + ".onnx")), File.ReadAllBytes(selected));
        Assert.Equal(StudentManifest.HashFile(selected), StudentManifest.Load(StudentManifest.PathFor(selected)).Version);
    }

    [Fact]
    public void Over_several_runs_the_best_eligible_epoch_is_selected_and_the_crowd_filter_excludes_epochs()
    {
        var cfg = TrainerTests.Tiny();
        string runA = Path.Combine(Dir, "a"), runB = Path.Combine(Dir, "b");
        ExportEpochs(cfg, runA, 2, seed: 0);
        ExportEpochs(cfg, runB, 2, seed: 2);
        string dataset = Dataset();
        string outDir = Path.Combine(Dir, "out");
        Assert.Equal(0, SelectEpochCommand.Run(["--run", $"{runA},{runB}", "--dataset", dataset, "--clips", "14", "--threads", "1", "--out", outDir]));
        var rows = new[] { runA, runB }.SelectMany(run =>
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "selection.json")));
            return doc.RootElement.GetProperty("epochs").EnumerateArray().Select(r => (Run: run, Epoch: r.GetProperty("epoch").GetString()!,
                Auc: r.GetProperty("auc").GetDouble(), Crowd: r.GetProperty("crowd_correlation").GetDouble())).ToList();
        }).ToList();
        Assert.Equal(4, rows.Count);
        var best = rows.OrderByDescending(r => r.Auc).First();
        Assert.Equal(File.ReadAllBytes(Path.Combine(best.Run, "epochs", best.Epoch + ".onnx")), File.ReadAllBytes(Path.Combine(outDir, "student.onnx")));

        // A threshold just below the best epoch's crowd correlation makes it (and every epoch above it) ineligible.
        double threshold = best.Crowd - 1e-4;
        var eligible = rows.Where(r => r.Crowd <= threshold).ToList();
        Assert.Equal(0, SelectEpochCommand.Run(["--run", $"{runA},{runB}", "--dataset", dataset, "--clips", "14", "--threads", "1", "--out", outDir,
            "--max-crowd-correlation", threshold.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
        var expected = eligible.Count > 0 ? eligible.OrderByDescending(r => r.Auc).First() : best;
        Assert.Equal(File.ReadAllBytes(Path.Combine(expected.Run, "epochs", expected.Epoch + ".onnx")), File.ReadAllBytes(Path.Combine(outDir, "student.onnx")));
        if (eligible.Count > 0) Assert.NotEqual((best.Run, best.Epoch), (expected.Run, expected.Epoch));
        using var selection = JsonDocument.Parse(File.ReadAllText(Path.Combine(runB, "selection.json")));
        Assert.Contains("crowd_correlation <=", selection.RootElement.GetProperty("rule").GetString());
    }

    [Fact]
    public void With_local_pseudo_anomalies_the_epoch_that_best_finds_the_altered_frames_is_selected()
    {
        var cfg = TrainerTests.Tiny();
        string run = Path.Combine(Dir, "run");
        ExportEpochs(cfg, run, 3, seed: 10);
        string dataset = Dataset();
        // A make-local style pseudo clip of training clip 14 (real frames of another clip stand for the altered ones),
        // its first and last 3 frames context.
        // Writes a make-local style pseudo clip: the frames of another clip and one label per frame.
        (string Frames, string Labels) PseudoClip(string name, string framesFrom, Func<int, string> label)
        {
            string frames = Path.Combine(dataset, "training", "frames", name);
            Directory.CreateDirectory(frames);
            foreach (var f in Directory.GetFiles(framesFrom)) File.Copy(f, Path.Combine(frames, Path.GetFileName(f)));
            string labelsPath = PseudoAnomalyLabels.PathFor(dataset, name);
            Directory.CreateDirectory(Path.GetDirectoryName(labelsPath)!);
            File.WriteAllLines(labelsPath, Enumerable.Range(0, 20).Select(label));
            return (frames, labelsPath);
        }
        var (pseudo, labels) = PseudoClip("14-speed-1", Path.Combine(dataset, "testing", "frames", "01"), i => i is < 3 or >= 17 ? "-" : "1");

        Assert.Equal(0, SelectEpochCommand.Run(["--run", run, "--dataset", dataset, "--clips", "14", "--local", dataset, "--threads", "1"]));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "selection.json")));
        var rows = doc.RootElement.GetProperty("epochs").EnumerateArray()
            .Select(r => (Epoch: r.GetProperty("epoch").GetString()!, InContext: r.GetProperty("in_context_auc").GetDouble())).ToList();
        Assert.All(rows, r => Assert.InRange(r.InContext, 0, 1));
        Assert.Contains("in-context pseudo-anomaly clips", doc.RootElement.GetProperty("rule").GetString());
        var best = rows.OrderByDescending(r => r.InContext).ThenByDescending(r => r.Epoch, StringComparer.Ordinal).First();
        Assert.Equal(best.Epoch, doc.RootElement.GetProperty("selected").GetString());
        // Recompute one AUC by hand: the 20 normal frames against the 14 counted frames of the pseudo clip.
        var ds = VideoDataset.Open(dataset);
        var normalClip = StudentInput.Decode(ds.Train.Single(v => v.Name == "14"), cfg);
        var altered = StudentInput.Decode(ds.Train.Single(v => v.Name == "14-speed-1"), cfg);
        using (var s = new StudentSession(TrainCommand.EpochExportPath(run, 2), 1))
        {
            var normal = Vad.Student.Scoring.ScoreCommand.ScoreClip(s, normalClip, cfg, 32).Scores;
            var abnormal = Vad.Student.Scoring.ScoreCommand.ScoreClip(s, altered, cfg, 32).Scores.Skip(3).Take(14);
            double expected = Vad.Core.Evaluation.FrameAuc.Compute([.. normal.Concat(abnormal).Select(v => (double)v)],
                [.. Enumerable.Repeat(0, normal.Length).Concat(Enumerable.Repeat(1, 14))]) ?? double.NaN;
            Assert.Equal(Math.Round(expected, 4), rows[1].InContext, 6);

            // A second kind: each kind's AUC is against the same negatives; the criterion pools both.
            var (flip, flipLabels) = PseudoClip("14-flip-1", Path.Combine(dataset, "training", "frames", "14"), i => i < 10 ? "1" : "0");
            var pseudo2 = SelectEpochCommand.InContextClips(dataset, ["14"], cfg);
            var (all, byKind) = SelectEpochCommand.InContextAucs(s, pseudo2, cfg, [normal]);
            Assert.Equal(["flip", "speed"], byKind.Keys);
            Assert.Equal(expected, byKind["speed"], 9);
            // Its "altered" frames are clip 14's frames 0-9 as filmed, its 0-labelled 10-19 join the negatives.
            double flipExpected = Vad.Core.Evaluation.FrameAuc.Compute([.. normal.Concat(normal).Select(v => (double)v)],
                [.. Enumerable.Repeat(0, normal.Length).Concat(Enumerable.Repeat(1, 10)).Concat(Enumerable.Repeat(0, 10))]) ?? double.NaN;
            Assert.Equal(flipExpected, byKind["flip"], 9);
            double pooled = Vad.Core.Evaluation.FrameAuc.Compute([.. normal.Concat(abnormal).Concat(normal).Select(v => (double)v)],
                [.. Enumerable.Repeat(0, normal.Length).Concat(Enumerable.Repeat(1, 14)).Concat(Enumerable.Repeat(1, 10)).Concat(Enumerable.Repeat(0, 10))]) ?? double.NaN;
            Assert.Equal(pooled, all, 9);
            Directory.Delete(flip, true);
            File.Delete(flipLabels);
        }
        Assert.Equal("flip", SelectEpochCommand.KindOf("14-flip-3"));
        Assert.Equal("odd", SelectEpochCommand.KindOf("odd"));
        // A pseudo clip without labels, or a held-out clip without pseudo clips, is refused with the reason.
        File.Delete(labels);
        var missing = Assert.Throws<Vad.Core.Cli.CommandArgsException>(() => SelectEpochCommand.Run(["--run", run, "--dataset", dataset, "--clips", "14", "--local", dataset, "--threads", "1"]));
        Assert.Contains("14-speed-1.txt", missing.Message);
        Directory.Delete(pseudo, true);
        var none = Assert.Throws<Vad.Core.Cli.CommandArgsException>(() => SelectEpochCommand.Run(["--run", run, "--dataset", dataset, "--clips", "14", "--local", dataset, "--threads", "1"]));
        Assert.Contains("make-local", none.Message);
    }

    [Fact]
    public void Foreground_fraction_counts_pixels_away_from_the_clips_median_and_pearson_is_exact()
    {
        // 9 frames of 10 pixels, background 100; the last four have 1-4 pixels at 200 (the per-pixel median stays
        // 100); every frame has one pixel off by only 10
        var frames = new[] { 0, 0, 0, 0, 0, 1, 2, 3, 4 }.Select(k =>
        {
            var f = Enumerable.Repeat((byte)100, 10).ToArray();
            for (int p = 0; p < k; p++) f[p] = 200;
            f[9] = 110;
            return f;
        }).ToList();
        var fg = SelectEpochCommand.ForegroundFractions(new ClipFrames("c", 10, 1, 1, frames));
        Assert.Equal(new[] { 0, 0, 0, 0, 0, 0.1, 0.2, 0.3, 0.4 }, fg.Select(v => Math.Round(v, 9)).ToArray());
        Assert.Equal(1.0, SelectEpochCommand.Pearson([1, 2, 3], [2, 4, 6]), 9);
        Assert.Equal(-1.0, SelectEpochCommand.Pearson([1, 2, 3], [3, 2, 1]), 9);
        Assert.True(double.IsNaN(SelectEpochCommand.Pearson([1, 1, 1], [1, 2, 3])));
    }

    [Fact]
    public void Without_epoch_exports_or_clips_the_command_says_what_is_missing()
    {
        string dataset = Dataset();
        Assert.Throws<FileNotFoundException>(() => SelectEpochCommand.Run(["--run", Path.Combine(Dir, "none"), "--dataset", dataset, "--clips", "14"]));
        Assert.Throws<Vad.Core.Cli.CommandArgsException>(() => SelectEpochCommand.Run(["--run", Dir, "--dataset", dataset]));
        Assert.Throws<Vad.Core.Cli.CommandArgsException>(() => SelectEpochCommand.Run(["--run", Dir, "--dataset", dataset, "--clips", "14", "--max-crowd-correlation", "2"]));
    }
}
