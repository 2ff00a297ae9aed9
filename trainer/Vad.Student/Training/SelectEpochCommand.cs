using System.Globalization;
using System.Text.Json;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Evaluation;
using Vad.Core.Frames;
using Vad.Core.Models;
using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Student.Scoring;

namespace Vad.Student.Training;

/// <summary>
/// <c>./vad select-epoch --run DIR --dataset DIR --clips 14,15,16</c>: model selection on training data only. Every
/// epoch exported by <c>train --export-epochs</c> scores the held-out normal training clips (negatives) and the same
/// clips played faster (positives: objects moving too fast, the teachers' own validation); the epoch with the highest
/// frame-level AUC is copied to <c>&lt;run&gt;/selected/student.onnx</c> (+ manifest), the table to selection.json.
/// </summary>
public static class SelectEpochCommand
{
    public const string Usage = """
        usage: ./vad select-epoch --run DIR --dataset DIR --clips 14,15,16 [--speedup 1.25] [--threads N]
          --clips     training clips the run held out (train --hold-out): never distilled on, no labels needed
          --speedup   positives: those clips played this much faster (default 1.25: every 5th frame dropped)
        Scores every <run>/epochs/epoch-NN.onnx; writes <run>/selection.json and <run>/selected/student.onnx (+ .json).
        """;

    public static int Run(string[] argv)
    {
        var args = new CommandArgs(argv, "help");
        if (args.Flag("help")) { Console.WriteLine(Usage); return 0; }
        string runDir = args.Require("run");
        var dataset = VideoDataset.Open(args.Require("dataset"));
        var clipNames = args.GetAll("clips");
        double speedup = args.GetDouble("speedup", 1.25);
        int threads = args.GetInt("threads", 0);
        args.RejectUnknown();
        if (clipNames.Count == 0) throw new CommandArgsException("--clips: name the held-out training clips");
        if (!(speedup > 1) || double.IsInfinity(speedup)) throw new CommandArgsException("--speedup must be a number > 1");
        var epochs = Directory.Exists(Path.Combine(runDir, "epochs"))
            ? Directory.GetFiles(Path.Combine(runDir, "epochs"), "epoch-*.onnx").Order(StringComparer.Ordinal).ToArray() : [];
        if (epochs.Length == 0) throw new FileNotFoundException($"no epoch exports in {Path.Combine(runDir, "epochs")} (train with --export-epochs)");
        var videos = clipNames.Select(n => dataset.Train.FirstOrDefault(v => v.Name == n) ?? throw new CommandArgsException($"--clips: no training clip {n}")).ToList();
        var manifest = StudentManifest.Load(StudentManifest.PathFor(epochs[0]));
        var cfg = StudentConfig.FromManifest(manifest);
        var clips = videos.Select(v => StudentInput.Decode(v, cfg)).ToList();
        var rows = new List<(string Epoch, double Auc, double LocalAuc, double CrowdCorrelation)>();
        var foreground = clips.Select(ForegroundFractions).ToList();
        foreach (var path in epochs)
        {
            using var session = new StudentSession(path, threads);
            var normal = NormalScores(session, clips, cfg);
            var d = Diagnostics(session, clips, cfg, foreground, normal);
            rows.Add((Path.GetFileNameWithoutExtension(path), Math.Round(ValidationAuc(session, clips, cfg, speedup, normal), 4), Math.Round(d.LocalAuc, 4), Math.Round(d.CrowdCorrelation, 4)));
            Console.WriteLine($"{rows[^1].Epoch}: AUC {rows[^1].Auc.ToString("0.0000", CultureInfo.InvariantCulture)} (held-out {string.Join(",", clipNames)} vs {speedup.ToString(CultureInfo.InvariantCulture)}x copies)"
                + $"; not used for selection: local AUC {rows[^1].LocalAuc.ToString("0.0000", CultureInfo.InvariantCulture)}, crowd correlation {rows[^1].CrowdCorrelation.ToString("0.000", CultureInfo.InvariantCulture)}");
        }
        // Highest AUC; ties go to the later epoch (more training at equal validation).
        int best = Enumerable.Range(0, rows.Count).OrderByDescending(i => rows[i].Auc).ThenByDescending(i => i).First();
        string selectedDir = Path.Combine(runDir, "selected");
        Directory.CreateDirectory(selectedDir);
        File.Copy(epochs[best], Path.Combine(selectedDir, "student.onnx"), overwrite: true);
        File.Copy(StudentManifest.PathFor(epochs[best]), Path.Combine(selectedDir, "student.json"), overwrite: true);
        File.WriteAllText(Path.Combine(runDir, "selection.json"), JsonSerializer.Serialize(new
        {
            rule = $"frame-level AUC: held-out training clips {string.Join(",", clipNames)} (normal) vs the same clips played {speedup.ToString(CultureInfo.InvariantCulture)}x faster",
            selected = rows[best].Epoch,
            epochs = rows.Select(r => new { epoch = r.Epoch, auc = r.Auc, local_auc = r.LocalAuc, crowd_correlation = r.CrowdCorrelation }),
            diagnostics = "not used for selection: local_auc = held-out clips vs their copies with only the top or only the bottom half "
                + "played 2x faster; crowd_correlation = Pearson correlation of the score with the foreground fraction "
                + "(|frame - per-pixel median of the clip| > 18) over the held-out normal frames (high: the score follows crowd size)",
        }, StudentConfig.Json));
        Console.WriteLine($"selected {rows[best].Epoch} (AUC {rows[best].Auc.ToString("0.0000", CultureInfo.InvariantCulture)}) -> {Path.Combine(selectedDir, "student.onnx")}");
        return 0;
    }

    /// <summary>
    /// Diagnostics recorded next to the selection AUC, not used by it: AUC of the clips against their half-frame 2x
    /// copies (a local too-fast object among normal ones), and the correlation of the normal frames' scores with their
    /// foreground fraction (a student that follows crowd size instead of anomalies scores crowded normal frames high).
    /// </summary>
    public static (double LocalAuc, double CrowdCorrelation) Diagnostics(StudentSession session, IReadOnlyList<ClipFrames> clips, StudentConfig cfg,
        IReadOnlyList<double[]> foreground, IReadOnlyList<float[]> normalScores)
    {
        var scores = new List<double>();
        var labels = new List<int>();
        var normalPooled = new List<double>();
        var normalForeground = new List<double>();
        for (int c = 0; c < clips.Count; c++)
        {
            var normal = normalScores[c];
            normalPooled.AddRange(normal.Select(v => (double)v));
            normalForeground.AddRange(foreground[c]);
            foreach (var region in new[] { SpeedRegion.Top, SpeedRegion.Bottom })
            {
                scores.AddRange(normal.Select(v => (double)v));
                labels.AddRange(Enumerable.Repeat(0, normal.Length));
                var s = ScoreCommand.ScoreClip(session, StudentInput.SpedUp(clips[c], 2, region), cfg, 32).Scores;
                scores.AddRange(s.Select(v => (double)v));
                labels.AddRange(Enumerable.Repeat(1, s.Length));
            }
        }
        return (FrameAuc.Compute(scores, labels) ?? double.NaN, Pearson(normalPooled, normalForeground));
    }

    /// <summary>Per frame: the fraction of pixels differing by more than 18 gray levels from the clip's per-pixel median (first channel).</summary>
    public static double[] ForegroundFractions(ClipFrames clip)
    {
        int n = clip.Width * clip.Height, ch = clip.Channels;
        var median = new byte[n];
        var column = new byte[clip.Frames.Count];
        for (int p = 0; p < n; p++)
        {
            for (int f = 0; f < column.Length; f++) column[f] = clip.Frames[f][p * ch];
            Array.Sort(column);
            median[p] = column[column.Length / 2];
        }
        return clip.Frames.Select(fr =>
        {
            int fg = 0;
            for (int p = 0; p < n; p++) if (Math.Abs(fr[p * ch] - median[p]) > 18) fg++;
            return (double)fg / n;
        }).ToArray();
    }

    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    /// <summary>Frame-level AUC of the student's frame scores: the clips (label 0) against their sped-up copies (label 1).</summary>
    public static double ValidationAuc(StudentSession session, IReadOnlyList<ClipFrames> clips, StudentConfig cfg, double speedup) =>
        ValidationAuc(session, clips, cfg, speedup, NormalScores(session, clips, cfg));

    /// <summary>As above, with the clips' own (label 0) scores already computed (<see cref="NormalScores"/>).</summary>
    public static double ValidationAuc(StudentSession session, IReadOnlyList<ClipFrames> clips, StudentConfig cfg, double speedup, IReadOnlyList<float[]> normalScores)
    {
        var scores = new List<double>();
        var labels = new List<int>();
        for (int c = 0; c < clips.Count; c++)
            foreach (var (s, label) in new[] { (normalScores[c], 0), (ScoreCommand.ScoreClip(session, StudentInput.SpedUp(clips[c], speedup), cfg, 32).Scores, 1) })
            {
                scores.AddRange(s.Select(v => (double)v));
                labels.AddRange(Enumerable.Repeat(label, s.Length));
            }
        return FrameAuc.Compute(scores, labels) ?? double.NaN;
    }

    /// <summary>The student's frame scores of each held-out clip as it is (the negatives of every validation).</summary>
    public static float[][] NormalScores(StudentSession session, IReadOnlyList<ClipFrames> clips, StudentConfig cfg) =>
        clips.Select(c => ScoreCommand.ScoreClip(session, c, cfg, 32).Scores).ToArray();
}
