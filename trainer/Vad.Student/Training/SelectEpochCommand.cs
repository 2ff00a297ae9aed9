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
        var rows = new List<(string Epoch, double Auc)>();
        foreach (var path in epochs)
        {
            using var session = new StudentSession(path, threads);
            rows.Add((Path.GetFileNameWithoutExtension(path), Math.Round(ValidationAuc(session, clips, cfg, speedup), 4)));
            Console.WriteLine($"{rows[^1].Epoch}: AUC {rows[^1].Auc.ToString("0.0000", CultureInfo.InvariantCulture)} (held-out {string.Join(",", clipNames)} vs {speedup.ToString(CultureInfo.InvariantCulture)}x copies)");
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
            epochs = rows.Select(r => new { epoch = r.Epoch, auc = r.Auc }),
        }, StudentConfig.Json));
        Console.WriteLine($"selected {rows[best].Epoch} (AUC {rows[best].Auc.ToString("0.0000", CultureInfo.InvariantCulture)}) -> {Path.Combine(selectedDir, "student.onnx")}");
        return 0;
    }

    /// <summary>Frame-level AUC of the student's frame scores: the clips (label 0) against their sped-up copies (label 1).</summary>
    public static double ValidationAuc(StudentSession session, IReadOnlyList<ClipFrames> clips, StudentConfig cfg, double speedup)
    {
        var scores = new List<double>();
        var labels = new List<int>();
        foreach (var clip in clips)
            foreach (var (copy, label) in new[] { (clip, 0), (StudentInput.SpedUp(clip, speedup), 1) })
            {
                var s = ScoreCommand.ScoreClip(session, copy, cfg, 32).Scores;
                scores.AddRange(s.Select(v => (double)v));
                labels.AddRange(Enumerable.Repeat(label, s.Length));
            }
        return FrameAuc.Compute(scores, labels) ?? double.NaN;
    }
}
