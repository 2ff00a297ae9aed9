using OpenCvSharp;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;

namespace Vad.Teachers;

/// <summary>
/// <c>vad teachers make-crowded</c>: a derived dataset folder holding everything of a dataset (linked, not copied) plus,
/// for the given training clips, <b>normal but more crowded</b> clips: each frame of a clip with the people of the same
/// frame of a partner clip pasted in (<see cref="Composite"/>). Uses: held-out clips with real groups for checking the
/// teachers (14-16 made crowded with each other), and crowded normal frames for the student to distil on (its level
/// followed the number of people in the frame; distilling on these flattened that trend but did not raise its test
/// AUC, models/ped2/README.md, runs v28). Nothing is labelled: these clips are normal, the teachers score them like any
/// training clip, and nothing of the test split is read beyond the link.
/// </summary>
public static class CrowdedNormalDataset
{
    public const string Usage = "usage: vad teachers make-crowded --dataset DIR --out DIR --clips 01,02,... [--partners 1] [--models DIR]";

    /// <summary>Pixels the pasted foreground mask grows by, so that the objects' low-contrast outlines come along.</summary>
    public const int MaskGrowth = 2;

    /// <summary>The name of clip <paramref name="clip"/> with the people of <paramref name="partner"/> pasted in.</summary>
    public static string ClipName(string clip, string partner) => $"{clip}-crowded-{partner}";

    public static int Run(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), outDir = a.Require("out"), models = a.GetOr("models", Program.DefaultModels);
        var clipNames = a.GetAll("clips");
        int partners = a.GetInt("partners", 1);
        a.RejectUnknown();
        if (clipNames.Distinct().Count() != clipNames.Count) throw new CommandArgsException("--clips lists a clip twice (a clip would be crowded with itself)");
        if (clipNames.Count < 2) throw new CommandArgsException("--clips needs at least two training clips (each is crowded with the next ones in the list)\n" + Usage);
        if (partners < 1 || partners >= clipNames.Count) throw new CommandArgsException($"--partners must be in [1, {clipNames.Count - 1}] (the number of other clips given), got {partners}");
        string root = Path.GetFullPath(dataset), target = Path.GetFullPath(outDir);
        if (target == root || target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new CommandArgsException("--out must be outside the dataset folder");
        // In the order given: the partners of the i-th clip are the next ones, wrapping around.
        var listed = Clips.List(dataset, "train", clipNames.ToList());
        var clips = clipNames.Select(n => listed.Single(c => c.Name == n)).ToList();
        using var wholeObjects = BackgroundSubtractionDetector.Load(Path.Combine(models, DetectorFactory.BackgroundFile));
        LinkDataset(root, target);
        string trainFrames = Path.Combine(target, "training", "frames");
        int written = 0, frames = 0;
        Program.ProgressBar().Start(ctx =>
        {
            var task = ctx.AddTask("crowded normal clips", maxValue: clips.Count * partners);
            for (int i = 0; i < clips.Count; i++)
            {
                var own = Clips.LoadGray(clips[i]);
                try
                {
                    for (int k = 1; k <= partners; k++)
                    {
                        var partner = clips[(i + k) % clips.Count];
                        var others = Clips.LoadGray(partner);
                        try
                        {
                            string dir = Path.Combine(trainFrames, ClipName(clips[i].Name, partner.Name));
                            if (Directory.Exists(dir)) Directory.Delete(dir, true);
                            Directory.CreateDirectory(dir);
                            // As long as both clips last: wrapping a clip around would make its people jump.
                            int n = Math.Min(own.Length, others.Length);
                            for (int j = 0; j < n; j++)
                                using (var frame = Composite(own[j], others[j], wholeObjects))
                                    Cv2.ImWrite(Path.Combine(dir, $"{j:000}.png"), frame);
                            written++;
                            frames += n;
                        }
                        finally { foreach (var f in others) f.Dispose(); }
                        task.Increment(1);
                    }
                }
                finally { foreach (var f in own) f.Dispose(); }
            }
        });
        AnsiConsole.MarkupLine($"{written} crowded normal clips ({frames} frames) from {clips.Count} training clips -> {Markup.Escape(trainFrames)}");
        return 0;
    }

    /// <summary>
    /// <paramref name="frame"/> with the foreground pixels of <paramref name="other"/> (a frame of the same camera; its
    /// mask grown by <see cref="MaskGrowth"/> px) pasted where <paramref name="frame"/> itself shows background: the
    /// frame's own objects stay whole in front, the pasted ones pass behind them.
    /// </summary>
    public static Mat Composite(Mat frame, Mat other, BackgroundSubtractionDetector wholeObjects)
    {
        if (frame.Size() != other.Size()) throw new ArgumentException($"frames of different sizes: {frame.Width}x{frame.Height} and {other.Width}x{other.Height}");
        using var theirs = wholeObjects.ForegroundMask(other);
        using var ours = wholeObjects.ForegroundMask(frame);
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new OpenCvSharp.Size(2 * MaskGrowth + 1, 2 * MaskGrowth + 1));
        Cv2.Dilate(theirs, theirs, kernel);
        Cv2.Dilate(ours, ours, kernel);
        using var free = new Mat();
        Cv2.BitwiseNot(ours, free);
        using var paste = new Mat();
        Cv2.BitwiseAnd(theirs, free, paste);
        var result = frame.Clone();
        other.CopyTo(result, paste);
        return result;
    }

    /// <summary>Links every entry of <paramref name="root"/> into <paramref name="target"/>; under training/ and
    /// training/frames/ entry by entry, so that new clips can sit next to the linked ones.</summary>
    private static void LinkDataset(string root, string target)
    {
        string training = Path.Combine(root, "training");
        if (!Directory.Exists(Path.Combine(training, "frames"))) throw new DirectoryNotFoundException($"no training/frames under {root}");
        Directory.CreateDirectory(Path.Combine(target, "training", "frames"));
        foreach (var entry in Directory.EnumerateFileSystemEntries(root))
            if (Path.GetFileName(entry) != "training") LocalPseudoAnomalyDataset.Link(entry, Path.Combine(target, Path.GetFileName(entry)));
        foreach (var entry in Directory.EnumerateFileSystemEntries(training))
            if (Path.GetFileName(entry) != "frames") LocalPseudoAnomalyDataset.Link(entry, Path.Combine(target, "training", Path.GetFileName(entry)));
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(training, "frames")))
            if (!Path.GetFileName(entry).Contains("-crowded-", StringComparison.Ordinal))
                LocalPseudoAnomalyDataset.Link(entry, Path.Combine(target, "training", "frames", Path.GetFileName(entry)));
    }
}
