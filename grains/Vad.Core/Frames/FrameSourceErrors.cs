namespace Vad.Core.Frames;

/// <summary>Base of every frame-source error; <see cref="SourceName"/> names the file, folder or URL.</summary>
public class FrameSourceException(string source, string message, Exception? inner = null)
    : Exception($"{source}: {message}", inner)
{
    public string SourceName { get; } = source;
}

public sealed class SourceNotFoundException(string source)
    : FrameSourceException(source, "no such file or folder");

public sealed class NotAVideoException(string source, string detail, Exception? inner = null)
    : FrameSourceException(source, $"not a video or image folder ({detail})", inner);

public sealed class EmptySourceException(string source)
    : FrameSourceException(source, "contains zero frames");

public sealed class SourceUnreachableException(string source, string detail, Exception? inner = null)
    : FrameSourceException(source, $"unreachable ({detail})", inner);

public sealed class CorruptFrameException(string source, long index, string detail)
    : FrameSourceException(source, $"corrupt frame at index {index}: {detail}")
{
    public long Index { get; } = index;
}
