using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Frames;
using Vad.Core.Models;
using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Core;

namespace Vad.Student.Training;

/// <summary><c>./vad train --dataset DIR --teachers DIR --profile P [--epochs N]</c>.</summary>
public static class TrainCommand
{
    public const string Usage = """
        usage: ./vad train --dataset DIR --teachers DIR --profile cpu|paper [--epochs N] [options]
          --epochs N          phase-2 (distillation) epochs (default 20; the paper trains 35)
          --ae-epochs N       phase-1 (auto-encoder) epochs (default 2)
          --batch N           batch size (default 64, the paper's)
          --mode M            per-teacher (default) | three-class | two-branch   multi-teacher adversarial variant
          --no-adversarial    plain KD (no discriminators)
          --alpha A           adversarial weight (default 0.1);  --lr (1e-4)  --weight-decay (1e-5)
          --lambda t1=1,t2=1  distillation weight lambda_T per teacher (default 1 each, the paper's)
          --frames 1|3        override the profile's frames;  --seed N (42);  --threads N (torch intra-op threads, default 1)
          --run DIR           run folder (default runs/student/<dataset>-<profile>); an existing run resumes
          --max-steps N       stop after N steps in total (smoke runs; resumable)
          --sample-step K     train on every k-th frame each epoch (default 1 = all)
          --hold-out 14,15,16 training clips left out of distillation (for ./vad select-epoch)
          --export-epochs     also export every distillation epoch to <run>/epochs/epoch-NN.onnx
          --ema-decay D       export a moving average of the weights over the distillation steps (0 < D < 1, e.g.
                              0.999: about the last 1000 steps) instead of the last step's; given when a finished run
                              is continued, the average starts at the first step after the resume
          --swa-from-epoch K  stochastic weight averaging: export the equal-weight average of the weights at the ends of
                              distillation epochs K, K+1, ... (BatchNorm statistics recomputed on 50 training batches)
                              instead of the last step's; not with --ema-decay
          --max-weight W      add W * sum_T lambda_T sum_r MSE(max S_r, max T_r) over the heads larger than 1x1: trains
                              the maps' maxima, which the frame score is made of (default 0, the paper's loss)
          --mirror            mirror half of the samples left-right in every epoch (frames and teacher maps together;
                              a fixed draw per seed, epoch and sample): objects at places and in directions the
                              training clips lack (default off, the paper's training)
          --target-floor Q    distil max(0, map - floor) per teacher, floor = the Q-quantile (0 <= Q < 1, e.g. 0.5) of
                              its training frame scores: a normal object's score becomes 0, so the student learns where
                              something is anomalous, not where an object is (default: the maps as cached)
          --pseudo-anomaly-repeat K
                              distil on the dataset's in-context pseudo-anomaly clips (those with per-frame labels in
                              training/pseudo-labels/, ./vad teachers make-local) and on their sped-up copies K times
                              per epoch (default 1): their altered objects are a small part of the frames
          --distill-splits S  train (default) or train,test: also imitate the teachers on the unlabelled test frames
                              (transductive; labels are never read; say so when reporting its AUC);
                              train-xF adds a copy of the training clips played F times faster (F > 1, e.g. 1.5, 2),
                              scored by the teachers with `./vad teachers score --split train --speedup F`: normal
                              footage whose objects move too fast, so the student sees high teacher scores;
                              train-xF-top / train-xF-bottom: only that half sped up (`--region top|bottom`), a
                              local anomaly among normal objects
                              without any test data
        Without teacher maps yet, phase 1 runs and the run stops before phase 2; run the same command again later.
        """;

    /// <summary>"t1=1,t2=0.5" (as separate list items) -> lambda_T per teacher name; each a finite number >= 0.</summary>
    public static Dictionary<string, double> ParseLambda(IReadOnlyList<string> items)
    {
        var result = new Dictionary<string, double>();
        foreach (var item in items)
        {
            int eq = item.IndexOf('=');
            if (eq <= 0 || !double.TryParse(item.AsSpan(eq + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= 0) || double.IsInfinity(v))
                throw new CommandArgsException($"--lambda: '{item}' is not TEACHER=WEIGHT with a weight >= 0 (e.g. t1=1,t2=0.5)");
            result[item[..eq]] = v;
        }
        return result;
    }

    /// <summary>
    /// The training list with every pseudo-anomaly clip (named in <paramref name="pseudoClips"/>, any split but test: its
    /// sped-up copies too) listed <paramref name="repeat"/> times. Repeats share the decoded frames; each epoch's shuffle
    /// mixes them with the rest.
    /// </summary>
    public static List<(ClipFrames Clip, string Split)> RepeatPseudoAnomalyClips(IReadOnlyList<(ClipFrames Clip, string Split)> clips, IReadOnlySet<string> pseudoClips, int repeat)
    {
        var result = clips.ToList();
        var repeated = clips.Where(c => c.Split != "test" && pseudoClips.Contains(c.Clip.Name)).ToList();
        for (int k = 1; k < repeat; k++) result.AddRange(repeated);
        return result;
    }

    /// <summary>Where <c>--export-epochs</c> writes the model after distillation epoch <paramref name="epoch"/> (1-based).</summary>
    public static string EpochExportPath(string runDir, int epoch) => Path.Combine(runDir, "epochs", $"epoch-{epoch:00}.onnx");

    /// <summary>F and region of a sped-up training copy "train-xF[-top|-bottom]" (see <see cref="PlaybackSpeed"/>), null for anything else.</summary>
    public static (double Factor, SpeedRegion Region)? SpeedupOf(string split) =>
        PlaybackSpeed.TryParseSplit(split, out string baseSplit, out double f, out var region) && baseSplit == "train" ? (f, region) : null;

    public static int Run(string[] argv)
    {
        var args = new CommandArgs(argv, "no-adversarial", "help", "export-epochs", "mirror");
        if (args.Flag("help")) { Console.WriteLine(Usage); return 0; }
        string datasetRoot = args.Require("dataset");
        string? teachersRoot = args.Get("teachers");
        string profile = args.GetOr("profile", "cpu");
        var cfg = StudentConfig.ForProfile(profile);
        int frames = args.GetInt("frames", cfg.Frames);
        cfg = cfg with { Frames = frames };
        var mode = args.GetOr("mode", "per-teacher") switch
        {
            "per-teacher" => AdversarialMode.PerTeacher,
            "three-class" => AdversarialMode.ThreeClass,
            "two-branch" => AdversarialMode.TwoBranch,
            var m => throw new CommandArgsException($"--mode: unknown '{m}' (per-teacher, three-class, two-branch)"),
        };
        var options = new TrainOptions
        {
            Phase1Epochs = args.GetInt("ae-epochs", 2),
            Phase2Epochs = args.GetInt("epochs", 20),
            BatchSize = args.GetInt("batch", 64),
            LearningRate = args.GetDouble("lr", 1e-4),
            WeightDecay = args.GetDouble("weight-decay", 1e-5),
            Alpha = args.GetDouble("alpha", 0.1),
            Adversarial = !args.Flag("no-adversarial"),
            Mode = mode,
            Seed = args.GetInt("seed", 42),
            MaxSteps = args.Has("max-steps") ? args.GetInt("max-steps", 0) : null,
            SampleStep = args.GetInt("sample-step", 1),
            EmaDecay = args.Has("ema-decay") ? args.GetDouble("ema-decay", 0) : null,
            SwaFromEpoch = args.Has("swa-from-epoch") ? args.GetInt("swa-from-epoch", 0) : null,
            MaxWeight = args.GetDouble("max-weight", 0),
            Mirror = args.Flag("mirror"),
        };
        if (!(options.MaxWeight >= 0) || double.IsInfinity(options.MaxWeight)) throw new CommandArgsException($"--max-weight must be a number >= 0, got {options.MaxWeight}");
        if (options.EmaDecay is { } emaDecay && !(emaDecay is > 0 and < 1)) throw new CommandArgsException($"--ema-decay must be in (0, 1), got {emaDecay}");
        if (options.SwaFromEpoch is not null && options.EmaDecay is not null) throw new CommandArgsException("give --ema-decay or --swa-from-epoch, not both");
        if (options.SwaFromEpoch is { } swaFrom && (swaFrom < 1 || swaFrom > options.Phase2Epochs))
            throw new CommandArgsException($"--swa-from-epoch must be a distillation epoch, 1..{options.Phase2Epochs} (--epochs), got {swaFrom}");
        // One thread by default: measured here, libtorch's 2 OpenMP threads on 2 shared cores ran a step 10-25x slower.
        int threads = args.GetInt("threads", 1);
        var splits = args.GetAll("distill-splits");
        if (splits.Count == 0) splits = ["train"];
        if (splits.Any(sp => sp is not ("train" or "test") && SpeedupOf(sp) is null))
            throw new CommandArgsException("--distill-splits takes train, test and sped-up training copies train-xF (F > 1, e.g. train-x1.5) or train-xF-top / train-xF-bottom (only that half sped up)");
        var dataset = VideoDataset.Open(datasetRoot);
        var holdOut = args.GetAll("hold-out");
        var unknownHoldOut = holdOut.Where(h => dataset.Train.All(v => v.Name != h)).ToList();
        if (unknownHoldOut.Count > 0) throw new CommandArgsException($"--hold-out: no training clip(s) {string.Join(", ", unknownHoldOut)}");
        var trainVideos = dataset.Train.Where(v => !holdOut.Contains(v.Name)).ToList();
        bool exportEpochs = args.Flag("export-epochs");
        string runDir = Path.GetFullPath(args.Get("run") ?? RepoPaths.Resolve(Path.Combine("runs", "student", $"{dataset.Name}-{profile}{(frames == 1 ? "-1frame" : "")}")));
        var lambdaByTeacher = ParseLambda(args.GetAll("lambda"));
        double? targetFloor = args.Has("target-floor") ? args.GetDouble("target-floor", 0) : null;
        if (targetFloor is { } tf && !(tf is >= 0 and < 1)) throw new CommandArgsException($"--target-floor must be a quantile in [0, 1), got {tf}");
        int pseudoRepeat = args.GetInt("pseudo-anomaly-repeat", 1);
        if (pseudoRepeat < 1) throw new CommandArgsException($"--pseudo-anomaly-repeat must be >= 1, got {pseudoRepeat}");
        var pseudoClips = trainVideos.Where(v => File.Exists(PseudoAnomalyLabels.PathFor(dataset.Root, v.Name))).Select(v => v.Name).ToHashSet();
        if (pseudoRepeat > 1 && pseudoClips.Count == 0)
            throw new CommandArgsException($"--pseudo-anomaly-repeat: {dataset.Root} has no pseudo-anomaly clips (no training/{PseudoAnomalyLabels.Folder}/*.txt; make them with ./vad teachers make-local)");
        args.RejectUnknown();
        Vad.Torch.TorchRuntime.EnsureLoaded(training: true);
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);

        Directory.CreateDirectory(runDir);
        using var log = new StreamWriter(Path.Combine(runDir, "train.log"), append: true) { AutoFlush = true };
        void Log(string line)
        {
            string stamped = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {line}";
            log.WriteLine(stamped);
            if (Console.IsOutputRedirected) Console.WriteLine(stamped);
        }
        Log($"command: ./vad train {string.Join(' ', argv)}");
        Log($"torch: {Vad.Torch.TorchRuntime.Status}; threads {TorchSharp.torch.get_num_threads()}");
        File.WriteAllText(Path.Combine(runDir, "config.json"), cfg.ToJson());
        File.WriteAllText(Path.Combine(runDir, "train-options.json"), JsonSerializer.Serialize(options, StudentConfig.Json));

        var sw = Stopwatch.StartNew();
        // Test clips only ever contribute their frames and the teachers' maps of them, never their labels.
        var clips = splits.SelectMany(sp => (sp == "test" ? dataset.Test : trainVideos)
            .Select(v => (Clip: SpeedupOf(sp) is { } c ? StudentInput.SpedUp(StudentInput.Decode(v, cfg), c.Factor, c.Region) : StudentInput.Decode(v, cfg), Split: sp))).ToList();
        Log($"decoded {clips.Count} clips ({string.Join("+", splits)}), {clips.Sum(c => c.Clip.Frames.Count)} frames at {cfg.InputWidth}x{cfg.InputHeight} in {sw.Elapsed.TotalSeconds:0.0} s");
        if (pseudoRepeat > 1)
        {
            int before = clips.Count, framesBefore = clips.Sum(c => c.Clip.Frames.Count);
            clips = RepeatPseudoAnomalyClips(clips, pseudoClips, pseudoRepeat);
            Log($"pseudo-anomaly clips (with their sped-up copies) distilled on {pseudoRepeat} times per epoch: {before} -> {clips.Count} clips, " +
                $"{framesBefore} -> {clips.Sum(c => c.Clip.Frames.Count)} frames");
        }
        if (holdOut.Count > 0) Log($"training clips {string.Join(",", holdOut)} held out (not distilled on; for `./vad select-epoch`)");
        if (splits.Contains("test")) Log("TRANSDUCTIVE distillation: the student also imitates the teachers on the unlabelled test frames (no labels are read)");

        bool haveMaps = teachersRoot is not null && Directory.Exists(Path.Combine(teachersRoot, "maps"))
                        && Directory.GetDirectories(Path.Combine(teachersRoot, "maps")).Length > 0;
        if (!haveMaps) Log($"no teacher maps under {teachersRoot ?? "(no --teachers)"}/maps: phase 1 only, phase 2 when they exist");
        var data = new CachedDistillationData(cfg, clips, haveMaps ? teachersRoot : null, floorQuantile: targetFloor);
        foreach (var (t, s) in data.TeacherScales) Log($"teacher {t}: maps divided by {s.ToString("G6", CultureInfo.InvariantCulture)} (99th percentile of its training frame scores)");
        foreach (var (t, f) in data.TeacherFloors)
            Log($"teacher {t}: target = max(0, map - {f.ToString("G6", CultureInfo.InvariantCulture)}) (floor = quantile {targetFloor!.Value.ToString(CultureInfo.InvariantCulture)} of its scaled training frame scores)");
        if (lambdaByTeacher.Count > 0 && data.Teachers.Count > 0)
        {
            var unknown = lambdaByTeacher.Keys.Where(t => !data.Teachers.Contains(t)).ToList();
            if (unknown.Count > 0) throw new CommandArgsException($"--lambda: no teacher {string.Join(", ", unknown)} (teachers: {string.Join(", ", data.Teachers)})");
            options = options with { Lambda = data.Teachers.Select(t => lambdaByTeacher.GetValueOrDefault(t, 1.0)).ToArray() };
            File.WriteAllText(Path.Combine(runDir, "train-options.json"), JsonSerializer.Serialize(options, StudentConfig.Json));
            Log($"lambda: {string.Join(", ", data.Teachers.Select((t, i) => $"{t} {options.Lambda![i].ToString(CultureInfo.InvariantCulture)}"))}");
        }

        var runData = new RunData($"{dataset.Name} {string.Join(" + ", splits.Select(sp => sp == "test" ? "test (unlabelled frames + teacher maps, transductive)" : SpeedupOf(sp) is { } k ? $"train played {k.Factor.ToString(CultureInfo.InvariantCulture)}x faster{(k.Region == SpeedRegion.Frame ? "" : $" in the {k.Region.ToString().ToLowerInvariant()} half")}" : "train"))} " +
                                  $"({clips.Count} clips, {data.Count} frames{(pseudoRepeat > 1 ? $"; pseudo-anomaly clips x{pseudoRepeat} per epoch" : "")}{(holdOut.Count > 0 ? $"; training clips {string.Join(",", holdOut)} held out" : "")}) at {dataset.Root}",
            data.TeacherHashes.ToDictionary(), data.TeacherScales.ToDictionary(), data.TeacherFloors.Count > 0 ? data.TeacherFloors.ToDictionary() : null,
            options, $"./vad train {string.Join(' ', argv)}");
        if (data.Teachers.Count > 0) File.WriteAllText(Path.Combine(runDir, "data.json"), JsonSerializer.Serialize(runData, StudentConfig.Json));
        using var trainer = new StudentTrainer(cfg, options, data, runDir);
        Log($"kernels: {Vad.Torch.TorchRuntime.TrainingKernels}");
        if (trainer.TryResume()) Log($"resumed at phase {trainer.State.Phase}, epoch {trainer.State.Epoch}, step {trainer.State.StepInEpoch} (global {trainer.State.GlobalStep})");
        Log($"{data.Count} samples ({trainer.SamplesPerEpoch} per epoch with --sample-step {options.SampleStep}), batch {Math.Min(options.BatchSize, data.Count)}, {trainer.StepsPerEpoch} steps per epoch, {trainer.TotalSteps} steps in all");

        void OnEpoch(EpochMetrics m)
        {
            Log(m.Phase == 1
                ? $"phase 1 epoch {m.Epoch + 1}: reconstruction MSE {m.Reconstruction:0.00000} ({m.Seconds:0} s)"
                : $"phase 2 epoch {m.Epoch + 1}: KD {m.Distillation:0.00000} adversarial {m.Adversarial:0.0000} discriminator {m.Discriminator:0.0000} ({m.Seconds:0} s)");
            WriteMetrics(runDir, trainer.State);
            if (exportEpochs && m.Phase == 2)
            {
                string path = EpochExportPath(runDir, m.Epoch + 1);
                var em = Export(trainer.ExportedStudent, path, runData, trainer.State, trainer.ExportedDecay, trainer.ExportedAveragedEpochs);
                Log($"exported epoch {m.Epoch + 1}: {path} (version {em.Version[..12]})");
            }
        }
        long lastLogged = 0;
        void LogStep(StepReport r)
        {
            if (r.GlobalStep - lastLogged < 5 && r.StepInEpoch != r.StepsPerEpoch) return;
            lastLogged = r.GlobalStep;
            double eta = (r.TotalSteps - r.GlobalStep) / Math.Max(1e-9, r.StepsPerSecond);
            Log($"{Describe(r)} | {r.GlobalStep}/{r.TotalSteps} | {r.StepsPerSecond:0.00} it/s | ETA {TimeSpan.FromSeconds(eta):hh\\:mm\\:ss}");
        }

        if (Console.IsOutputRedirected)
            trainer.Run(LogStep, OnEpoch);
        else
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: trainer.TotalSteps);
                    task.Value = trainer.State.GlobalStep;
                    trainer.Run(r =>
                    {
                        task.Description = Markup.Escape($"{Describe(r)} {r.StepsPerSecond:0.00} it/s");
                        task.Value = r.GlobalStep;
                        LogStep(r);
                    }, OnEpoch);
                });
        WriteMetrics(runDir, trainer.State);

        if (!trainer.State.Finished)
        {
            Log(trainer.State.Phase == 2 && data.Teachers.Count == 0
                ? "phase 1 finished; phase 2 needs the teacher maps: run the same command again once they exist"
                : $"stopped at step {trainer.State.GlobalStep} (--max-steps); run the same command to resume");
            return 0;
        }
        string onnx = Path.Combine(runDir, "student.onnx");
        var manifest = Export(trainer.ExportedStudent, onnx, runData, trainer.State, trainer.ExportedDecay, trainer.ExportedAveragedEpochs);
        Log($"exported {onnx} ({new FileInfo(onnx).Length / 1e6:0.0} MB), version {manifest.Version}");
        return 0;
    }

    private static string Describe(StepReport r) => r.Phase == 1
        ? $"phase 1 (AE) epoch {r.Epoch + 1}/{r.EpochsInPhase} step {r.StepInEpoch}/{r.StepsPerEpoch} recon {r.Loss.Reconstruction:0.00000}"
        : $"phase 2 (KD) epoch {r.Epoch + 1}/{r.EpochsInPhase} step {r.StepInEpoch}/{r.StepsPerEpoch} KD {r.Loss.Distillation:0.00000} adv {r.Loss.Adversarial:0.000} D {r.Loss.Discriminator:0.000}";

    /// <summary>What the run was trained on (run folder's data.json): copied into every exported manifest.</summary>
    public sealed record RunData(string TrainingData, Dictionary<string, string> TeacherHashes, Dictionary<string, float> TeacherScales,
        Dictionary<string, float>? TeacherFloors = null, TrainOptions? Options = null, string? Command = null);

    /// <summary>Exports the student to ONNX and writes the manifest next to it.</summary>
    public static StudentManifest Export(StudentNetwork student, string onnxPath, RunData? runData, TrainState? state, double? emaDecay = null,
        int? averagedEpochs = null)
    {
        byte[] bytes = OnnxExporter.Export(student);
        if (Path.GetDirectoryName(Path.GetFullPath(onnxPath)) is { } parent) Directory.CreateDirectory(parent);
        string tmp = onnxPath + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, onnxPath, overwrite: true);
        var cfg = student.Config;
        var metrics = new Dictionary<string, double>();
        if (state?.History.LastOrDefault(h => h.Phase == 2) is { } last)
        {
            metrics["train_distillation_mse"] = last.Distillation;
            metrics["train_adversarial"] = last.Adversarial;
        }
        if (state is not null)
        {
            metrics["phase1_epochs"] = state.History.Count(h => h.Phase == 1);
            metrics["phase2_epochs"] = state.History.Count(h => h.Phase == 2);
            metrics["steps"] = state.GlobalStep;
        }
        if (state?.History.LastOrDefault(h => h.Phase == 1) is { } ae) metrics["train_reconstruction_mse"] = ae.Reconstruction;
        if (emaDecay is { } d) metrics["weights_ema_decay"] = d;
        if (averagedEpochs is { } n) metrics["weights_swa_epochs"] = n;
        if (runData is not null)
        {
            foreach (var (t, s) in runData.TeacherScales) metrics[$"teacher_scale_{t}"] = s;
            foreach (var (t, f) in runData.TeacherFloors ?? []) metrics[$"teacher_floor_{t}"] = f;
        }
        var manifest = new StudentManifest
        {
            Version = StudentManifest.HashFile(onnxPath),
            InputWidth = cfg.InputWidth,
            InputHeight = cfg.InputHeight,
            Channels = cfg.Channels,
            Frames = cfg.Frames,
            StrideT = cfg.StrideT,
            Normalisation = "pixel/255",
            Heads = cfg.HeadResolutions,
            Profile = cfg.Profile,
            CreatedUtc = DateTime.UtcNow,
            TrainingData = runData?.TrainingData ?? "",
            TeacherHashes = runData?.TeacherHashes ?? new(),
            Metrics = metrics,
            TrainCommand = runData?.Command ?? "",
            TrainOptions = runData?.Options is { } o ? JsonSerializer.SerializeToNode(o, StudentConfig.Json) as System.Text.Json.Nodes.JsonObject : null,
        };
        manifest.Save(StudentManifest.PathFor(onnxPath));
        return manifest;
    }

    /// <summary><c>./vad export --run DIR [--out FILE.onnx]</c>: the run's last checkpoint to ONNX + manifest.</summary>
    public static int ExportRun(string[] argv)
    {
        var args = new CommandArgs(argv);
        string runDir = args.Require("run");
        string outPath = args.GetOr("out", Path.Combine(runDir, "student.onnx"));
        args.RejectUnknown();
        string ckpt = Path.Combine(runDir, "checkpoint");
        if (!File.Exists(Path.Combine(ckpt, "student.bin"))) throw new FileNotFoundException($"no checkpoint in {runDir}");
        Vad.Torch.TorchRuntime.EnsureLoaded();
        var cfg = StudentConfig.FromJson(File.ReadAllText(Path.Combine(ckpt, "config.json")));
        using var student = new StudentNetwork(cfg);
        // A run trained with --ema-decay exports its averaged weights, as its epoch exports did.
        string weights = File.Exists(Path.Combine(ckpt, StudentTrainer.AveragedStudentFile)) ? StudentTrainer.AveragedStudentFile : "student.bin";
        student.load(Path.Combine(ckpt, weights));
        var state = JsonSerializer.Deserialize<TrainState>(File.ReadAllText(Path.Combine(ckpt, "state.json")));
        string dataPath = Path.Combine(runDir, "data.json");
        var runData = File.Exists(dataPath) ? JsonSerializer.Deserialize<RunData>(File.ReadAllText(dataPath), StudentConfig.Json) : null;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        string optionsPath = Path.Combine(runDir, "train-options.json");
        var options = File.Exists(optionsPath) ? JsonSerializer.Deserialize<TrainOptions>(File.ReadAllText(optionsPath), StudentConfig.Json) : null;
        // Runs whose data.json predates the recorded options still have them in train-options.json.
        if (runData is not null && runData.Options is null && options is not null) runData = runData with { Options = options };
        double? decay = weights == "student.bin" ? null : options?.EmaDecay;
        int? swaEpochs = weights == "student.bin" || options?.SwaFromEpoch is null ? null : state?.AveragedEpochs;
        var manifest = Export(student, outPath, runData, state, decay, swaEpochs);
        Console.WriteLine($"exported {outPath} ({new FileInfo(outPath).Length / 1e6:0.0} MB) from {ckpt} at phase {state?.Phase} epoch {state?.Epoch} " +
                          $"step {state?.GlobalStep}{(state?.Finished == true ? " (finished)" : " (unfinished run)")}{(weights == "student.bin" ? "" : ", averaged weights")}; version {manifest.Version}");
        return 0;
    }

    private static void WriteMetrics(string runDir, TrainState state)
    {
        File.WriteAllText(Path.Combine(runDir, "metrics.json"), JsonSerializer.Serialize(state.History, StudentConfig.Json));
        if (state.History.Count == 0) return;
        var plot = new ScottPlot.Plot();
        Vad.Core.Evaluation.EvalReport.UseSystemFont(plot);
        var p1 = state.History.Where(h => h.Phase == 1).ToList();
        var p2 = state.History.Where(h => h.Phase == 2).ToList();
        double[] X(List<EpochMetrics> l, int offset) => l.Select((_, i) => (double)(i + 1 + offset)).ToArray();
        if (p1.Count > 0) plot.Add.ScatterLine(X(p1, 0), p1.Select(h => h.Reconstruction).ToArray()).LegendText = "phase 1 reconstruction MSE";
        if (p2.Count > 0)
        {
            plot.Add.ScatterLine(X(p2, p1.Count), p2.Select(h => h.Distillation).ToArray()).LegendText = "phase 2 distillation MSE";
            if (p2.Any(h => h.Adversarial != 0))
            {
                plot.Add.ScatterLine(X(p2, p1.Count), p2.Select(h => h.Adversarial).ToArray()).LegendText = "generator adversarial";
                plot.Add.ScatterLine(X(p2, p1.Count), p2.Select(h => h.Discriminator).ToArray()).LegendText = "discriminator";
            }
        }
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "mean loss per epoch";
        plot.Title("Student training losses");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(runDir, "loss.png"), 900, 500);
    }
}
