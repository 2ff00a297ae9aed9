using System.Diagnostics;
using Spectre.Console;
using Vad.Core;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Evaluation;
using Vad.Core.Frames;

namespace Vad.Cli;

/// <summary>
/// The foundation's end-to-end check: decode a Ped2 test clip and a real video, score every Ped2 test clip with a
/// training-free stride-t frame-difference score built from the same triples the student sees, evaluate that scores
/// folder with the project's protocol, print the table and write the plots. (The cluster demo supersedes it.)
/// </summary>
public static class DemoCommand
{
    public static int Run(string[] args)
    {
        var a = new CommandArgs(args, "help");
        if (a.Flag("help"))
        {
            Console.WriteLine("usage: ./vad demo [--dataset PED2_DIR] [--out DIR] [--sigma S]");
            return 0;
        }
        string? root = a.Get("dataset") ?? KnownDatasets.FindPed2();
        string output = a.Get("out") ?? RepoPaths.Resolve(Path.Combine("runs", "demo"));
        double sigma = a.GetDouble("sigma", 3);
        a.RejectUnknown();
        if (root is null) throw new CommandArgsException("Ped2 not found: pass --dataset DIR");
        var dataset = VideoDataset.Open(root);
        AnsiConsole.MarkupLine($"dataset [bold]{dataset.Name}[/]: {dataset.Train.Count} training clips, {dataset.Test.Count} test clips ({dataset.Layout})");

        // 1. decode a test clip folder and a real video file
        var clip = dataset.Test[0];
        Decode(clip.Source, new FrameSourceOptions());
        const string vtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
        if (File.Exists(vtest)) Decode(vtest, new FrameSourceOptions { Width = 360, Height = 240 });
        else AnsiConsole.MarkupLine("[yellow]vtest.avi (Debian opencv-doc) not installed: skipping the video decode[/]");

        // 2. a training-free score from stride-3 triples: mean |x(i+t) - x(i-t)| (motion energy), per test clip
        const int stride = 3;
        string scores = Path.Combine(output, "scores");
        Directory.CreateDirectory(scores);
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("frame-difference scores", maxValue: dataset.Test.Sum(v => v.Labels?.Length ?? 0));
                foreach (var video in dataset.Test)
                {
                    using var source = FrameSource.Open(video.Source);
                    var builder = new FrameTripleBuilder(stride);
                    var values = new List<double>();
                    foreach (var frame in source.ReadFrames())
                    {
                        if (builder.Push(frame) is { } triple) values.Add(MotionEnergy(triple));
                        task.Increment(1);
                    }
                    values.AddRange(builder.Complete().Select(MotionEnergy));
                    ScoresFolder.Write(scores, video.Name, values);
                }
            });

        // 3. evaluate the scores folder
        var result = FrameLevelEvaluator.Evaluate(dataset, scores, new EvalOptions { Sigma = sigma });
        EvalReport.WriteTable(result);
        string json = Path.Combine(output, "eval.json");
        result.WriteJson(json);
        var plots = EvalReport.WritePlots(result, Path.Combine(output, "plots"));
        AnsiConsole.MarkupLine($"scores: [blue]{scores}[/]  evaluation: [blue]{json}[/]  plots: [blue]{plots.Count} PNG in {Path.Combine(output, "plots")}[/]");
        AnsiConsole.MarkupLine("[grey]This is the training-free frame-difference baseline; the student model replaces it in the cluster demo.[/]");
        return 0;
    }

    private static void Decode(string source, FrameSourceOptions options)
    {
        var sw = Stopwatch.StartNew();
        using var s = FrameSource.Open(source, options);
        long frames = s.ReadFrames().LongCount();
        AnsiConsole.MarkupLine($"decoded [bold]{Markup.Escape(source)}[/] ({s.Info.Kind}, {s.Info.SourceWidth}x{s.Info.SourceHeight} -> {s.Width}x{s.Height} {s.PixelFormat}): " +
                               $"{frames} frames in {sw.Elapsed.TotalSeconds:0.00} s ({frames / sw.Elapsed.TotalSeconds:0} frames/s)");
    }

    private static double MotionEnergy(FrameTriple triple)
    {
        byte[] past = triple.Past.Data, future = triple.Future.Data;
        long sum = 0;
        for (int i = 0; i < past.Length; i++) sum += Math.Abs(future[i] - past[i]);
        return sum / (double)past.Length;
    }
}
