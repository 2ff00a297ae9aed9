using Vad.Core.Frames;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OpenCvSharp;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Core.Maps;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Objects;
using Vad.Teachers.Teachers;
using Vad.Core;

namespace Vad.Teachers;

public static class Program
{
    public static string DefaultModels => RepoPaths.Resolve("models/ped2/teachers");

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var rest = args.Skip(1).ToArray();
            return args[0] switch
            {
                "train" => Train(rest),
                "score" => Score(rest),
                "bench" => Bench.Run(rest),
                "detect" => Detect(rest),
                "select" => Select(rest),
                "add-distillation" => AddDistillation(rest),
                "detector" => Detector(rest),
                "ensemble" => Ensemble(rest),
                "t2-ensemble" => T2Ensemble(rest),
                "validate-local" => LocalValidation.Run(rest),
                "make-local" => LocalPseudoAnomalyDataset.Run(rest),
                "make-crowded" => CrowdedNormalDataset.Run(rest),
                _ => throw new CommandArgsException($"unknown command '{args[0]}'\n{Usage}"),
            };
        }
        catch (CommandArgsException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is DetectorException or FileNotFoundException or DirectoryNotFoundException or ClipReadException or ArgumentException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    public const string Usage = """
        usage: vad teachers train --dataset DIR [--out models/ped2/teachers] [--seed 7] [--split-groups yes|no]
                                  [--split-stacks yes|no (with --split-groups: also split people stacked in depth,
                                   as for detector; the networks then train on the split windows; default no)]
                                  [--t2-epochs 48] [--t1-from DIR (keep T1 from trained teachers, train T2 only)]
                                  [--t2-width 1 (channel multiplier of T2's 3D-conv trunk: 1 = 8-16-32, 2 = 16-32-64)]
                                  [--t1-appearance yes|no (add T1's appearance part; default no)]
                                  [--score-truncated yes|no (also score boxes touching the frame edge; default no)]
                                  [--stack-min-side 32 (T2's crops are cut from squares at least this large)]
                                  [--stack-mask-neighbours yes|no (T2's crops, in training and scoring, have the frame's
                                   other objects painted over with the background; default no)]
                                  [--calibration-clips 14,15,16 (training clips held out of fitting: statistics and
                                   the validation come from them)] [--validation sped-up|in-context (as for select)]
                                  (every epoch is checkpointed in <out>/checkpoint; the same command after a kill
                                   resumes there with the weights an uninterrupted training gives)
               vad teachers score --dataset DIR --split train|test [--videos 01,02] --out DIR [--models DIR]
                                  [--cache DIR (default: DIR)] [--resolutions 1,4,16] [--dump-objects FILE.csv (replaced)]
                                  [--speedup F (a copy played F times faster, F >= 1, e.g. 1.5 or 2: frames floor(j*F),
                                   cached as split <split>-xF)] [--region top|bottom (only that half of the frame is
                                   sped up, the other half plays normally: split <split>-xF-top|bottom)]
                                  [--teachers t1,t2 (score only the ones named; default both)]
               vad teachers add-distillation --dataset DIR --out DIR [--models DIR] [--epochs 24]
                                  (copy trained teachers and give T2 its fourth task, distillation from a fixed random
                                   network on the appearance crop; only that predictor is trained, then run select)
               vad teachers detect --dataset DIR --split test --video 01 --frame 100 --png OUT.png [--models DIR]
                                  [--detector background|hog|onnx:PATH]
               vad teachers detector --dataset DIR [--out DIR] [--split-groups yes|no]  (learn the detector only)
                                  [--split-stacks yes|no (with --split-groups: also split people stacked in depth,
                                   a blob taller than 1.6 person heights measured from its top row, into rows of
                                   windows sized by each row's perspective; default no)]
               vad teachers ensemble --scores DIR1,DIR2 --out DIR   (mean of per-video min-max normalised scores)
               vad teachers t2-ensemble --models DIR --members DIR2,DIR3 --out DIR
                                  (T2 as a seed ensemble: copy the teachers in --models and add the T2 networks of the
                                   other folders, each selected on its own; T2's object score = mean of theirs)
               vad teachers select --dataset DIR [--models DIR] [--t1-appearance yes|no] [--score-truncated yes|no]
                                  [--t2-paper-combination yes|no] [--group-stats yes|no]
                                  [--group-stats-from train|calibration (clips the group-window statistics come
                                   from: all training clips, or only the held-out calibration clips; default train)]
                                  [--validation sped-up|in-context (choose the rules against sped-up copies of the
                                   held-out clips, or against one object at a time sped up or turned upside down)]
                                  [--in-context-edges yes|no (in-context: also alter objects touching the frame edge)]
                                  [--in-context-kinds speed,flip,glide,crowd,stretch,ride (in-context: the pseudo-anomalies; default
                                   speed,flip)]
                                  [--size-calibration t2|t1|t1,t2 (fit each component's trend over ln box height on
                                   the held-out normal objects and remove it before the z-scores)]
                                  [--neighbour-calibration t2|t1|t1,t2 (the same over the number of other objects
                                   overlapping the object's stack square)]
                                                    (re-run the rule selection on held-out training clips)
               vad teachers validate-local --dataset DIR --clips 14,15,16 [--models DIR] [--per-clip 6] [--edges yes|no]
                                  [--kinds speed,flip,glide,crowd,stretch,ride] [--json FILE]
                                  (AUC on training clips with one object at a time sped up 2x, turned upside down,
                                   frozen and slid along its path 1.5x faster, or sped up 2x where others surround it)
               vad teachers make-local --dataset DIR --out DIR --clips 01,02 [--per-clip 3] [--models DIR] [--kinds ...]
                                  (a derived dataset: the real clips linked + those pseudo-anomalies as extra training clips)
               vad teachers make-crowded --dataset DIR --out DIR --clips 01,02 [--partners 1] [--models DIR]
                                  (a derived dataset: everything linked + normal clips made more crowded, each frame
                                   with the people of the same frame of the next --partners clips pasted behind its own)
               vad bench teachers [--dataset DIR] [--models DIR] [--frames N] [--json FILE]
        """;

    private static int Train(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), outDir = a.GetOr("out", DefaultModels);
        var cfg = new TeacherConfig
        {
            Seed = a.GetInt("seed", 7),
            AutoEncoderEpochs = a.GetInt("ae-epochs", 5),
            ClassifierEpochs = a.GetInt("cls-epochs", 3),
            MultiTaskEpochs = a.GetInt("t2-epochs", 48),
            T2Width = a.GetInt("t2-width", 1),
            TrainFrameStride = a.GetInt("frame-stride", 3),
            T1AppearancePart = a.GetYesNo("t1-appearance") ?? false,
            ScoreTruncatedObjects = a.GetYesNo("score-truncated") ?? false,
            StackMinSide = a.GetInt("stack-min-side", InputSizes.Stack),
            StackMaskNeighbours = a.GetYesNo("stack-mask-neighbours") ?? false,
            Validation = ValidationOption(a) ?? TeacherConfig.SpedUpValidation,
        };
        if (cfg.Validation == TeacherConfig.InContextValidation) cfg = cfg with { T1AppearancePart = false };
        if (cfg.T2Width < 1) throw new CommandArgsException($"--t2-width: must be at least 1 (got {cfg.T2Width})");
        if (a.GetAll("calibration-clips") is { Count: > 0 } calibration) cfg = cfg with { CalibrationClips = calibration.ToArray() };
        bool splitGroups = a.GetYesNo("split-groups") ?? false;
        bool splitStacks = SplitStacksOption(a, splitGroups);
        string? t1From = a.Get("t1-from");
        a.RejectUnknown();
        // Checked before anything is learned: a typo here would otherwise surface after minutes of detection.
        var trainClips = Clips.List(dataset, "train").Select(c => c.Name).ToHashSet();
        var missing = cfg.CalibrationClips.Where(c => !trainClips.Contains(c)).ToList();
        if (missing.Count > 0) throw new CommandArgsException($"--calibration-clips: no training clip named {string.Join(", ", missing)} in {dataset}");
        if (trainClips.All(cfg.CalibrationClips.Contains)) throw new CommandArgsException("--calibration-clips: at least one training clip must be left to fit the networks on");
        Vad.Torch.TorchRuntime.EnsureLoaded(training: true);
        TorchSharp.torch.set_num_threads(2);
        Directory.CreateDirectory(outDir);
        if (t1From is not null && Path.GetFullPath(t1From) == Path.GetFullPath(outDir))
            throw new CommandArgsException("--t1-from must differ from --out");
        var sw = Stopwatch.StartNew();
        LearnDetector(dataset, outDir, splitGroups, splitStacks);
        using var detector = DetectorFactory.Create(cfg.Detector, outDir);
        var clips = Clips.List(dataset, "train");
        TeacherModels? models = null;
        ProgressBar().Start(ctx =>
        {
            var objs = TeacherTrainer.CollectObjects(clips, detector, cfg.TrainFrameStride, cfg.StackMinSide, ctx, cfg.StackMaskNeighbours);
            AnsiConsole.MarkupLine($"[grey]{objs.Count} normal training objects[/]");
            var trainer = new TeacherTrainer(cfg, CheckpointDir(outDir))
            {
                OnResumed = r => AnsiConsole.MarkupLine(
                    $"[grey]resuming from {Markup.Escape(CheckpointDir(outDir))}: {TeacherTrainer.PhaseName(r.Phase)}, {r.EpochsDone} epoch(s) done; earlier epochs are replayed, not retrained[/]"),
            };
            models = trainer.Train(objs, ctx, t1From);
            var calClips = clips.Where(c => cfg.CalibrationClips.Contains(c.Name)).ToList();
            models.Config = TeacherValidation.Select(models, detector, calClips, ctx);
        });
        AnsiConsole.MarkupLine($"selected on the validation: T1 {Markup.Escape(models!.Config.T1Rule.ToString())} (AUC {models.Config.ValidationAuc[models.Config.T1Rule.ToString()]:F4}), T2 {Markup.Escape(models.Config.T2Rule.ToString())} (AUC {models.Config.ValidationAuc[models.Config.T2Rule.ToString()]:F4})");
        models!.Save(outDir, Path.GetFullPath(dataset));
        // Trained and saved: the checkpoint has nothing left to resume.
        if (Directory.Exists(CheckpointDir(outDir))) Directory.Delete(CheckpointDir(outDir), recursive: true);
        foreach (var (k, v) in models.Config.Stats) AnsiConsole.MarkupLine($"[grey]{k}: mean {v.Mean:G4} sd {v.Std:G4}[/]");
        AnsiConsole.MarkupLine($"trained in {sw.Elapsed.TotalSeconds:F0} s -> {outDir}");
        models.Dispose();
        return 0;
    }

    /// <summary>Where <c>teachers train</c> checkpoints every epoch; a killed training given the same command resumes there.</summary>
    public static string CheckpointDir(string outDir) => Path.Combine(outDir, "checkpoint");

    /// <summary>The default detector's learned parts: median background (+ person height model when splitting groups).</summary>
    private static void LearnDetector(string dataset, string outDir, bool splitGroups, bool splitStacks)
    {
        Directory.CreateDirectory(outDir);
        using var bg = DetectorFactory.LearnBackground(dataset);
        Cv2.ImWrite(Path.Combine(outDir, DetectorFactory.BackgroundFile), bg);
        string ph = Path.Combine(outDir, DetectorFactory.PersonHeightFile);
        if (splitGroups)
        {
            var model = DetectorFactory.LearnPersonHeight(dataset, bg) with { SplitStacks = splitStacks };
            File.WriteAllText(ph, JsonSerializer.Serialize(model));
            AnsiConsole.MarkupLine($"[grey]person height model: {model.A:F1} + {model.B:F3} * bottom row{(splitStacks ? "; stacks split by rows" : "")}[/]");
        }
        else if (File.Exists(ph)) File.Delete(ph);
    }

    private static int Detector(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), outDir = a.GetOr("out", DefaultModels);
        bool splitGroups = a.GetYesNo("split-groups") ?? false;
        bool splitStacks = SplitStacksOption(a, splitGroups);
        a.RejectUnknown();
        LearnDetector(dataset, outDir, splitGroups, splitStacks);
        return 0;
    }

    /// <summary>--split-stacks of train and detector: stacks are split within the group splitting, never without it.</summary>
    private static bool SplitStacksOption(CommandArgs a, bool splitGroups)
    {
        bool splitStacks = a.GetYesNo("split-stacks") ?? false;
        if (splitStacks && !splitGroups) throw new CommandArgsException("--split-stacks yes needs --split-groups yes");
        return splitStacks;
    }

    public static Progress ProgressBar() => AnsiConsole.Progress()
        .AutoClear(false)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn());

    private static int Score(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), split = a.Require("split"), outDir = a.Require("out");
        string models = a.GetOr("models", DefaultModels);
        string cache = a.GetOr("cache", outDir);
        var videos = a.GetAll("videos");
        var resArg = a.GetAll("resolutions");
        string? dumpObjects = a.Get("dump-objects");
        double speedup = a.GetDouble("speedup", 1);
        string regionArg = a.GetOr("region", "frame");
        var teacherArg = a.GetAll("teachers");
        a.RejectUnknown();
        // One teacher alone, e.g. T2 after only T2 was retrained: T2 needs no optical flow, the costliest step.
        string[] scored = teacherArg.Count == 0 ? ["t1", "t2"] : teacherArg.Distinct().ToArray();
        if (scored.Any(t => t is not ("t1" or "t2"))) throw new CommandArgsException("--teachers: t1, t2 or t1,t2");
        if (dumpObjects is not null && scored.Length < 2) throw new CommandArgsException("--dump-objects needs both teachers (its rows hold both scores)");
        if (!(speedup >= 1) || double.IsInfinity(speedup)) throw new CommandArgsException("--speedup must be a number >= 1");
        SpeedRegion region;
        try { region = PlaybackSpeed.ParseRegion(regionArg); }
        catch (ArgumentException e) { throw new CommandArgsException("--region: " + e.Message); }
        if (region != SpeedRegion.Frame && speedup == 1) throw new CommandArgsException("--region needs --speedup F > 1");
        // A sped-up copy (objects move F times as far per frame) is a split of its own, "<split>-x<F>[-top|-bottom]".
        string cacheSplit = PlaybackSpeed.SplitName(split, speedup, region);
        Vad.Torch.TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(2);
        using var teachers = TeacherModels.Load(models);
        int[] resolutions = resArg.Count > 0 ? resArg.Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray() : teachers.Config.Resolutions;
        using var detector = DetectorFactory.Create(teachers.Config.Detector, models);
        var scorer = new TeacherScorer(teachers, detector);
        var clips = Clips.List(dataset, split, videos.ToList());
        var failures = new List<string>();
        var hashes = new Dictionary<string, string> { ["t1"] = TeacherModels.WeightsHash(models, "t1"), ["t2"] = TeacherModels.WeightsHash(models, "t2") };
        foreach (var t in scored)
        {
            Directory.CreateDirectory(Path.Combine(outDir, t));
            AnomalyMapCache.WriteManifest(AnomalyMapCache.TeacherDir(cache, t), new AnomalyMapManifest
            {
                Teacher = t,
                WeightsSha256 = hashes[t],
                Dataset = Path.GetFullPath(dataset),
                Resolutions = resolutions,
                Config = new Dictionary<string, string>
                {
                    ["models"] = Path.GetFullPath(models),
                    ["detector"] = teachers.Config.Detector,
                    ["object_score"] = teachers.Rule(t).ToString(),
                    ["track_smoothing"] = teachers.Smoothing(t).ToString(),
                    ["frame_score"] = "max of the full-resolution map (boxes painted with object scores, max where they overlap)",
                    ["pooling"] = "adaptive max pooling to r x r",
                },
            });
        }
        if (dumpObjects is not null) StartDump(dumpObjects);
        ProgressBar().Start(ctx =>
        {
            foreach (var clip in clips)
            {
                var task = ctx.AddTask($"{cacheSplit}/{clip.Name}", maxValue: PlaybackSpeed.Indices(Clips.FrameFiles(clip.FramesDir).Length, speedup).Length);
                try
                {
                    var loaded = Clips.LoadGray(clip);
                    var composites = new List<Mat>();
                    try
                    {
                        var frames = PlaybackSpeed.Apply(loaded, speedup, region, (fast, normal) =>
                        {
                            var m = normal.Clone();
                            var (from, to) = PlaybackSpeed.FastRows(region, m.Rows);
                            using (var src = fast.RowRange(from, to)) using (var dst = m.RowRange(from, to)) src.CopyTo(dst);
                            composites.Add(m);
                            return m;
                        });
                        var result = scorer.ScoreFrames(frames, scored.Contains("t1"), scored.Contains("t2"), n => task.Increment(n));
                        int w = frames[0].Width, h = frames[0].Height;
                        if (dumpObjects is not null) DumpObjects(dumpObjects, cacheSplit, clip.Name, result);
                        foreach (var t in scored)
                        {
                            var maps = TeacherScorer.Maps(result, t, w, h, resolutions);
                            AnomalyMapCache.Write(AnomalyMapCache.VideoPath(cache, t, cacheSplit, clip.Name), new AnomalyMapHeader
                            {
                                Teacher = t, Split = cacheSplit, Video = clip.Name, FrameWidth = w, FrameHeight = h,
                                Resolutions = resolutions, WeightsSha256 = hashes[t],
                            }, maps);
                            File.WriteAllLines(Path.Combine(outDir, t, clip.Name + ".txt"),
                                maps.Select(fm => fm.Score.ToString("R", CultureInfo.InvariantCulture)));
                        }
                    }
                    finally { foreach (var f in loaded.Concat(composites)) f.Dispose(); }
                }
                catch (ClipReadException e)
                {
                    failures.Add(e.Message);
                    task.Description = $"{cacheSplit}/{clip.Name} [red]FAILED[/]";
                    task.StopTask();
                }
            }
        });
        if (failures.Count > 0)
        {
            Console.Error.WriteLine($"error: {failures.Count} of {clips.Count} clip(s) failed (the others were scored):");
            foreach (var f in failures) Console.Error.WriteLine("  " + f);
            return 1;
        }
        AnsiConsole.MarkupLine($"scored {clips.Count} clip(s): scores in {string.Join(" and ", scored.Select(t => Path.Combine(outDir, t)))}, maps in {Path.Combine(cache, "maps")}");
        return 0;
    }

    /// <summary>The teachers' ensemble the student imitates: element-wise mean of per-video min-max normalised scores.</summary>
    private static int Ensemble(string[] argv)
    {
        var a = new CommandArgs(argv);
        var inputs = a.GetAll("scores");
        string outDir = a.Require("out");
        a.RejectUnknown();
        if (inputs.Count < 2) throw new CommandArgsException("--scores needs at least two scores folders (comma separated)");
        Directory.CreateDirectory(outDir);
        var videos = Directory.GetFiles(inputs[0], "*.txt").Select(Path.GetFileNameWithoutExtension).OfType<string>().OrderBy(v => v, StringComparer.Ordinal);
        foreach (var v in videos)
        {
            double[]? sum = null;
            foreach (var dir in inputs)
            {
                string p = Path.Combine(dir, v + ".txt");
                if (!File.Exists(p)) throw new FileNotFoundException($"{p} missing (every folder must hold the same videos)");
                var s = File.ReadAllLines(p).Where(l => l.Length > 0).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
                double min = s.Min(), max = s.Max(), range = max - min;
                var n = s.Select(x => range > 0 ? (x - min) / range : 0.0).ToArray();
                if (sum is not null && sum.Length != n.Length) throw new ArgumentException($"video {v}: {n.Length} frames in {dir}, {sum.Length} before");
                sum = sum is null ? n : sum.Zip(n, (x, y) => x + y).ToArray();
            }
            File.WriteAllLines(Path.Combine(outDir, v + ".txt"), sum!.Select(x => (x / inputs.Count).ToString("R", CultureInfo.InvariantCulture)));
        }
        return 0;
    }

    /// <summary>Appends one CSV row per object: split, video, frame, box, raw components, T1 and T2 scores.</summary>
    /// <summary>Starts the objects CSV afresh: a file left by an earlier run is replaced, not appended to.</summary>
    private static void StartDump(string path) =>
        File.WriteAllText(path, "split,video,frame,x,y,w,h,label," + string.Join(",", TeacherModels.AllComponents) + ",t1,t2\n");

    /// <summary>Appends one clip's objects to the CSV <see cref="StartDump"/> began.</summary>
    private static void DumpObjects(string path, string split, string video, FrameObjects[] frames)
    {
        using var w = new StreamWriter(path, append: true);
        for (int f = 0; f < frames.Length; f++)
            for (int k = 0; k < frames[f].Objects.Count; k++)
            {
                var b = frames[f].Objects[k].Box;
                w.WriteLine(string.Join(",", new object[] { split, video, f, b.X, b.Y, b.Width, b.Height, frames[f].Objects[k].Label }
                    .Concat(frames[f].Raw[k].Select(v => (object)v.ToString("G6", CultureInfo.InvariantCulture)))
                    .Append(frames[f].T1[k].ToString("G6", CultureInfo.InvariantCulture)).Append(frames[f].T2[k].ToString("G6", CultureInfo.InvariantCulture))));
            }
    }

    /// <summary>The checked pseudo-anomaly kinds of option <paramref name="name"/> (default: <see cref="InContextPseudoAnomalies.DefaultKinds"/>).</summary>
    public static PseudoAnomalyKind[] KindsOption(CommandArgs a, string name)
    {
        var names = a.GetAll(name);
        if (names.Count == 0) return InContextPseudoAnomalies.DefaultKinds;
        try { return InContextPseudoAnomalies.ParseKinds(names); }
        catch (ArgumentException e) { throw new CommandArgsException($"--{name}: {e.Message}"); }
    }

    /// <summary>The checked --validation value (what the rules are chosen against); null when not given.</summary>
    private static string? ValidationOption(CommandArgs a) => a.Get("validation") switch
    {
        null => null,
        TeacherConfig.SpedUpValidation => TeacherConfig.SpedUpValidation,
        TeacherConfig.InContextValidation => TeacherConfig.InContextValidation,
        var other => throw new CommandArgsException($"--validation must be {TeacherConfig.SpedUpValidation} or {TeacherConfig.InContextValidation}, not '{other}'"),
    };

    /// <summary>
    /// Copies trained teachers to --out and trains T2's distillation task there (<see cref="Networks.RandomTargetDistillation"/>)
    /// on the fitting clips' normal objects, its statistics from the calibration clips'; the other networks, statistics and
    /// rules stay as they were until <c>teachers select</c> is run on the copy.
    /// </summary>
    private static int AddDistillation(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), outDir = a.Require("out"), models = a.GetOr("models", DefaultModels);
        int epochs = a.GetInt("epochs", 24);
        a.RejectUnknown();
        if (epochs < 1) throw new CommandArgsException("--epochs must be at least 1");
        if (Path.GetFullPath(models).TrimEnd('/') == Path.GetFullPath(outDir).TrimEnd('/')) throw new CommandArgsException("--out must differ from --models");
        if (!File.Exists(Path.Combine(models, TeacherModels.ConfigFile))) throw new CommandArgsException($"no trained teachers in {models}");
        TeacherModels.RejectT2Ensemble(models, "teachers add-distillation");
        if (TeacherModels.ReadConfig(models).T2Distillation) throw new CommandArgsException($"the teachers in {models} already have T2's distillation task");
        Vad.Torch.TorchRuntime.EnsureLoaded(training: true);
        TorchSharp.torch.set_num_threads(2);
        Directory.CreateDirectory(outDir);
        foreach (var f in Directory.GetFiles(models)) File.Copy(f, Path.Combine(outDir, Path.GetFileName(f)), overwrite: true);
        var sw = Stopwatch.StartNew();
        using var teachers = TeacherModels.LoadAddingDistillation(outDir, epochs);
        var cfg = teachers.Config;
        using var detector = DetectorFactory.Create(cfg.Detector, outDir);
        var clips = Clips.List(dataset, "train");
        ProgressBar().Start(ctx =>
        {
            var objs = TeacherTrainer.CollectObjects(clips, detector, cfg.TrainFrameStride, cfg.StackMinSide, ctx, cfg.StackMaskNeighbours);
            var fit = objs.Where(o => !cfg.CalibrationClips.Contains(o.Clip)).ToList();
            var cal = objs.Where(o => cfg.CalibrationClips.Contains(o.Clip)).ToList();
            if (fit.Count == 0 || cal.Count == 0) throw new InvalidOperationException($"need objects in both fitting ({fit.Count}) and calibration ({cal.Count}) clips");
            AnsiConsole.MarkupLine($"[grey]{fit.Count} fitting and {cal.Count} calibration objects[/]");
            new TeacherTrainer(cfg).TrainDistillation(teachers, fit, ctx);
            var stats = TeacherTrainer.CalibrateComponent(teachers, cal, TeacherModels.DistillationComponent, ctx);
            teachers.Config = teachers.Config with { Stats = new Dictionary<string, ComponentStats>(cfg.Stats) { [TeacherModels.DistillationComponent] = stats } };
        });
        string command = $"./vad teachers add-distillation --dataset {dataset} --models {models} --out {outDir} --epochs {epochs}";
        string? before = TeacherModels.SavedCommand(models);
        teachers.Save(outDir, Path.GetFullPath(dataset), before is null ? command : $"{before}; then T2's distillation task added: {command}");
        var st = teachers.Config.Stats[TeacherModels.DistillationComponent];
        AnsiConsole.MarkupLine($"T2's distillation task trained in {sw.Elapsed.TotalSeconds:F0} s -> {Markup.Escape(outDir)} (calibration error mean {st.Mean:G4}, sd {st.Std:G4}); "
            + "its rule does not use it until `teachers select` is run there");
        return 0;
    }

    /// <summary>T2 as a seed ensemble: the teachers in --models (T1, detector, this T2) plus the T2 networks of the
    /// --members folders, copied under t2_members/ with their own configs.</summary>
    private static int T2Ensemble(string[] argv)
    {
        var a = new CommandArgs(argv);
        string models = a.Require("models"), outDir = a.Require("out");
        var members = a.GetAll("members");
        a.RejectUnknown();
        if (members.Count == 0) throw new CommandArgsException("--members needs at least one folder of trained teachers");
        string Full(string d) => Path.GetFullPath(d).TrimEnd('/');
        if (members.Append(models).Any(d => Full(d) == Full(outDir))) throw new CommandArgsException("--out must differ from --models and --members");
        if (members.Append(models).Select(Full).Distinct().Count() != members.Count + 1) throw new CommandArgsException("--models and --members name the same folder twice");
        foreach (var d in members.Append(models))
        {
            if (!File.Exists(Path.Combine(d, TeacherModels.ConfigFile))) throw new CommandArgsException($"no trained teachers in {d}");
            TeacherModels.RejectT2Ensemble(d, "teachers t2-ensemble");
        }
        var owner = TeacherModels.ReadConfig(models);
        foreach (var d in members)
            if (TeacherModels.CropMismatch(owner, TeacherModels.ReadConfig(d)) is { } why) throw new CommandArgsException($"{d} {why}");
        var seeds = members.Prepend(models).Select(d => TeacherModels.ReadConfig(d).Seed).ToList();
        if (seeds.Distinct().Count() != seeds.Count) throw new CommandArgsException($"the T2 networks share a seed ({string.Join(",", seeds)}): a seed ensemble needs different seeds");
        Directory.CreateDirectory(outDir);
        foreach (var f in Directory.GetFiles(models)) File.Copy(f, Path.Combine(outDir, Path.GetFileName(f)), overwrite: true);
        var names = new List<string>();
        foreach (var d in members)
        {
            string name = Path.Combine(TeacherModels.T2MembersFolder, $"seed{TeacherModels.ReadConfig(d).Seed}");
            string target = Path.Combine(outDir, name);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.CreateDirectory(target);
            foreach (var f in TeacherModels.T2MemberFiles(d)) File.Copy(Path.Combine(d, f), Path.Combine(target, f));
            names.Add(name);
        }
        var cfg = TeacherModels.ReadConfig(outDir) with { T2Members = [.. names] };
        File.WriteAllText(Path.Combine(outDir, TeacherModels.ConfigFile), JsonSerializer.Serialize(cfg, TeacherModels.Json));
        Vad.Torch.TorchRuntime.EnsureLoaded();
        using var teachers = TeacherModels.Load(outDir); // checks every member loads and cuts its crops the same way
        string command = $"./vad teachers t2-ensemble --models {models} --members {string.Join(",", members)} --out {outDir}";
        string? before = TeacherModels.SavedCommand(models);
        string dataset = TeacherModels.SavedManifestString(models, "dataset") ?? "";
        teachers.Save(outDir, dataset, before is null ? command : $"{before}; then T2 joined with seeds {string.Join(",", seeds.Skip(1))}: {command}");
        AnsiConsole.MarkupLine(Markup.Escape($"T2 seed ensemble of seeds {string.Join(",", seeds)} -> {outDir} (T2 rules: "
            + string.Join("; ", teachers.T2MemberModels.Prepend(teachers).Select(n => $"seed {n.Config.Seed} {n.Config.T2Rule}")) + ")"));
        return 0;
    }

    /// <summary>Re-runs the rule selection (validation on held-out training clips) for trained teachers.</summary>
    private static int Select(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), models = a.GetOr("models", DefaultModels);
        bool? appearance = a.GetYesNo("t1-appearance");
        bool? truncated = a.GetYesNo("score-truncated");
        bool? t2Paper = a.GetYesNo("t2-paper-combination");
        bool? groupStats = a.GetYesNo("group-stats");
        string groupStatsFrom = a.GetOr("group-stats-from", "train");
        string? validation = ValidationOption(a);
        bool? inContextEdges = a.GetYesNo("in-context-edges");
        var inContextKinds = a.Has("in-context-kinds") ? KindsOption(a, "in-context-kinds") : null;
        var sizeTeachers = a.GetAll("size-calibration");
        var neighbourTeachers = a.GetAll("neighbour-calibration");
        a.RejectUnknown();
        foreach (var (option, list) in new[] { ("size-calibration", sizeTeachers), ("neighbour-calibration", neighbourTeachers) })
            if (list.Any(t => t is not ("t1" or "t2")))
                throw new CommandArgsException($"--{option} takes the teachers whose components get the trend: t1, t2 or t1,t2 (not '{string.Join(",", list)}')");
        if (groupStatsFrom is not ("train" or "calibration")) throw new CommandArgsException("--group-stats-from must be train or calibration");
        if (groupStats != true && a.Has("group-stats-from")) throw new CommandArgsException("--group-stats-from needs --group-stats yes");
        if (inContextEdges is not null && validation != TeacherConfig.InContextValidation)
            throw new CommandArgsException("--in-context-edges needs --validation in-context");
        if (inContextKinds is not null && validation != TeacherConfig.InContextValidation)
            throw new CommandArgsException("--in-context-kinds needs --validation in-context");
        TeacherModels.RejectT2Ensemble(models, "teachers select");
        Vad.Torch.TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(2);
        using var teachers = TeacherModels.Load(models);
        if (appearance is { } app) teachers.Config = teachers.Config with { T1AppearancePart = app };
        if (truncated is { } tr) teachers.Config = teachers.Config with { ScoreTruncatedObjects = tr };
        if (t2Paper is { } tp) teachers.Config = teachers.Config with { T2PaperCombination = tp };
        // The in-context validation judges appearance itself (its flipped objects), so no appearance part is forced on.
        if (validation is not null) teachers.Config = teachers.Config with { Validation = validation, T1AppearancePart = validation == TeacherConfig.SpedUpValidation && teachers.Config.T1AppearancePart };
        if (inContextEdges is { } edges) teachers.Config = teachers.Config with { InContextEdgeObjects = edges };
        if (inContextKinds is not null) teachers.Config = teachers.Config with { InContextKinds = [.. inContextKinds.Select(k => k.ToString().ToLowerInvariant())] };
        using var detector = DetectorFactory.Create(teachers.Config.Detector, models);
        var clips = Clips.List(dataset, "train").Where(c => teachers.Config.CalibrationClips.Contains(c.Name)).ToList();
        if ((sizeTeachers.Count > 0 || neighbourTeachers.Count > 0) && groupStats is null && teachers.Config.GroupStats.Count > 0)
            groupStats = true; // they were computed on values without the trends: computed again (from the training clips, as before)
        ProgressBar().Start(ctx =>
        {
            string[] ComponentsOf(IEnumerable<string> ts) =>
                [.. ts.Distinct().SelectMany(t => t == "t1" ? TeacherModels.T1Components.Where(teachers.Config.Stats.ContainsKey) : teachers.T2ComponentsInUse)];
            if (sizeTeachers.Count > 0)
                teachers.Config = NuisanceCalibration.Calibrate(teachers, detector, clips, ComponentsOf(sizeTeachers), NuisanceCovariate.LogHeight, ctx);
            if (neighbourTeachers.Count > 0) // on the size-adjusted values when both are asked for
                teachers.Config = NuisanceCalibration.Calibrate(teachers, detector, clips, ComponentsOf(neighbourTeachers), NuisanceCovariate.Neighbours, ctx);
            if (groupStats is { } gs)
                teachers.Config = teachers.Config with
                {
                    GroupStats = gs ? TeacherValidation.GroupWindowStats(teachers, detector, groupStatsFrom == "calibration" ? clips : Clips.List(dataset, "train"), ctx)
                        ?? throw new InvalidOperationException($"fewer than 20 group windows in the {(groupStatsFrom == "calibration" ? "calibration" : "training")} clips: nothing to calibrate on") : [],
                };
            teachers.Config = TeacherValidation.Select(teachers, detector, clips, ctx);
        });
        string selectCommand = $"./vad teachers select --dataset {dataset} --models {models}"
            + (appearance is { } ap ? $" --t1-appearance {(ap ? "yes" : "no")}" : "") + (truncated is { } t ? $" --score-truncated {(t ? "yes" : "no")}" : "")
            + (t2Paper is { } p ? $" --t2-paper-combination {(p ? "yes" : "no")}" : "")
            + (groupStats is { } g ? $" --group-stats {(g ? "yes" : "no")}" : "")
            + (groupStats == true && groupStatsFrom != "train" ? $" --group-stats-from {groupStatsFrom}" : "")
            + (validation is not null ? $" --validation {validation}" : "")
            + (inContextEdges is { } ie ? $" --in-context-edges {(ie ? "yes" : "no")}" : "")
            + (inContextKinds is not null ? $" --in-context-kinds {string.Join(",", inContextKinds).ToLowerInvariant()}" : "")
            + (sizeTeachers.Count > 0 ? $" --size-calibration {string.Join(",", sizeTeachers.Distinct())}" : "")
            + (neighbourTeachers.Count > 0 ? $" --neighbour-calibration {string.Join(",", neighbourTeachers.Distinct())}" : "");
        string? before = TeacherModels.SavedCommand(models);
        teachers.Save(models, Path.GetFullPath(dataset), before is null ? selectCommand : $"{before}; then rules re-selected: {selectCommand}");
        foreach (var (k, v) in teachers.Config.ValidationAuc.OrderByDescending(kv => kv.Value)) Console.WriteLine($"{v:F4} {k}");
        var c = teachers.Config;
        AnsiConsole.MarkupLine(Markup.Escape($"selected: T1 {c.T1Rule} smoothed {c.T1Smoothing}, T2 {c.T2Rule} smoothed {c.T2Smoothing}"));
        return 0;
    }

    private static int Detect(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), split = a.GetOr("split", "test"), video = a.Require("video");
        int frame = a.GetInt("frame", 0);
        string png = a.Require("png"), models = a.GetOr("models", DefaultModels);
        string detectorKind = a.GetOr("detector", "background");
        a.RejectUnknown();
        var clip = Clips.List(dataset, split, new[] { video })[0];
        var files = Clips.FrameFiles(clip.FramesDir);
        using var gray = Cv2.ImRead(files[frame], ImreadModes.Grayscale);
        using var det = DetectorFactory.Create(detectorKind, models);
        var objs = det.Detect(gray);
        using var color = new Mat();
        Cv2.CvtColor(gray, color, ColorConversionCodes.GRAY2BGR);
        foreach (var o in objs)
        {
            Cv2.Rectangle(color, o.Box, Scalar.Red, 1);
            Console.WriteLine($"{o.Box.X} {o.Box.Y} {o.Box.Width} {o.Box.Height} {o.Confidence:F2} {o.Label}");
        }
        Cv2.ImWrite(png, color);
        return 0;
    }
}
