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
/// <c>./vad select-epoch --run DIR[,DIR...] --dataset DIR --clips 14,15,16</c>: model selection on training data only.
/// Every epoch exported by <c>train --export-epochs</c> scores the held-out normal training clips (negatives) and the
/// same clips played faster (positives: objects moving too fast, the teachers' own validation); the epoch with the
/// highest frame-level AUC - over all the runs named, among the epochs whose normal-frame scores do not follow crowd
/// size beyond <c>--max-crowd-correlation</c> when given - is copied to <c>selected/student.onnx</c> (+ manifest) of the
/// first run (or <c>--out</c>), each run's table to its selection.json. With <c>--local DIR</c> the positives are instead
/// the altered frames of the held-out clips' in-context pseudo-anomalies (<c>./vad teachers make-local</c>: one object
/// sped up or turned upside down among normal ones, the teachers' own validation since v18).
/// </summary>
public static class SelectEpochCommand
{
    public const string Usage = """
        usage: ./vad select-epoch --run DIR[,DIR...] --dataset DIR --clips 14,15,16 [--speedup 1.25] [--local DIR]
                                  [--max-crowd-correlation C] [--out DIR] [--threads N]
          --run       one run folder, or several (trained on the same held-out clips): the best epoch over all of them
          --clips     training clips the runs held out (train --hold-out): never distilled on, no labels needed
          --speedup   positives: those clips played this much faster (default 1.25: every 5th frame dropped)
          --local     positives instead: the altered frames of the clips' in-context pseudo-anomaly clips in DIR
                      (./vad teachers make-local --clips 14,15,16 --out DIR); the sped-up AUC is still recorded
          --max-crowd-correlation
                      epochs whose scores on the held-out normal frames correlate with their foreground fraction above
                      C are not eligible (a normal frame's score must not rise with the number of people in it)
          --out       folder for the selected student.onnx (+ .json); default <first run>/selected
        Scores every <run>/epochs/epoch-NN.onnx; writes <run>/selection.json per run and the selected model.
        """;

    private sealed record EpochRow(string Run, string Path, string Epoch, double Auc, double LocalAuc, double CrowdCorrelation, double? InContextAuc,
        Dictionary<string, double>? InContextByKind)
    {
        /// <summary>What the selection ranks by: the in-context AUC when there is one, else the sped-up copies' AUC.</summary>
        public double Criterion => InContextAuc ?? Auc;
    }

    public static int Run(string[] argv)
    {
        var args = new CommandArgs(argv, "help");
        if (args.Flag("help")) { Console.WriteLine(Usage); return 0; }
        var runDirs = args.GetAll("run").ToList();
        var dataset = VideoDataset.Open(args.Require("dataset"));
        var clipNames = args.GetAll("clips");
        double speedup = args.GetDouble("speedup", 1.25);
        double? maxCrowd = args.Has("max-crowd-correlation") ? args.GetDouble("max-crowd-correlation", 1) : null;
        int threads = args.GetInt("threads", 0);
        string? outDir = args.Get("out");
        string? localDir = args.Get("local");
        args.RejectUnknown();
        if (runDirs.Count == 0) throw new CommandArgsException("--run: name the run folder(s)");
        if (clipNames.Count == 0) throw new CommandArgsException("--clips: name the held-out training clips");
        if (!(speedup > 1) || double.IsInfinity(speedup)) throw new CommandArgsException("--speedup must be a number > 1");
        if (maxCrowd is { } mc && !(mc is >= -1 and <= 1)) throw new CommandArgsException("--max-crowd-correlation must be in [-1, 1]");
        var epochsByRun = runDirs.Select(runDir =>
        {
            var found = Directory.Exists(Path.Combine(runDir, "epochs"))
                ? Directory.GetFiles(Path.Combine(runDir, "epochs"), "epoch-*.onnx").Order(StringComparer.Ordinal).ToArray() : [];
            if (found.Length == 0) throw new FileNotFoundException($"no epoch exports in {Path.Combine(runDir, "epochs")} (train with --export-epochs)");
            return (Run: runDir, Epochs: found);
        }).ToList();
        var videos = clipNames.Select(n => dataset.Train.FirstOrDefault(v => v.Name == n) ?? throw new CommandArgsException($"--clips: no training clip {n}")).ToList();
        var cfg = StudentConfig.FromManifest(StudentManifest.Load(StudentManifest.PathFor(epochsByRun[0].Epochs[0])));
        foreach (var (run, found) in epochsByRun.Skip(1))
        {
            var other = StudentConfig.FromManifest(StudentManifest.Load(StudentManifest.PathFor(found[0])));
            if ((other.InputWidth, other.InputHeight, other.Channels, other.Frames, other.StrideT) != (cfg.InputWidth, cfg.InputHeight, cfg.Channels, cfg.Frames, cfg.StrideT))
                throw new CommandArgsException($"--run: {run} takes {other.InputWidth}x{other.InputHeight}x{other.Channels} x{other.Frames} frames, "
                    + $"{runDirs[0]} {cfg.InputWidth}x{cfg.InputHeight}x{cfg.Channels} x{cfg.Frames}: select among runs with the same input");
        }
        var clips = videos.Select(v => StudentInput.Decode(v, cfg)).ToList();
        var pseudo = localDir is null ? null : InContextClips(localDir, clipNames, cfg);
        var foreground = clips.Select(ForegroundFractions).ToList();
        var rows = new List<EpochRow>();
        foreach (var (run, found) in epochsByRun)
            foreach (var path in found)
            {
                using var session = new StudentSession(path, threads);
                var normal = NormalScores(session, clips, cfg);
                var d = Diagnostics(session, clips, cfg, foreground, normal);
                var inContext = pseudo is null ? ((double All, SortedDictionary<string, double> ByKind)?)null : InContextAucs(session, pseudo, cfg, normal);
                var row = new EpochRow(run, path, Path.GetFileNameWithoutExtension(path), Math.Round(ValidationAuc(session, clips, cfg, speedup, normal), 4),
                    Math.Round(d.LocalAuc, 4), Math.Round(d.CrowdCorrelation, 4), inContext is { } ic0 ? Math.Round(ic0.All, 4) : null,
                    inContext?.ByKind.ToDictionary(k => k.Key, k => Math.Round(k.Value, 4)));
                rows.Add(row);
                Console.WriteLine($"{(runDirs.Count > 1 ? run + " " : "")}{row.Epoch}: "
                    + (row.InContextAuc is { } ic ? $"in-context AUC {F(ic)} (held-out {string.Join(",", clipNames)} vs their altered objects"
                        + (row.InContextByKind is { Count: > 1 } bk ? $"; per kind, not used: {string.Join(", ", bk.Select(k => $"{k.Key} {F(k.Value)}"))}" : "") + "); " : "")
                    + $"AUC {F(row.Auc)} (held-out {string.Join(",", clipNames)} vs {speedup.ToString(CultureInfo.InvariantCulture)}x copies{(pseudo is null ? "" : ", not used")})"
                    + $"; local AUC {F(row.LocalAuc)} (not used), crowd correlation {row.CrowdCorrelation.ToString("0.000", CultureInfo.InvariantCulture)}"
                    + (maxCrowd is { } m && row.CrowdCorrelation > m ? " (not eligible)" : ""));
            }
        var eligible = rows.Where(r => maxCrowd is not { } m || r.CrowdCorrelation <= m).ToList();
        bool filtered = eligible.Count > 0;
        if (!filtered)
            Console.WriteLine($"no epoch has crowd correlation <= {maxCrowd}: selecting on the validation AUC alone");
        // Highest AUC; ties go to the later epoch of the earlier-named run (more training at equal validation).
        var pool = filtered ? eligible : rows;
        var best = pool.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Criterion).ThenBy(x => runDirs.IndexOf(x.r.Run)).ThenByDescending(x => x.i).First().r;
        string selectedDir = outDir ?? Path.Combine(runDirs[0], "selected");
        Directory.CreateDirectory(selectedDir);
        File.Copy(best.Path, Path.Combine(selectedDir, "student.onnx"), overwrite: true);
        File.Copy(StudentManifest.PathFor(best.Path), Path.Combine(selectedDir, "student.json"), overwrite: true);
        string rule = (pseudo is null
                ? $"frame-level AUC: held-out training clips {string.Join(",", clipNames)} (normal) vs the same clips played {speedup.ToString(CultureInfo.InvariantCulture)}x faster"
                : $"frame-level AUC: held-out training clips {string.Join(",", clipNames)} (normal) vs the altered frames of their in-context pseudo-anomaly clips in {localDir}")
            + (maxCrowd is { } mx ? $", among epochs with crowd_correlation <= {mx.ToString(CultureInfo.InvariantCulture)}{(filtered ? "" : " (none was: AUC alone)")}" : "")
            + (runDirs.Count > 1 ? $", over runs {string.Join(", ", runDirs)}" : "");
        foreach (var run in runDirs)
            File.WriteAllText(Path.Combine(run, "selection.json"), JsonSerializer.Serialize(new
            {
                rule,
                selected = runDirs.Count > 1 ? $"{best.Run}: {best.Epoch}" : best.Epoch,
                epochs = rows.Where(r => r.Run == run).Select(r => new { epoch = r.Epoch, auc = r.Auc, in_context_auc = r.InContextAuc, in_context_auc_by_kind = r.InContextByKind, local_auc = r.LocalAuc, crowd_correlation = r.CrowdCorrelation }),
                diagnostics = "local_auc (never used for selection) = held-out clips vs their copies with only the top or only the bottom half "
                    + "played 2x faster; crowd_correlation = Pearson correlation of the score with the foreground fraction "
                    + "(|frame - per-pixel median of the clip| > 18) over the held-out normal frames (high: the score follows crowd size; "
                    + "used only with --max-crowd-correlation)",
            }, StudentConfig.Json));
        Console.WriteLine($"selected {(runDirs.Count > 1 ? best.Run + " " : "")}{best.Epoch} ({(pseudo is null ? "" : "in-context ")}AUC {F(best.Criterion)}) -> {Path.Combine(selectedDir, "student.onnx")}");
        return 0;

        static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
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

    /// <summary>
    /// The in-context pseudo-anomaly clips of the held-out clips in a <c>make-local</c> folder (named
    /// <c>&lt;clip&gt;-&lt;kind&gt;-&lt;n&gt;</c>, labels under training/pseudo-labels), decoded, with their per-frame labels
    /// (1 altered, 0 as filmed, null context). Every held-out clip must have at least one.
    /// </summary>
    public static List<(ClipFrames Clip, int?[] Labels)> InContextClips(string localDir, IReadOnlyList<string> clipNames, StudentConfig cfg)
    {
        var local = VideoDataset.Open(localDir);
        var result = new List<(ClipFrames, int?[])>();
        foreach (var clip in clipNames)
        {
            var found = local.Train.Where(v => v.Name.StartsWith(clip + "-", StringComparison.Ordinal)).ToList();
            if (found.Count == 0)
                throw new CommandArgsException($"--local: no pseudo-anomaly clip of training clip {clip} in {localDir} (make them: ./vad teachers make-local --clips {string.Join(",", clipNames)} --out {localDir})");
            foreach (var v in found)
            {
                string labelsPath = PseudoAnomalyLabels.PathFor(local.Root, v.Name);
                if (!File.Exists(labelsPath)) throw new CommandArgsException($"--local: {labelsPath} missing (made by an older make-local: make the folder again)");
                var labels = PseudoAnomalyLabels.Read(labelsPath);
                var frames = StudentInput.Decode(v, cfg);
                if (frames.Frames.Count != labels.Length) throw new InvalidDataException($"{labelsPath}: {labels.Length} labels for {frames.Frames.Count} frames of {v.Name}");
                result.Add((frames, labels));
            }
        }
        return result;
    }

    /// <summary>
    /// Frame-level AUC of the held-out clips as filmed (label 0) against the altered frames of their pseudo-anomaly
    /// clips: over all the pseudo-anomaly clips, and per kind (the <c>&lt;kind&gt;</c> of the clip name
    /// <c>&lt;clip&gt;-&lt;kind&gt;-&lt;n&gt;</c>: speed, flip), each against the same negatives. The per-kind figures are
    /// diagnostics: they show which pseudo-anomaly a student fails to imitate.
    /// </summary>
    public static (double All, SortedDictionary<string, double> ByKind) InContextAucs(StudentSession session, IReadOnlyList<(ClipFrames Clip, int?[] Labels)> pseudo,
        StudentConfig cfg, IReadOnlyList<float[]> normalScores)
    {
        var negatives = normalScores.SelectMany(s => s.Select(v => (double)v)).ToList();
        var scored = new List<(string Kind, double Score, int Label)>();
        foreach (var (clip, frameLabels) in pseudo)
        {
            var s = ScoreCommand.ScoreClip(session, clip, cfg, 32).Scores;
            string kind = KindOf(clip.Name);
            for (int i = 0; i < s.Length; i++)
                if (frameLabels[i] is { } l) scored.Add((kind, s[i], l));
        }
        double Auc(IEnumerable<(string Kind, double Score, int Label)> part)
        {
            var p = part.ToList();
            return FrameAuc.Compute([.. negatives, .. p.Select(x => x.Score)], [.. Enumerable.Repeat(0, negatives.Count), .. p.Select(x => x.Label)]) ?? double.NaN;
        }
        var byKind = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var group in scored.GroupBy(x => x.Kind)) byKind[group.Key] = Auc(group);
        return (Auc(scored), byKind);
    }

    /// <summary>"14-flip-3" -> "flip"; a name without that shape is its own kind.</summary>
    public static string KindOf(string pseudoClipName)
    {
        var parts = pseudoClipName.Split('-');
        return parts.Length >= 3 ? parts[^2] : pseudoClipName;
    }

    /// <summary>The student's frame scores of each held-out clip as it is (the negatives of every validation).</summary>
    public static float[][] NormalScores(StudentSession session, IReadOnlyList<ClipFrames> clips, StudentConfig cfg) =>
        clips.Select(c => ScoreCommand.ScoreClip(session, c, cfg, 32).Scores).ToArray();
}
