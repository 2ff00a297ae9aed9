namespace Vad.Core.Frames;

/// <summary>
/// A stream of frames read one at a time in constant memory, however long the input. Opening a source validates it
/// (exists, is a video, reachable); <see cref="ReadFrames"/> may be enumerated once.
/// </summary>
public interface IFrameSource : IDisposable
{
    /// <summary>The path or URL, as given.</summary>
    string Name { get; }
    FrameSourceInfo Info { get; }
    /// <summary>Output frame size and format.</summary>
    int Width { get; }
    int Height { get; }
    FramePixelFormat PixelFormat { get; }
    /// <summary>Corrupt frames reported and skipped so far (only under <see cref="CorruptFramePolicy.Continue"/>).</summary>
    IReadOnlyList<CorruptFrameReport> CorruptFrames { get; }
    IEnumerable<Frame> ReadFrames(CancellationToken cancellationToken = default);
}

public static class FrameSource
{
    private static readonly string[] UrlSchemes = ["rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt", "file"];

    public static bool IsUrl(string source)
    {
        int colon = source.IndexOf("://", StringComparison.Ordinal);
        return colon > 0 && UrlSchemes.Contains(source[..colon].ToLowerInvariant());
    }

    /// <summary>
    /// Opens a video file, a URL FFmpeg understands (rtsp://, http://, ...) or a folder of frame images.
    /// Throws a <see cref="FrameSourceException"/> subclass naming the source when it cannot be read.
    /// </summary>
    public static IFrameSource Open(string source, FrameSourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        options ??= new FrameSourceOptions();
        if (options.Width is <= 0 || options.Height is <= 0)
            throw new ArgumentException($"frame size must be positive, got {options.Width}x{options.Height}");
        if (IsUrl(source))
            return FfmpegFrameSource.Open(source, options);
        if (Directory.Exists(source))
            return ImageFolderFrameSource.Open(source, options);
        if (!File.Exists(source))
            throw new SourceNotFoundException(source);
        return FfmpegFrameSource.Open(source, options);
    }

    /// <summary>The output size for a source of the given size: both given, one given (keep aspect, even), or none.</summary>
    public static (int Width, int Height) OutputSize(int sourceWidth, int sourceHeight, FrameSourceOptions options)
    {
        if (options.Width is int w && options.Height is int h) return (w, h);
        if (options.Width is int w2) return (w2, Math.Max(2, (int)Math.Round(sourceHeight * (double)w2 / sourceWidth / 2) * 2));
        if (options.Height is int h2) return (Math.Max(2, (int)Math.Round(sourceWidth * (double)h2 / sourceHeight / 2) * 2), h2);
        return (sourceWidth, sourceHeight);
    }
}
