using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Teachers;

namespace Vad.Teachers;

/// <summary>
/// <c>vad teachers validate-local</c>: frame-level AUC of the teachers, as configured, on training clips (negatives: every
/// frame as filmed) against the same clips with one object at a time made abnormal in place
/// (<see cref="InContextPseudoAnomalies"/>; positives: the altered frames). Training data only.
/// </summary>
public static class LocalValidation
{
    public const string Usage = "usage: vad teachers validate-local --dataset DIR --clips 14,15,16 [--models DIR] [--per-clip 6] [--edges yes|no (also alter objects touching the frame edge; default no)] [--kinds speed,flip,glide,crowd,stretch,ride (default speed,flip)] [--json FILE] [--png DIR (the middle altered frame of each clip's first segment of each kind)]";

    public static int Run(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), models = a.GetOr("models", Program.DefaultModels);
        var clipNames = a.GetAll("clips");
        int perClip = a.GetInt("per-clip", 6);
        string? json = a.Get("json");
        string? png = a.Get("png");
        bool edges = a.GetYesNo("edges") ?? false;
        var kinds = Program.KindsOption(a, "kinds");
        a.RejectUnknown();
        if (clipNames.Count == 0) throw new CommandArgsException("--clips is required (training clips, e.g. 14,15,16)\n" + Usage);
        if (perClip < 1) throw new CommandArgsException("--per-clip must be >= 1");
        var clips = Clips.List(dataset, "train", clipNames.ToList()); // fails on a clip it does not have
        Vad.Torch.TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(2);
        using var teachers = TeacherModels.Load(models);
        using var detector = DetectorFactory.Create(teachers.Config.Detector, models);
        using var wholeObjects = TeacherValidation.WholeObjectDetector(detector);
        var scorer = new TeacherScorer(teachers, detector);
        // Frame scores of both teachers per clip: every filmed frame, and the counted frames of each kind.
        var normal = new List<(string Clip, double T1, double T2)>();
        var altered = kinds.ToDictionary(k => k, _ => new List<(string Clip, double T1, double T2)>());
        Program.ProgressBar().Start(ctx =>
        {
            var task = ctx.AddTask("local pseudo-anomalies (clips)", maxValue: clips.Count);
            foreach (var clip in clips)
            {
                var frames = Clips.LoadGray(clip);
                try
                {
                    foreach (var fo in scorer.ScoreFrames(frames, true, true)) normal.Add((clip.Name, TeacherScorer.FrameScore(fo.T1), TeacherScorer.FrameScore(fo.T2)));
                    foreach (var (seg, n) in InContextPseudoAnomalies.MakeEveryKind(clip.Name, frames, wholeObjects, perClip, edges, kinds))
                        using (seg)
                        {
                            if (png is not null && n == 0) WritePng(png, seg);
                            var scored = scorer.ScoreFrames(seg.Frames, true, true);
                            for (int i = 0; i < scored.Length; i++)
                                if (seg.Abnormal[i] == true) altered[seg.Kind].Add((clip.Name, TeacherScorer.FrameScore(scored[i].T1), TeacherScorer.FrameScore(scored[i].T2)));
                        }
                }
                finally { foreach (var f in frames) f.Dispose(); }
                task.Increment(1);
            }
        });
        var result = new Dictionary<string, object>
        {
            ["command"] = "./vad teachers validate-local " + string.Join(' ', argv),
            ["models"] = Path.GetFullPath(models),
            ["t1_weights_sha256"] = TeacherModels.WeightsHash(models, "t1"),
            ["t2_weights_sha256"] = TeacherModels.WeightsHash(models, "t2"),
            ["machine"] = Bench.Machine,
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
            ["normal_frames"] = normal.Count,
        };
        Console.WriteLine($"{"kind",-8} {"clips",-12} {"altered",8} {"T1 AUC",8} {"T2 AUC",8}");
        foreach (var kind in kinds)
        {
            string k = kind.ToString().ToLowerInvariant();
            result[$"{k}_frames"] = altered[kind].Count;
            foreach (var scope in clipNames.Select(c => (Name: c, Clips: new[] { c })).Prepend((Name: "all", Clips: clipNames.ToArray())))
            {
                var neg = normal.Where(n => scope.Clips.Contains(n.Clip)).ToList();
                var pos = altered[kind].Where(n => scope.Clips.Contains(n.Clip)).ToList();
                double t1 = Auc(neg.Select(n => n.T1), pos.Select(p => p.T1)), t2 = Auc(neg.Select(n => n.T2), pos.Select(p => p.T2));
                string suffix = scope.Name == "all" ? "" : "_" + scope.Name;
                result[$"t1_{k}_auc{suffix}"] = Math.Round(t1, 4);
                result[$"t2_{k}_auc{suffix}"] = Math.Round(t2, 4);
                Console.WriteLine($"{k,-8} {scope.Name,-12} {pos.Count,8} {t1,8:F4} {t2,8:F4}");
            }
        }
        foreach (var t in new[] { "t1", "t2" })
            result[$"{t}_mean_auc"] = Math.Round(kinds.Average(k => (double)result[$"{t}_{k.ToString().ToLowerInvariant()}_auc"]), 4);
        Console.WriteLine($"mean over kinds: T1 {result["t1_mean_auc"]}, T2 {result["t2_mean_auc"]}");
        if (json is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            File.WriteAllText(json, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }

    private static void WritePng(string dir, PseudoAnomalySegment seg)
    {
        var counted = Enumerable.Range(0, seg.Frames.Length).Where(i => seg.Abnormal[i] == true).ToList();
        if (counted.Count == 0) return;
        int i = counted[counted.Count / 2];
        Directory.CreateDirectory(dir);
        OpenCvSharp.Cv2.ImWrite(Path.Combine(dir, $"{seg.Clip}-{seg.Kind.ToString().ToLowerInvariant()}-frame{seg.FirstFrame + i:000}.png"), seg.Frames[i]);
    }

    private static double Auc(IEnumerable<double> negatives, IEnumerable<double> positives)
    {
        var n = negatives.ToList();
        var p = positives.ToList();
        return n.Count == 0 || p.Count == 0 ? double.NaN
            : TeacherValidation.Auc([.. n, .. p], [.. n.Select(_ => 0), .. p.Select(_ => 1)]);
    }
}
