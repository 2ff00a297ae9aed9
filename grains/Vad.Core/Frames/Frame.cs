namespace Vad.Core.Frames;

public enum FramePixelFormat
{
    /// <summary>One byte per pixel (luma).</summary>
    Gray8,
    /// <summary>Three bytes per pixel, R G B.</summary>
    Rgb24,
}

public static class FramePixelFormatExtensions
{
    public static int Channels(this FramePixelFormat format) => format == FramePixelFormat.Gray8 ? 1 : 3;

    /// <summary>FFmpeg's name for the pixel format.</summary>
    public static string FfmpegName(this FramePixelFormat format) => format == FramePixelFormat.Gray8 ? "gray" : "rgb24";
}

/// <summary>One decoded frame: <see cref="Data"/> is row-major, Width*Height*channels bytes.</summary>
public sealed class Frame(long index, TimeSpan timestamp, int width, int height, FramePixelFormat pixelFormat, byte[] data)
{
    /// <summary>Position of the frame in its source, 0-based (frame k of a video, file k of a sorted folder).</summary>
    public long Index { get; } = index;
    /// <summary>Presentation time: index / fps for files and folders, time since the stream opened for live URLs.</summary>
    public TimeSpan Timestamp { get; } = timestamp;
    public int Width { get; } = width;
    public int Height { get; } = height;
    public FramePixelFormat PixelFormat { get; } = pixelFormat;
    public byte[] Data { get; } = data;

    public int Channels => PixelFormat.Channels();

    public override string ToString() => $"frame {Index} @ {Timestamp.TotalSeconds:0.000}s {Width}x{Height} {PixelFormat}";
}

/// <summary>What is known about a source once opened. FrameCount is null when unknown (live streams).</summary>
public sealed record FrameSourceInfo(int SourceWidth, int SourceHeight, double Fps, long? FrameCount, string Kind);

public enum CorruptFramePolicy
{
    /// <summary>Stop at the first corrupt frame with a <see cref="CorruptFrameException"/>.</summary>
    Stop,
    /// <summary>Report the corrupt frame (see <see cref="IFrameSource.CorruptFrames"/>) and go on.</summary>
    Continue,
}

public sealed record FrameSourceOptions
{
    /// <summary>Output width; null keeps the source's (height scaled to keep the aspect when only one is given).</summary>
    public int? Width { get; init; }
    public int? Height { get; init; }
    public FramePixelFormat PixelFormat { get; init; } = FramePixelFormat.Gray8;
    public CorruptFramePolicy OnCorruptFrame { get; init; } = CorruptFramePolicy.Stop;
    /// <summary>Bound on opening (probing) a source and on any stall of a network stream.</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Frame rate assumed for image folders (they carry none).</summary>
    public double FolderFps { get; init; } = 25;
    /// <summary>Image-folder frames decoded ahead of the consumer (memory stays O(ReadAhead) frames).</summary>
    public int ReadAhead { get; init; } = 8;
}

/// <summary>A corrupt frame that was reported and skipped under <see cref="CorruptFramePolicy.Continue"/>.</summary>
public sealed record CorruptFrameReport(long Index, string Detail);
