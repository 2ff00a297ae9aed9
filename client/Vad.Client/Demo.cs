using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using Vad.Contracts;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Evaluation;
using Vad.Core.Frames;
using Vad.Core.Models;
using Vad.Core;

namespace Vad.Client;

/// <summary>
/// The main job on the embedded default: an in-process silo (localhost clustering, memory storage, the shipped student)
/// scores the Ped2 test clips streamed through camera grains; prints alerts and per-clip AUC; writes plots.
/// Alert thresholds are calibrated on Ped2 training clips (normal data only), never on test labels.
/// </summary>
public static class Demo
{
    public static string ShippedStudent => RepoPaths.Resolve("models/ped2/student.onnx");

    /// <summary>The shipped student, or a generated motion-energy baseline (said loudly) when none is shipped yet.</summary>
    public static string ResolveModel(string? requested, string outDir, out bool isBaseline)
    {
        isBaseline = false;
        string? path = requested ?? (Environment.GetEnvironmentVariable("VAD_MODEL") is { Length: > 0 } env ? env : null);
        path ??= File.Exists(ShippedStudent) ? ShippedStudent : null;
        if (path is not null)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"model not found: {path}", path);
            isBaseline = File.Exists(StudentManifest.PathFor(path)) && StudentManifest.Load(StudentManifest.PathFor(path)).Profile == MotionEnergyModel.Profile;
            return path;
        }
        string generated = Path.Combine(outDir, "motion-energy.onnx");
        MotionEnergyModel.Write(generated);
        isBaseline = true;
        AnsiConsole.MarkupLine($"[yellow]no trained student at {ShippedStudent}: serving a generated motion-energy baseline ({Markup.Escape(generated)}), not the paper's student[/]");
        return generated;
    }

    public static async Task<int> RunAsync(CommandArgs a)
    {
        string outDir = a.Get("out") ?? RepoPaths.Resolve("runs/demo");
        string? modelArg = a.Get("model");
        var clipFilter = a.GetAll("clips");
        int calibrationClips = a.GetInt("calibration-clips", 3);
        double sigma = a.GetDouble("sigma", 3);
        a.RejectUnknown();

        var total = Stopwatch.StartNew();
        string root = KnownDatasets.FindPed2() ?? throw new DatasetException($"UCSD Ped2 not found (set {KnownDatasets.Ped2Variable} or place it at ../shared/data/ped2)");
        var dataset = VideoDataset.Open(root);
        var test = dataset.Test.Where(v => clipFilter.Count == 0 || clipFilter.Contains(v.Name)).ToList();
        if (test.Count == 0) throw new CommandArgsException($"--clips {string.Join(",", clipFilter)} matches no Ped2 test clip");
        Directory.CreateDirectory(outDir);
        string modelPath = ResolveModel(modelArg, outDir, out bool baseline);

        AnsiConsole.MarkupLine($"[bold]vad demo[/]: Ped2 at {Markup.Escape(root)}; starting an in-process silo (localhost clustering, memory storage) serving {Markup.Escape(modelPath)}");
        await using var silo = await InProcessSilo.StartAsync(modelPath);
        await using var conn = await ClusterConnection.ConnectAsync(silo.Config);
        var client = conn.Client;
        var model = await ClusterQueries.WaitForModelAsync(client, TimeSpan.FromSeconds(60));
        AnsiConsole.MarkupLine($"model {model.Version[..12]}: {model.InputWidth}x{model.InputHeight}, {model.Channels} channel(s), stride t = {model.StrideT}, heads {string.Join(",", model.Heads)}");
        // Say what the model learned from: the AUCs below mean something different when it saw the test frames.
        string trainingData = File.Exists(StudentManifest.PathFor(modelPath)) ? StudentManifest.Load(StudentManifest.PathFor(modelPath)).TrainingData : "";
        if (!string.IsNullOrWhiteSpace(trainingData))
            AnsiConsole.MarkupLine($"model training data: {Markup.Escape(trainingData)}");
        if (trainingData.Contains("transductive", StringComparison.OrdinalIgnoreCase))
            AnsiConsole.MarkupLine("[yellow]this model imitated the teachers on the (unlabelled) test frames: its AUCs are transductive, not the paper's train-only protocol[/]");

        // 1. Thresholds from normal training clips: upper = 99th, lower = 95th percentile of the causally smoothed score.
        var calib = dataset.Train.Take(calibrationClips).ToList();
        var baseSettings = new CameraSettings { Sigma = sigma, Fps = 10 };
        var calibScores = new List<float>();
        await StreamClipsAsync(client, calib.Select(v => ($"calibration-{v.Name}", v.Source)).ToList(), model, baseSettings, "calibrating on training clips");
        foreach (var v in calib)
            calibScores.AddRange((await client.GetGrain<ICameraGrain>($"calibration-{v.Name}").GetScores(0, int.MaxValue)).Select(s => s.Smoothed));
        var sorted = calibScores.Select(s => (double)s).Order().ToArray();
        double upper = Percentile(sorted, 99), lower = Percentile(sorted, 95);
        var settings = baseSettings with { UpperThreshold = upper, LowerThreshold = lower, OpenAfterFrames = 3 };
        AnsiConsole.MarkupLine($"thresholds from {calib.Count} normal training clip(s) ({sorted.Length} frames): upper {upper:0.0000} (p99), lower {lower:0.0000} (p95), open after {settings.OpenAfterFrames} frames, causal sigma {sigma}");

        // 2. The test clips, all cameras at once, lossless at full speed.
        var cams = test.Select(v => ($"ped2-test-{v.Name}", v.Source)).ToList();
        var sw = Stopwatch.StartNew();
        await StreamClipsAsync(client, cams, model, settings, "streaming Ped2 test clips");
        double seconds = sw.Elapsed.TotalSeconds;

        // 3. Scores, alerts, AUC.
        var raw = new Dictionary<string, double[]>();
        var causal = new Dictionary<string, double[]>();
        var alertsByClip = new Dictionary<string, List<Alert>>();
        long received = 0, scored = 0, dropped = 0;
        foreach (var v in test)
        {
            var cam = client.GetGrain<ICameraGrain>($"ped2-test-{v.Name}");
            var st = await cam.GetStatus();
            received += st.Received; scored += st.Scored; dropped += st.Dropped;
            var pts = await cam.GetScores(0, int.MaxValue);
            int n = v.Labels!.Length;
            if (pts.Count != n)
                throw new InvalidDataException($"clip {v.Name}: {pts.Count} scores for {n} labelled frames (received {st.Received}, dropped {st.Dropped})");
            raw[v.Name] = pts.Select(p => (double)p.Raw).ToArray();
            causal[v.Name] = pts.Select(p => (double)p.Smoothed).ToArray();
            alertsByClip[v.Name] = await cam.GetAlerts(null);
        }
        var videos = test.Select(v => (v.Name, v.Labels!)).ToList();
        var rawEval = FrameLevelEvaluator.Evaluate(videos, raw, new EvalOptions { Sigma = 0 }, root, "cluster (raw)");
        var causalEval = FrameLevelEvaluator.Evaluate(videos, causal, new EvalOptions { Sigma = 0 }, root, $"cluster (causal smoothing sigma {sigma})");
        var offlineEval = FrameLevelEvaluator.Evaluate(videos, raw, new EvalOptions { Sigma = sigma }, root, $"cluster (offline Gaussian sigma {sigma})");

        var at = new Table().Title("alerts").AddColumns("clip", "#", "frames", "peak", "peak frame", "peak at (x, y)", "abnormal frames inside");
        foreach (var v in test)
            foreach (var x in alertsByClip[v.Name])
            {
                long s0 = x.StartSequence, s1 = x.EndSequence ?? v.Labels!.Length - 1;
                int inside = 0;
                for (long f = s0; f <= s1 && f < v.Labels!.Length; f++) inside += v.Labels[f] != 0 ? 1 : 0;
                at.AddRow(v.Name, x.Id.ToString(), $"{s0}-{s1}", x.PeakScore.ToString("0.0000"), x.PeakSequence.ToString(),
                    $"({x.PeakX:0.00}, {x.PeakY:0.00})", $"{inside}/{s1 - s0 + 1}");
            }
        AnsiConsole.Write(at);

        var t = new Table().Title("per-clip frame-level AUC").AddColumns("clip", "frames", "abnormal", "alerts", "AUC raw", $"AUC causal (sigma {sigma})", $"AUC offline (sigma {sigma})");
        for (int i = 0; i < test.Count; i++)
        {
            var v = test[i];
            t.AddRow(v.Name, v.Labels!.Length.ToString(), rawEval.PerVideo[i].Abnormal.ToString(), alertsByClip[v.Name].Count.ToString(),
                F(rawEval.PerVideo[i].Auc), F(causalEval.PerVideo[i].Auc), F(offlineEval.PerVideo[i].Auc));
        }
        t.AddRow("[bold]micro[/]", rawEval.Frames.ToString(), rawEval.AbnormalFrames.ToString(), alertsByClip.Values.Sum(l => l.Count).ToString(),
            F(rawEval.MicroAuc), F(causalEval.MicroAuc), F(offlineEval.MicroAuc));
        t.AddRow("[bold]macro[/]", "", "", "", F(rawEval.MacroAuc), F(causalEval.MacroAuc), F(offlineEval.MacroAuc));
        AnsiConsole.Write(t);
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(FrameLevelEvaluator.MacroRule)}[/]");
        AnsiConsole.MarkupLine($"frames: received {received}, scored {scored}, dropped {dropped}; {scored / Math.Max(1e-9, seconds):0.0} frames/s over {test.Count} cameras");

        // 4. Artefacts: a scores folder for ./vad eval, plots, a JSON summary.
        string scoresDir = Path.Combine(outDir, "scores");
        Directory.CreateDirectory(scoresDir);
        foreach (var (name, s) in raw)
            File.WriteAllLines(Path.Combine(scoresDir, name + ".txt"), s.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        var plots = EvalReport.WritePlots(causalEval, Path.Combine(outDir, "plots"));
        var summary = new
        {
            command = "./vad demo " + string.Join(" ", Environment.GetCommandLineArgs().Skip(2)),
            created_utc = DateTime.UtcNow,
            model = new { path = modelPath, version = model.Version, baseline_not_student = baseline },
            thresholds = new { upper, lower, open_after_frames = settings.OpenAfterFrames, sigma, calibration = calib.Select(v => "training/" + v.Name).ToArray() },
            frames = new { received, scored, dropped, seconds, fps = scored / Math.Max(1e-9, seconds) },
            auc_raw = new { micro = rawEval.MicroAuc, macro = rawEval.MacroAuc },
            auc_causal = new { micro = causalEval.MicroAuc, macro = causalEval.MacroAuc },
            auc_offline = new { micro = offlineEval.MicroAuc, macro = offlineEval.MacroAuc },
            macro_rule = FrameLevelEvaluator.MacroRule,
            per_clip = test.Select((v, i) => new { clip = v.Name, auc_raw = rawEval.PerVideo[i].Auc, auc_causal = causalEval.PerVideo[i].Auc, alerts = alertsByClip[v.Name] }),
        };
        File.WriteAllText(Path.Combine(outDir, "demo.json"), JsonSerializer.Serialize(summary, Commands.Json));
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(scoresDir)} (./vad eval --scores), {plots.Count} plot(s) in {Markup.Escape(Path.Combine(outDir, "plots"))}, {Markup.Escape(Path.Combine(outDir, "demo.json"))}; {total.Elapsed.TotalSeconds:0} s in all");
        if (baseline)
            AnsiConsole.MarkupLine("[yellow]these figures are those of the motion-energy baseline, not of the distilled student[/]");
        if (dropped != 0) AnsiConsole.MarkupLine($"[red]{dropped} frame(s) dropped[/]");
        return dropped == 0 ? 0 : 1;
    }

    /// <summary>Streams each (camera, source) concurrently at full speed (lossless) and waits until every frame is settled.</summary>
    public static async Task StreamClipsAsync(IClusterClient client, IReadOnlyList<(string Camera, string Source)> clips, ModelInfo model,
        CameraSettings settings, string title)
    {
        var stats = new IngestStats();
        long totalFrames = 0;
        var sources = new List<IFrameSource>();
        try
        {
            foreach (var (_, source) in clips)
            {
                var src = FrameSource.Open(source, Ingest.SourceOptions(model));
                sources.Add(src);
                totalFrames += src.Info.FrameCount ?? 0;
            }
            foreach (var (camera, _) in clips) await client.GetGrain<ICameraGrain>(camera).UpdateSettings(settings);
            var sw = Stopwatch.StartNew();
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(title, maxValue: Math.Max(1, totalFrames));
                    var runs = clips.Select((c, i) => Task.Run(async () =>
                    {
                        var cam = client.GetGrain<ICameraGrain>(c.Camera);
                        await Ingest.RunAsync(cam, sources[i].ReadFrames().Select(f => Ingest.ToMessage(f, f.Index)), IngestMode.Lossless, stats);
                        await Ingest.WaitSettledAsync(cam, TimeSpan.FromMinutes(5));
                    })).ToArray();
                    var all = Task.WhenAll(runs);
                    while (!all.IsCompleted)
                    {
                        await Task.WhenAny(all, Task.Delay(250));
                        task.Value = stats.Sent;
                        task.Description = $"{title}: {stats.Sent / Math.Max(1e-3, sw.Elapsed.TotalSeconds),6:0.0} frames/s";
                    }
                    await all;
                    task.Value = task.MaxValue;
                });
        }
        finally
        {
            foreach (var s in sources) s.Dispose();
        }
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        double rank = p / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    private static string F(double? v) => v is null ? "n/a" : v.Value.ToString("0.000");
}
