namespace Vad.Core.Frames;

/// <summary>What every frame source shares: output size and format, the read-once rule, corrupt-frame reports.</summary>
public abstract class FrameSourceBase : IFrameSource
{
    private readonly List<CorruptFrameReport> _corrupt = new();
    private int _enumerated;

    protected FrameSourceBase(string name, FrameSourceOptions options, FrameSourceInfo info)
    {
        Name = name;
        Options = options;
        Info = info;
        (Width, Height) = FrameSource.OutputSize(info.SourceWidth, info.SourceHeight, options);
    }

    protected FrameSourceOptions Options { get; }
    public string Name { get; }
    public FrameSourceInfo Info { get; }
    public int Width { get; }
    public int Height { get; }
    public FramePixelFormat PixelFormat => Options.PixelFormat;
    public IReadOnlyList<CorruptFrameReport> CorruptFrames { get { lock (_corrupt) return _corrupt.ToList(); } }

    public IEnumerable<Frame> ReadFrames(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
            throw new InvalidOperationException($"{Name}: a frame source can be read once; open it again to re-read");
        return ReadFramesCore(cancellationToken);
    }

    protected abstract IEnumerable<Frame> ReadFramesCore(CancellationToken cancellationToken);

    protected void ReportCorrupt(CorruptFrameReport report)
    {
        lock (_corrupt) _corrupt.Add(report);
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
