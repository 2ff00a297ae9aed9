using System.Diagnostics;
using System.Globalization;
using SkiaSharp;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Maps;
using Vad.Core.Models;
using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Student.Training;

namespace Vad.Student.Scoring;

/// <summary><c>./vad score --model FILE.onnx --dataset DIR --split test --out DIR</c> (ONNX Runtime, batched).</summary>
public static class ScoreCommand
{
    public const string Usage = """
        usage: ./vad score --model FILE.onnx --dataset DIR --split test|train --out DIR [options]
          --batch N          frames per ONNX Runtime call (default 32)
          --threads N        ONNX Runtime intra-op threads (default: all cores)
          --videos 01,02     only these clips
          --teachers DIR     teacher map cache for the comparison plots (default .cache/teachers/<dataset> if present)
          --overlays N       anomaly-map overlay PNGs (default 4)
        Writes <out>/<video>.txt (frame score = mean over heads of each map's maximum, one per line), <out>/maps/<video>.maps
        (the largest head's map per frame, AnomalyMapCache format), <out>/student-vs-teachers/<video>.png, <out>/overlays/*.png.
        """;

    public static int Run(string[] argv)
    {
        var args = new CommandArgs(argv, "help");
        if (args.Flag("help")) { Console.WriteLine(Usage); return 0; }
        string modelPath = args.Require("model");
        var dataset = VideoDataset.Open(args.Require("dataset"));
        string split = args.GetOr("split", "test");
        string outDir = args.Require("out");
        int batch = args.GetInt("batch", 32);
        int threads = args.GetInt("threads", 0);
        int overlays = args.GetInt("overlays", 4);
        var only = args.GetAll("videos");
        string? teachersRoot = args.Get("teachers");
        args.RejectUnknown();
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"no model at {modelPath}");
        string manifestPath = StudentManifest.PathFor(modelPath);
        if (!File.Exists(manifestPath)) throw new FileNotFoundException($"no manifest next to the model ({manifestPath})");
        var manifest = StudentManifest.Load(manifestPath);
        string actual = StudentManifest.HashFile(modelPath);
        if (!string.Equals(actual, manifest.Version, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{modelPath}: sha256 {actual} does not match the manifest's version {manifest.Version}");
        var videos = (split switch
        {
            "test" => dataset.Test,
            "train" => dataset.Train,
            _ => throw new CommandArgsException($"--split must be test or train, got '{split}'"),
        }).Where(v => only.Count == 0 || only.Contains(v.Name)).ToList();
        if (videos.Count == 0) throw new CommandArgsException("no clips to score");
        teachersRoot ??= Path.Combine(".cache", "teachers", dataset.Name);

        var cfg = StudentConfig.FromManifest(manifest);
        using var session = new StudentSession(modelPath, threads);
        if (session.InputChannels != cfg.InputChannels || session.InputHeight != cfg.InputHeight || session.InputWidth != cfg.InputWidth)
            throw new InvalidDataException($"{modelPath}: input [{session.InputChannels}, {session.InputHeight}, {session.InputWidth}] disagrees with the manifest");
        Directory.CreateDirectory(outDir);
        var results = new List<(DatasetVideo Video, ClipFrames Clip, float[] Scores, float[][] Maps, int R)>();
        var sw = Stopwatch.StartNew();
        double inferSeconds = 0;
        long frames = 0;

        void ScoreAll(Action<string, double> progress)
        {
            foreach (var video in videos)
            {
                var clip = StudentInput.Decode(video, cfg);
                var (scores, maps, r, secs) = ScoreClip(session, clip, cfg, batch);
                inferSeconds += secs;
                frames += clip.Frames.Count;
                File.WriteAllLines(Path.Combine(outDir, video.Name + ".txt"), scores.Select(s => s.ToString("R", CultureInfo.InvariantCulture)));
                AnomalyMapCache.Write(Path.Combine(outDir, "maps", video.Name + ".maps"),
                    new AnomalyMapHeader
                    {
                        Teacher = "student", Split = split, Video = video.Name, FrameWidth = cfg.InputWidth, FrameHeight = cfg.InputHeight,
                        Resolutions = [r], WeightsSha256 = manifest.Version,
                    },
                    scores.Select((s, i) => new FrameMaps(s, [maps[i]])).ToList());
                results.Add((video, clip, scores, maps, r));
                progress(video.Name, clip.Frames.Count);
            }
        }

        if (Console.IsOutputRedirected)
            ScoreAll((name, n) => Console.WriteLine($"scored {split}/{name}: {n} frames"));
        else
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"scoring {videos.Count} {split} clips", maxValue: videos.Count);
                    ScoreAll((name, _) => { task.Description = $"scored {split}/{name}"; task.Increment(1); });
                });
        Console.WriteLine($"scored {frames} frames of {videos.Count} clips in {sw.Elapsed.TotalSeconds:0.0} s " +
                          $"(ONNX Runtime {frames / Math.Max(1e-9, inferSeconds):0.0} frames/s at batch {batch}); scores in {outDir}");

        Plots.WriteComparisons(outDir, results.Select(r => (r.Video, r.Scores)).ToList(), teachersRoot, split);
        Plots.WriteOverlays(Path.Combine(outDir, "overlays"), results.Select(r => (r.Video, r.Clip, r.Scores, r.Maps, r.R)).ToList(), overlays);
        return 0;
    }

    /// <summary>Scores one clip: frame score = mean over heads of each head map's maximum; also returns the largest head's maps.</summary>
    public static (float[] Scores, float[][] Maps, int R, double Seconds) ScoreClip(StudentSession session, ClipFrames clip, StudentConfig cfg, int batch)
    {
        int n = clip.Frames.Count, size = session.FrameSize;
        var scores = new float[n];
        int big = Array.IndexOf(session.HeadResolutions, session.HeadResolutions.Max());
        int r = session.HeadResolutions[big];
        var maps = new float[n][];
        var buf = new float[batch * size];
        var sw = new Stopwatch();
        for (int start = 0; start < n; start += batch)
        {
            int b = Math.Min(batch, n - start);
            for (int i = 0; i < b; i++) StudentInput.Fill(clip, start + i, cfg, buf.AsSpan(i * size, size));
            sw.Start();
            var outs = session.Run(b == batch ? buf : buf[..(b * size)], b);
            sw.Stop();
            for (int i = 0; i < b; i++)
            {
                double s = 0;
                for (int h = 0; h < outs.Length; h++)
                {
                    int rr = session.HeadResolutions[h] * session.HeadResolutions[h];
                    float m = float.NegativeInfinity;
                    foreach (float v in outs[h].AsSpan(i * rr, rr)) if (v > m) m = v;
                    s += m;
                }
                scores[start + i] = (float)(s / outs.Length);
                maps[start + i] = outs[big].AsSpan(i * r * r, r * r).ToArray();
            }
        }
        return (scores, maps, r, sw.Elapsed.TotalSeconds);
    }
}

/// <summary>The paper's Figures 4-6 (student vs teachers vs ground truth per clip) and Figure 10 (map overlays).</summary>
public static class Plots
{
    private static double[] MinMax(IReadOnlyList<float> s)
    {
        double lo = s.Min(), hi = s.Max();
        return s.Select(v => hi > lo ? (v - lo) / (hi - lo) : 0).ToArray();
    }

    public static void WriteComparisons(string outDir, IReadOnlyList<(DatasetVideo Video, float[] Scores)> clips, string teachersRoot, string split)
    {
        string dir = Path.Combine(outDir, "student-vs-teachers");
        Directory.CreateDirectory(dir);
        var teachers = Directory.Exists(Path.Combine(teachersRoot, "maps"))
            ? Directory.GetDirectories(Path.Combine(teachersRoot, "maps")).Select(Path.GetFileName).OfType<string>().Order().ToList()
            : [];
        foreach (var (video, scores) in clips)
        {
            var plot = new ScottPlot.Plot();
            Vad.Core.Evaluation.EvalReport.UseSystemFont(plot);
            double[] xs = Enumerable.Range(0, scores.Length).Select(i => (double)i).ToArray();
            if (video.Labels is { } labels)
            {
                var gt = plot.Add.ScatterLine(xs, labels.Take(scores.Length).Select(l => (double)l).ToArray());
                gt.LegendText = "ground truth";
                gt.LineWidth = 6;
                gt.Color = ScottPlot.Colors.LightGray;
            }
            foreach (string t in teachers)
            {
                string path = AnomalyMapCache.VideoPath(teachersRoot, t, split, video.Name);
                if (!File.Exists(path)) continue;
                var file = AnomalyMapCache.Read(path);
                if (file.Frames.Count != scores.Length) continue;
                plot.Add.ScatterLine(xs, MinMax(file.Frames.Select(f => f.Score).ToList())).LegendText = $"teacher {t}";
            }
            var st = plot.Add.ScatterLine(xs, MinMax(scores));
            st.LegendText = "student";
            st.LineWidth = 2;
            plot.Title($"{split} clip {video.Name}: frame scores (min-max per clip)");
            plot.Axes.Bottom.Label.Text = "frame";
            plot.Axes.Left.Label.Text = "score";
            plot.ShowLegend();
            plot.SavePng(Path.Combine(dir, video.Name + ".png"), 1000, 320);
        }
    }

    /// <summary>The frame with the highest student score of the first <paramref name="count"/> clips that have one, the largest head's map in red.</summary>
    public static void WriteOverlays(string dir, IReadOnlyList<(DatasetVideo Video, ClipFrames Clip, float[] Scores, float[][] Maps, int R)> clips, int count)
    {
        if (count <= 0) return;
        Directory.CreateDirectory(dir);
        float lo = clips.SelectMany(c => c.Maps.SelectMany(m => m)).DefaultIfEmpty(0).Min();
        float hi = clips.SelectMany(c => c.Maps.SelectMany(m => m)).DefaultIfEmpty(1).Max();
        foreach (var (video, clip, scores, maps, r) in clips.Take(count))
        {
            int f = Array.IndexOf(scores, scores.Max());
            using var bmp = new SKBitmap(clip.Width, clip.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
            var px = clip.Frames[f];
            for (int y = 0; y < clip.Height; y++)
                for (int x = 0; x < clip.Width; x++)
                {
                    byte g = clip.Channels == 1 ? px[y * clip.Width + x] : px[(y * clip.Width + x) * 3 + 1];
                    int my = Math.Min(r - 1, y * r / clip.Height), mx = Math.Min(r - 1, x * r / clip.Width);
                    double a = hi > lo ? Math.Clamp((maps[f][my * r + mx] - lo) / (hi - lo), 0, 1) : 0;
                    a = a * 0.7;
                    byte red = (byte)Math.Round(g * (1 - a) + 255 * a), other = (byte)Math.Round(g * (1 - a));
                    bmp.SetPixel(x, y, new SKColor(red, other, other));
                }
            using var image = SKImage.FromBitmap(bmp);
            using var png = image.Encode(SKEncodedImageFormat.Png, 90);
            using var fs = File.Create(Path.Combine(dir, $"{video.Name}_{f:D3}.png"));
            png.SaveTo(fs);
        }
    }
}
