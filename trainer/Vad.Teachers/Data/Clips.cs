using OpenCvSharp;

namespace Vad.Teachers.Data;

/// <summary>One clip of a frames-folder dataset (Ped2 layout: &lt;root&gt;/training|testing/frames/NN/*.jpg).</summary>
public sealed record Clip(string Name, string Split, string FramesDir);

public sealed class ClipReadException(string message, Exception? inner = null) : Exception(message, inner);

public static class Clips
{
    public static string SplitDir(string split) => split switch
    {
        "train" => "training",
        "test" => "testing",
        _ => throw new ArgumentException($"unknown split '{split}' (train|test)"),
    };

    public static IReadOnlyList<Clip> List(string datasetRoot, string split, IReadOnlyCollection<string>? only = null)
    {
        string dir = Path.Combine(datasetRoot, SplitDir(split), "frames");
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"no frames folder {dir} (expected the Ped2 layout)");
        var clips = Directory.GetDirectories(dir).Select(d => new Clip(Path.GetFileName(d), split, d))
            .OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        if (only is { Count: > 0 })
        {
            var missing = only.Where(o => clips.All(c => c.Name != o)).ToList();
            if (missing.Count > 0) throw new ArgumentException($"no such {split} video(s): {string.Join(", ", missing)}");
            clips = clips.Where(c => only.Contains(c.Name)).ToList();
        }
        return clips;
    }

    /// <summary>Image files of a frames folder, sorted numerically by name.</summary>
    public static string[] FrameFiles(string framesDir)
    {
        var exts = new[] { ".jpg", ".jpeg", ".png", ".bmp", ".tif" };
        return Directory.GetFiles(framesDir)
            .Where(f => exts.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => long.TryParse(Path.GetFileNameWithoutExtension(f), out long k) ? k : long.MaxValue)
            .ThenBy(f => f, StringComparer.Ordinal).ToArray();
    }

    /// <summary>All frames of a clip as 8-bit gray; a frame that cannot be decoded fails the clip with its name.</summary>
    public static Mat[] LoadGray(Clip clip, int? maxFrames = null)
    {
        var files = FrameFiles(clip.FramesDir);
        if (files.Length == 0) throw new ClipReadException($"clip {clip.Split}/{clip.Name}: no image files in {clip.FramesDir}");
        if (maxFrames is int m) files = files.Take(m).ToArray();
        var frames = new Mat[files.Length];
        for (int i = 0; i < files.Length; i++)
        {
            Mat img;
            try { img = Cv2.ImRead(files[i], ImreadModes.Grayscale); }
            catch (Exception e) { throw new ClipReadException($"clip {clip.Split}/{clip.Name}: cannot decode frame {files[i]}: {e.Message}", e); }
            if (img.Empty())
            {
                foreach (var f in frames.Take(i)) f.Dispose();
                throw new ClipReadException($"clip {clip.Split}/{clip.Name}: frame {Path.GetFileName(files[i])} is corrupt or not an image ({files[i]})");
            }
            if (i > 0 && img.Size() != frames[0].Size())
                throw new ClipReadException($"clip {clip.Split}/{clip.Name}: frame {Path.GetFileName(files[i])} is {img.Width}x{img.Height}, others {frames[0].Width}x{frames[0].Height}");
            frames[i] = img;
        }
        return frames;
    }
}
