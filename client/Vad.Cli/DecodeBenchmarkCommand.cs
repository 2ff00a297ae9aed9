using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Vad.Core;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Frames;

namespace Vad.Cli;

/// <summary>
/// `./vad bench decode`: our frame sources' frames/s next to plain ffmpeg decoding the same input to the same size and
/// pixel format into the null muxer, in the same run: (a) the Ped2 test frames folders, (b) a 640x360 H.264 video made
/// with ffmpeg's testsrc2, at 640x360 and 320x192, gray and RGB.
/// </summary>
public static class DecodeBenchmarkCommand
{
    private sealed record Case(string Input, string Description, IReadOnlyList<string> Sources, int? Width, int? Height, FramePixelFormat Format);

    public static int Run(string[] args)
    {
        var a = new CommandArgs(args, "help");
        if (a.Flag("help"))
        {
            Console.WriteLine("usage: ./vad bench decode [--json FILE] [--dataset PED2_DIR] [--seconds N] [--repeat N]");
            return 0;
        }
        string json = a.Get("json") ?? RepoPaths.Resolve(Path.Combine("bench", "results", "decode.json"));
        string? ped2 = a.Get("dataset") ?? KnownDatasets.FindPed2();
        int seconds = a.GetInt("seconds", 40);
        int repeat = a.GetInt("repeat", 3);
        a.RejectUnknown();
        if (ped2 is null || !Directory.Exists(Path.Combine(ped2, "testing", "frames")))
            throw new CommandArgsException("Ped2 not found: pass --dataset DIR (the folder holding testing/frames)");

        string work = Directory.CreateTempSubdirectory("vad-bench-decode-").FullName;
        try
        {
            string video = Path.Combine(work, "testsrc2_640x360.mp4");
            AnsiConsole.MarkupLine($"[grey]making a {seconds} s 640x360 H.264 video with ffmpeg testsrc2...[/]");
            RunFfmpeg($"-f lavfi -i testsrc2=size=640x360:rate=25 -t {seconds} -c:v libx264 -preset veryfast -pix_fmt yuv420p \"{video}\"");
            var folders = Directory.GetDirectories(Path.Combine(ped2, "testing", "frames")).OrderBy(d => d, NaturalStringComparer.Instance).ToList();

            var cases = new List<Case>
            {
                new("ped2-test-folders", "Ped2 test frames folders (2010 JPEG, 360x240)", folders, null, null, FramePixelFormat.Gray8),
                new("ped2-test-folders", "Ped2 test frames folders (2010 JPEG, 360x240)", folders, null, null, FramePixelFormat.Rgb24),
            };
            foreach (var (w, h) in new[] { (640, 360), (320, 192) })
                foreach (var fmt in new[] { FramePixelFormat.Gray8, FramePixelFormat.Rgb24 })
                    cases.Add(new("h264-640x360", $"H.264 640x360 testsrc2 ({seconds * 25} frames)", [video], w, h, fmt));

            var rows = new JsonArray();
            double minRatio = double.MaxValue;
            var table = new Table().AddColumns("input", "output", "frames", "ours fps", "ffmpeg fps", "ratio");
            foreach (var c in cases)
            {
                // Warm both paths once (page cache, ffmpeg start-up), then take the best of N runs for each.
                // Runs alternate (ours, ffmpeg, ours, ...) so a noisy neighbour hurts both sides alike.
                (long frames, _) = TimeOurs(c);
                TimeFfmpeg(c, frames);
                double ours = 0, reference = 0;
                for (int r = 0; r < repeat; r++)
                {
                    ours = Math.Max(ours, TimeOurs(c).Fps);
                    reference = Math.Max(reference, TimeFfmpeg(c, frames));
                }
                double ratio = ours / reference;
                minRatio = Math.Min(minRatio, ratio);
                string output = $"{(c.Width is null ? "native" : $"{c.Width}x{c.Height}")} {c.Format.FfmpegName()}";
                table.AddRow(c.Input, output, frames.ToString(CultureInfo.InvariantCulture), ours.ToString("0", CultureInfo.InvariantCulture),
                    reference.ToString("0", CultureInfo.InvariantCulture), ratio.ToString("0.00", CultureInfo.InvariantCulture));
                rows.Add(new JsonObject
                {
                    ["input"] = c.Input,
                    ["description"] = c.Description,
                    ["width"] = c.Width,
                    ["height"] = c.Height,
                    ["pixel_format"] = c.Format.FfmpegName(),
                    ["frames"] = frames,
                    ["ours_fps"] = Math.Round(ours, 1),
                    ["ffmpeg_fps"] = Math.Round(reference, 1),
                    ["ratio_vs_ffmpeg"] = Math.Round(ratio, 3),
                });
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"min ratio vs ffmpeg: [bold]{minRatio:0.00}[/]");

            var result = new JsonObject
            {
                ["benchmark"] = "decode",
                ["command"] = "./vad bench decode " + string.Join(' ', args),
                ["created_utc"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
                ["machine"] = BenchMachine.Describe(),
                ["ffmpeg"] = BenchMachine.FfmpegVersion(),
                ["method"] = "best of N alternating runs after one warm-up of each; ffmpeg reference: `ffmpeg -i INPUT [-vf scale=W:H:flags=area] -pix_fmt FMT -f null -`, same input, same run; folders: one ffmpeg image2 process per clip folder",
                ["min_ratio_vs_ffmpeg"] = Math.Round(minRatio, 3),
                ["cases"] = rows,
            };
            string? dir = Path.GetDirectoryName(Path.GetFullPath(json));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllText(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.WriteAllText(Path.ChangeExtension(json, ".md"), BenchMachine.MarkdownTable(result, rows));
            AnsiConsole.MarkupLine($"wrote [blue]{json}[/]");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static (long Frames, double Fps) TimeOurs(Case c)
    {
        var sw = Stopwatch.StartNew();
        long frames = 0;
        long checksum = 0;
        foreach (string source in c.Sources)
        {
            using var s = FrameSource.Open(source, new FrameSourceOptions { Width = c.Width, Height = c.Height, PixelFormat = c.Format });
            foreach (var f in s.ReadFrames())
            {
                frames++;
                checksum += f.Data[f.Data.Length / 2];
            }
        }
        GC.KeepAlive(checksum);
        return (frames, frames / sw.Elapsed.TotalSeconds);
    }

    private static double TimeFfmpeg(Case c, long frames)
    {
        var sw = Stopwatch.StartNew();
        foreach (string source in c.Sources)
        {
            string input = Directory.Exists(source)
                ? $"-f image2 -start_number 0 -i \"{Path.Combine(source, ImagePattern(source))}\""
                : $"-i \"{source}\"";
            string scale = c.Width is null ? "" : $"-vf scale={c.Width}:{c.Height}:flags=area ";
            RunFfmpeg($"{input} {scale}-pix_fmt {c.Format.FfmpegName()} -f null -");
        }
        return frames / sw.Elapsed.TotalSeconds;
    }

    /// <summary>The printf pattern of a frames folder named 000.jpg, 001.jpg, ... (what ffmpeg's image2 needs).</summary>
    private static string ImagePattern(string folder)
    {
        string first = Path.GetFileName(ImageFolderFrameSource.ListFrames(folder)[0]);
        string stem = Path.GetFileNameWithoutExtension(first);
        return $"%0{stem.Length}d{Path.GetExtension(first)}";
    }

    internal static void RunFfmpeg(string arguments)
    {
        var psi = new ProcessStartInfo("ffmpeg", $"-nostdin -v error -y {arguments}") { RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start ffmpeg (is it installed?)");
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {arguments} failed: {err.Trim()}");
    }
}
