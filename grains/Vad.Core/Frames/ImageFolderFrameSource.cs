using System.Text.RegularExpressions;
using SkiaSharp;

namespace Vad.Core.Frames;

/// <summary>
/// A folder of frame images (jpg/png/tif/bmp), numerically sorted (2.jpg before 10.jpg), decoded in-process by Skia
/// a few frames ahead on the thread pool. A file that does not decode is a corrupt frame: stop, or report and skip it
/// (the following frames keep their own index, so labels stay aligned).
/// </summary>
public sealed class ImageFolderFrameSource : FrameSourceBase
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
        { ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp" };

    private readonly IReadOnlyList<string> _files;

    public IReadOnlyList<string> Files => _files;

    private ImageFolderFrameSource(string folder, FrameSourceOptions options, IReadOnlyList<string> files, int width, int height)
        : base(folder, options, new FrameSourceInfo(width, height, options.FolderFps, files.Count, "folder")) => _files = files;

    public static ImageFolderFrameSource Open(string folder, FrameSourceOptions options)
    {
        if (!Directory.Exists(folder)) throw new SourceNotFoundException(folder);
        var files = ListFrames(folder);
        if (files.Count == 0) throw new EmptySourceException(folder);
        // The first readable image fixes the source size; every frame is scaled to the output size anyway.
        foreach (var file in files)
        {
            using var codec = SKCodec.Create(file);
            if (codec is not null) return new ImageFolderFrameSource(folder, options, files, codec.Info.Width, codec.Info.Height);
            if (options.OnCorruptFrame == CorruptFramePolicy.Stop)
                throw new CorruptFrameException(folder, files.ToList().IndexOf(file), $"{Path.GetFileName(file)} is not a readable image");
        }
        throw new NotAVideoException(folder, "no readable image in the folder");
    }

    /// <summary>The image files of a folder in natural numeric order.</summary>
    public static IReadOnlyList<string> ListFrames(string folder) =>
        Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f)) && !Path.GetFileName(f).StartsWith("._", StringComparison.Ordinal))
            .OrderBy(f => Path.GetFileName(f), NaturalStringComparer.Instance)
            .ToList();

    protected override IEnumerable<Frame> ReadFramesCore(CancellationToken cancellationToken)
    {
        int ahead = Math.Max(1, Options.ReadAhead);
        var pending = new Queue<Task<byte[]?>>();
        int next = 0;
        while (next < _files.Count || pending.Count > 0)
        {
            while (next < _files.Count && pending.Count < ahead)
            {
                string file = _files[next++];
                pending.Enqueue(Task.Run(() => Decode(file), cancellationToken));
            }
            int index = next - pending.Count;
            byte[]? data = pending.Dequeue().GetAwaiter().GetResult();
            cancellationToken.ThrowIfCancellationRequested();
            if (data is null)
            {
                string detail = $"{Path.GetFileName(_files[index])} is not a readable image";
                if (Options.OnCorruptFrame == CorruptFramePolicy.Stop) throw new CorruptFrameException(Name, index, detail);
                ReportCorrupt(new CorruptFrameReport(index, detail));
                continue;
            }
            yield return new Frame(index, TimeSpan.FromSeconds(index / Info.Fps), Width, Height, PixelFormat, data);
        }
    }

    private byte[]? Decode(string file)
    {
        using var codec = SKCodec.Create(file);
        if (codec is null) return null;
        // Skia decodes gray images to Gray8 directly; colour images go through RGBA and are converted below.
        bool nativeGray = codec.Info.ColorType == SKColorType.Gray8;
        var colorType = nativeGray ? SKColorType.Gray8 : SKColorType.Rgba8888;
        var decodedInfo = new SKImageInfo(codec.Info.Width, codec.Info.Height, colorType, SKAlphaType.Opaque);
        using var decoded = new SKBitmap(decodedInfo);
        var result = codec.GetPixels(decodedInfo, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput)) return null;
        if (result == SKCodecResult.IncompleteInput && Options.OnCorruptFrame == CorruptFramePolicy.Stop) return null;

        SKBitmap sized = decoded;
        if (decodedInfo.Width != Width || decodedInfo.Height != Height)
            sized = decoded.Resize(new SKImageInfo(Width, Height, colorType, SKAlphaType.Opaque),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)) ?? throw new InvalidOperationException("resize failed");
        try
        {
            return ToFramePixels(sized.GetPixelSpan(), sized.RowBytes, nativeGray);
        }
        finally
        {
            if (!ReferenceEquals(sized, decoded)) sized.Dispose();
        }
    }

    private byte[] ToFramePixels(ReadOnlySpan<byte> pixels, int rowBytes, bool sourceGray)
    {
        int channels = PixelFormat.Channels();
        var output = new byte[Width * Height * channels];
        for (int y = 0; y < Height; y++)
        {
            var dst = output.AsSpan(y * Width * channels, Width * channels);
            if (sourceGray)
            {
                var row = pixels.Slice(y * rowBytes, Width);
                if (channels == 1) { row.CopyTo(dst); continue; }
                for (int x = 0; x < Width; x++) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = row[x];
                continue;
            }
            var rgba = pixels.Slice(y * rowBytes, Width * 4);
            if (channels == 1)
            {
                // BT.601 full-range luma, the Y that FFmpeg's gray output carries for JPEG sources.
                for (int x = 0, s = 0; x < Width; x++, s += 4)
                    dst[x] = (byte)((77 * rgba[s] + 150 * rgba[s + 1] + 29 * rgba[s + 2] + 128) >> 8);
            }
            else
            {
                for (int x = 0, s = 0, d = 0; x < Width; x++, s += 4, d += 3)
                {
                    dst[d] = rgba[s];
                    dst[d + 1] = rgba[s + 1];
                    dst[d + 2] = rgba[s + 2];
                }
            }
        }
        return output;
    }

}

/// <summary>Orders "2.jpg" before "10.jpg": digit runs compare by value, the rest ordinally.</summary>
public sealed partial class NaturalStringComparer : IComparer<string>
{
    public static readonly NaturalStringComparer Instance = new();

    [GeneratedRegex(@"\d+|\D+")]
    private static partial Regex Chunks();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var a = Chunks().Matches(x);
        var b = Chunks().Matches(y);
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            string p = a[i].Value, q = b[i].Value;
            int c;
            if (char.IsDigit(p[0]) && char.IsDigit(q[0]))
            {
                string pt = p.TrimStart('0'), qt = q.TrimStart('0');
                c = pt.Length != qt.Length ? pt.Length.CompareTo(qt.Length) : string.CompareOrdinal(pt, qt);
                if (c == 0) c = p.Length.CompareTo(q.Length);
            }
            else c = string.CompareOrdinal(p, q);
            if (c != 0) return c;
        }
        return a.Count.CompareTo(b.Count);
    }
}
