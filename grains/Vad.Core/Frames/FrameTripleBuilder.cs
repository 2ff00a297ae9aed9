namespace Vad.Core.Frames;

/// <summary>The student's input for frame i: [x(i-t), x(i), x(i+t)].</summary>
public sealed record FrameTriple(Frame Past, Frame Middle, Frame Future)
{
    public long Index => Middle.Index;
}

/// <summary>
/// Builds stride-t triples from a stream of frames holding at most 2t+1 of them.
/// Rule: the triple of frame i is [x(i-t), x(i), x(i+t)]; every frame gets exactly one triple, in order, and at the
/// edges the missing neighbour is replaced by the nearest frame that exists: for the first t frames the past is frame 0
/// (triple of i = [x0, xi, x(i+t)]), for the last t frames the future is the last frame (sent by <see cref="Complete"/>
/// once the stream is known to end). Neighbours are counted in arrival order, so a frame skipped as corrupt is simply
/// absent and its neighbours close the gap.
/// </summary>
public sealed class FrameTripleBuilder
{
    private readonly Frame?[] _ring;
    private long _received;

    public int Stride { get; }

    public FrameTripleBuilder(int stride)
    {
        if (stride < 1) throw new ArgumentOutOfRangeException(nameof(stride), stride, "stride t must be >= 1");
        Stride = stride;
        _ring = new Frame?[2 * stride + 1];
    }

    /// <summary>Frames held now (never more than 2t+1).</summary>
    public int Buffered => (int)Math.Min(_received, _ring.Length);

    /// <summary>Adds the next frame; returns the triple that frame completes (the one centred t frames back), if any.</summary>
    public FrameTriple? Push(Frame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        long n = _received++;
        _ring[n % _ring.Length] = frame;
        long centre = n - Stride;
        return centre < 0 ? null : Build(centre, n);
    }

    /// <summary>The stream ended: the triples of the last t frames (future clamped to the last frame).</summary>
    public IReadOnlyList<FrameTriple> Complete()
    {
        var tail = new List<FrameTriple>();
        long last = _received - 1;
        for (long centre = Math.Max(0, _received - Stride); centre <= last; centre++)
            tail.Add(Build(centre, last));
        return tail;
    }

    /// <summary>Forgets everything (a new stream starts).</summary>
    public void Reset()
    {
        Array.Clear(_ring);
        _received = 0;
    }

    private FrameTriple Build(long centre, long future) =>
        new(At(Math.Max(0, centre - Stride)), At(centre), At(Math.Min(future, centre + Stride)));

    private Frame At(long n) => _ring[n % _ring.Length] ?? throw new InvalidOperationException("frame no longer buffered");
}
