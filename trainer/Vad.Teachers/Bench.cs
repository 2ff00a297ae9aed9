using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Teachers;

namespace Vad.Teachers;

/// <summary>End-to-end teacher frames/s on this machine: decode + detection (+ flow for T1) + networks.</summary>
public static class Bench
{
    /// <summary>The machine a figure was measured on, as every result JSON records it.</summary>
    public static string Machine => $"{Environment.MachineName}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

    public static int Run(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.GetOr("dataset", FindPed2() ?? throw new CommandArgsException("--dataset DIR is required (Ped2 not found)"));
        string models = a.GetOr("models", Program.DefaultModels);
        string video = a.GetOr("video", "04");
        int maxFrames = a.GetInt("frames", 90);
        string? json = a.Get("json");
        a.RejectUnknown();
        Vad.Torch.TorchRuntime.EnsureLoaded();
        TorchSharp.torch.set_num_threads(2);
        using var teachers = TeacherModels.Load(models);
        using var detector = DetectorFactory.Create(teachers.Config.Detector, models);
        var scorer = new TeacherScorer(teachers, detector);
        var clip = Clips.List(dataset, "test", new[] { video })[0];
        // warm-up (JIT, native libraries, allocator)
        using (var warm = new FrameList(Clips.LoadGray(clip, 12))) scorer.ScoreFrames(warm.Frames, true, true);
        double Fps(bool t1, bool t2)
        {
            var sw = Stopwatch.StartNew();
            using var f = new FrameList(Clips.LoadGray(clip, maxFrames));
            scorer.ScoreFrames(f.Frames, t1, t2);
            return f.Frames.Length / sw.Elapsed.TotalSeconds;
        }
        double t1Fps = Fps(true, false), t2Fps = Fps(false, true);
        var table = new Table().AddColumn("teacher").AddColumn("frames/s").AddColumn("pipeline");
        table.AddRow("T1", t1Fps.ToString("F1"), "decode + detection + Farneback flow x1 + 2 AEs + 2 classifiers");
        table.AddRow("T2", t2Fps.ToString("F1"), "decode + detection + 7-crop stacks + 3D-conv multi-task net");
        AnsiConsole.Write(table);
        var result = new Dictionary<string, object>
        {
            ["t1_fps"] = Math.Round(t1Fps, 2),
            ["t2_fps"] = Math.Round(t2Fps, 2),
            ["frames"] = maxFrames,
            ["video"] = $"ped2 test {video} (360x240)",
            ["threads"] = 2,
            ["machine"] = Machine,
            ["date_utc"] = DateTime.UtcNow.ToString("O"),
            ["command"] = "./vad bench teachers " + string.Join(' ', argv),
        };
        if (json is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            File.WriteAllText(json, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
            string md = Path.ChangeExtension(json, ".md");
            File.WriteAllText(md, $"# Teacher speed\n\n| teacher | frames/s |\n|---|---|\n| T1 | {t1Fps:F1} |\n| T2 | {t2Fps:F1} |\n\n{result["machine"]}, {result["date_utc"]}, `{result["command"]}`\n");
        }
        return 0;
    }

    /// <summary>Vad.Core's KnownDatasets.FindPed2 ($VAD_PED2 or shared/data/ped2 beside an ancestor), else a plain walk up.</summary>
    public static string? FindPed2()
    {
        if (Vad.Core.Datasets.KnownDatasets.FindPed2() is { } known) return known;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            foreach (var rel in new[] { Path.Combine("shared", "data", "ped2"), Path.Combine("..", "shared", "data", "ped2") })
            {
                string p = Path.GetFullPath(Path.Combine(d.FullName, rel));
                if (Directory.Exists(Path.Combine(p, "testing"))) return p;
            }
        }
        return null;
    }

    private sealed class FrameList(OpenCvSharp.Mat[] frames) : IDisposable
    {
        public OpenCvSharp.Mat[] Frames { get; } = frames;
        public void Dispose() { foreach (var f in Frames) f.Dispose(); }
    }
}
