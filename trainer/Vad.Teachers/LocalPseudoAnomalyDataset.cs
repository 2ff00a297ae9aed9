using OpenCvSharp;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;

namespace Vad.Teachers;

/// <summary>
/// <c>vad teachers make-local</c>: a derived dataset folder holding the real clips (linked, not copied) plus, for the given
/// training clips, in-context pseudo-anomaly segments (<see cref="InContextPseudoAnomalies"/>) as extra training clips
/// of PNG frames named <c>&lt;clip&gt;-&lt;kind&gt;-&lt;n&gt;</c>, with per-frame labels (<see cref="PseudoAnomalyLabels"/>). Teachers score it and the student distils on it like any
/// dataset; nothing of the test split is altered or read beyond the link.
/// </summary>
public static class LocalPseudoAnomalyDataset
{
    public const string Usage = "usage: vad teachers make-local --dataset DIR --out DIR --clips 01,02,... [--per-clip 3] [--models DIR] [--kinds speed,flip,glide,crowd,stretch,ride (default speed,flip)]";

    public static int Run(string[] argv)
    {
        var a = new CommandArgs(argv);
        string dataset = a.Require("dataset"), outDir = a.Require("out"), models = a.GetOr("models", Program.DefaultModels);
        var clipNames = a.GetAll("clips");
        int perClip = a.GetInt("per-clip", 3);
        var kinds = Program.KindsOption(a, "kinds");
        a.RejectUnknown();
        if (clipNames.Count == 0) throw new CommandArgsException("--clips is required (the training clips to alter)\n" + Usage);
        if (perClip < 1) throw new CommandArgsException("--per-clip must be >= 1");
        string root = Path.GetFullPath(dataset), target = Path.GetFullPath(outDir);
        if (target == root || target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new CommandArgsException("--out must be outside the dataset folder");
        var clips = Clips.List(dataset, "train", clipNames.ToList());
        using var wholeObjects = BackgroundSubtractionDetector.Load(Path.Combine(models, DetectorFactory.BackgroundFile));
        string trainFrames = Path.Combine(target, "training", "frames"), labelsDir = Path.Combine(target, "training", PseudoAnomalyLabels.Folder);
        Directory.CreateDirectory(trainFrames);
        Directory.CreateDirectory(labelsDir);
        // Everything of the real dataset but its training clips is linked as it is; each training clip is linked one by one.
        foreach (var entry in Directory.EnumerateFileSystemEntries(root))
            if (Path.GetFileName(entry) != "training") Link(entry, Path.Combine(target, Path.GetFileName(entry)));
        foreach (var clip in Clips.List(dataset, "train")) Link(clip.FramesDir, Path.Combine(trainFrames, clip.Name));
        int written = 0, frames = 0;
        Program.ProgressBar().Start(ctx =>
        {
            var task = ctx.AddTask("in-context pseudo-anomaly clips", maxValue: clips.Count);
            foreach (var clip in clips)
            {
                var all = Clips.LoadGray(clip);
                try
                {
                    foreach (var (seg, n) in InContextPseudoAnomalies.MakeEveryKind(clip.Name, all, wholeObjects, perClip, kinds: kinds))
                        using (seg)
                        {
                            string name = $"{clip.Name}-{seg.Kind.ToString().ToLowerInvariant()}-{n + 1}", dir = Path.Combine(trainFrames, name);
                            if (Directory.Exists(dir)) Directory.Delete(dir, true);
                            Directory.CreateDirectory(dir);
                            for (int i = 0; i < seg.Frames.Length; i++) Cv2.ImWrite(Path.Combine(dir, $"{i:000}.png"), seg.Frames[i]);
                            File.WriteAllLines(PseudoAnomalyLabels.PathFor(target, name), seg.Abnormal.Select(PseudoAnomalyLabels.Line));
                            written++;
                            frames += seg.Frames.Length;
                        }
                }
                finally { foreach (var f in all) f.Dispose(); }
                task.Increment(1);
            }
        });
        AnsiConsole.MarkupLine($"{written} pseudo-anomaly clips ({frames} frames) from {clips.Count} training clips -> {Markup.Escape(trainFrames)}");
        return 0;
    }

    /// <summary>A symbolic link <paramref name="link"/> to <paramref name="source"/>; one already there is kept, anything else in the way is an error.</summary>
    internal static void Link(string source, string link)
    {
        source = Path.GetFullPath(source); // a relative target would resolve against the link's own folder
        if (File.Exists(link) || Directory.Exists(link))
        {
            if (new FileInfo(link).LinkTarget == source || new DirectoryInfo(link).LinkTarget == source) return;
            throw new CommandArgsException($"{link} exists and is not a link to {source}: use an empty --out folder");
        }
        if (Directory.Exists(source)) Directory.CreateSymbolicLink(link, source);
        else File.CreateSymbolicLink(link, source);
    }
}
