using System.Diagnostics;
using Vad.Contracts;
using Vad.Core.Frames;

namespace Vad.Client;

public sealed class IngestStats
{
    private long _sent, _busyRetries, _dropped, _resent, _duplicates, _failedCalls, _orphaned, _rewinds;
    public long Sent => Interlocked.Read(ref _sent);
    public long BusyRetries => Interlocked.Read(ref _busyRetries);
    /// <summary>Frames the camera dropped (realtime mode); in lossless mode the ingest waits instead.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    /// <summary>Frames sent again after a failed call (at-least-once ingest).</summary>
    public long Resent => Interlocked.Read(ref _resent);
    /// <summary>Re-sent frames the camera had already taken (acked as duplicates, not counted twice).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);
    /// <summary>Grain calls that failed (silo gone, timeout, connection lost) and were retried.</summary>
    public long FailedCalls => Interlocked.Read(ref _failedCalls);
    /// <summary>
    /// Times a new camera activation answered <see cref="FrameStatus.Rewind"/>: its silo changed without a failed call
    /// (Orleans forwarded the call), so the unsettled frames were sent again.
    /// </summary>
    public long Rewinds => Interlocked.Read(ref _rewinds);
    /// <summary>
    /// Frames a camera activation took but never reported settled, because a new activation took later frames first
    /// (no chance to re-send them). Zero for this client: each frame names its oldest unsettled one and a new
    /// activation asks for a rewind instead (<see cref="FrameMessage.OldestUnsettled"/>).
    /// </summary>
    public long Orphaned => Interlocked.Read(ref _orphaned);
    internal void AddRewind() => Interlocked.Increment(ref _rewinds);
    internal void AddOrphaned(long n) => Interlocked.Add(ref _orphaned, n);
    internal void AddSent() => Interlocked.Increment(ref _sent);
    internal void AddResent(long n) => Interlocked.Add(ref _resent, n);
    internal void AddDuplicate() => Interlocked.Increment(ref _duplicates);
    internal void AddFailedCall() => Interlocked.Increment(ref _failedCalls);
    internal void AddBusy() => Interlocked.Increment(ref _busyRetries);
    internal void AddDropped() => Interlocked.Increment(ref _dropped);
}

/// <summary>
/// The frames one camera activation settled (scored or dropped with a reason): sequences
/// <see cref="FirstSequence"/>..<see cref="SettledThrough"/>, as its last answer reported them. A camera activation
/// settles its frames in sequence order, so its scored + dropped counters name a prefix of the frames it received.
/// </summary>
public sealed record IngestSegment(long FirstSequence, long Received, long Scored, long Dropped)
{
    public long SettledThrough => FirstSequence + Scored + Dropped - 1;
}

/// <summary>Streams frames into one camera grain, in order, honouring back-pressure.</summary>
public static class Ingest
{
    /// <summary>How long a lossless ingest waits on back-pressure for one frame before giving up with an error.</summary>
    public static TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public static FrameSourceOptions SourceOptions(ModelInfo model) => new()
    {
        Width = model.InputWidth,
        Height = model.InputHeight,
        PixelFormat = model.Channels == 3 ? FramePixelFormat.Rgb24 : FramePixelFormat.Gray8,
    };

    public static FrameMessage ToMessage(Frame f, long sequence) => new()
    {
        Sequence = sequence,
        Timestamp = f.Timestamp,
        Width = f.Width,
        Height = f.Height,
        Format = f.PixelFormat == FramePixelFormat.Rgb24 ? FrameFormat.Rgb24 : FrameFormat.Gray8,
        Pixels = f.Data,
    };

    /// <summary>
    /// Sends every frame. Lossless (--max-speed): a Busy answer (inference queue full) makes it wait and retry the same
    /// frame, so nothing is dropped. Realtime: frames are paced by their timestamps and the camera drops on overload.
    /// </summary>
    public static async Task RunAsync(ICameraGrain camera, IEnumerable<FrameMessage> frames, IngestMode mode, IngestStats stats,
        CancellationToken ct = default, bool paced = false)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        foreach (var msg in frames)
        {
            ct.ThrowIfCancellationRequested();
            if (paced)
            {
                first ??= msg.Timestamp;
                var due = msg.Timestamp - first.Value - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, ct);
            }
            int backoffMs = 1;
            long busySince = 0;
            while (true)
            {
                var ack = await camera.PushFrame(msg, mode);
                if (ack.Status != FrameStatus.Busy)
                {
                    if (ack.Status == FrameStatus.Dropped) stats.AddDropped();
                    break;
                }
                if (busySince == 0) busySince = Stopwatch.GetTimestamp();
                else if (Stopwatch.GetElapsedTime(busySince) > BusyTimeout)
                    throw new TimeoutException($"frame {msg.Sequence}: the cluster refused it for {BusyTimeout.TotalSeconds:0} s ({ack.Reason})");
                stats.AddBusy();
                await Task.Delay(backoffMs, ct);
                backoffMs = Math.Min(backoffMs * 2, 20);
            }
            stats.AddSent();
        }
        await camera.EndStream();
    }

    /// <summary>Waits until the camera has an outcome (scored or dropped) for every frame it received.</summary>
    public static async Task<CameraStatus> WaitSettledAsync(ICameraGrain camera, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var s = await camera.GetStatus();
            if (s.Pending == 0) return s;
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"camera {s.CameraId}: {s.Pending} frame(s) still pending after {timeout.TotalSeconds:0} s");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// At-least-once ingest: like <see cref="RunAsync"/> (lossless or realtime), but a failed call (the camera's silo
    /// died, a timeout, the gateway connection lost) does not end the stream. The frames not yet known to be settled
    /// are kept; after a failure every one of them after the last settled frame is sent again (to the same activation,
    /// which acks exact re-sends as duplicates, or to the camera's new activation on another silo). Returns the
    /// segments (one per camera activation) that together settled every frame; waits for the last one to settle.
    /// Gives up with a <see cref="TimeoutException"/> after <paramref name="retryTimeout"/> without progress.
    /// </summary>
    public static async Task<List<IngestSegment>> RunAtLeastOnceAsync(ICameraGrain camera, IEnumerable<FrameMessage> frames,
        IngestMode mode, IngestStats stats, TimeSpan retryTimeout, TimeSpan settleTimeout, CancellationToken ct = default,
        TimeSpan? frameInterval = null)
    {
        var segments = new List<IngestSegment>();
        var unsettled = new List<FrameMessage>(); // sent, not known settled, in sequence order
        IngestSegment? current = null;
        long failingSince = 0;

        void Observe(FrameMessage msg, FrameAck ack)
        {
            failingSince = 0;
            if (ack.Reason == Vad.Grains.CameraGrain.DuplicateReason) { stats.AddDuplicate(); return; }
            long first = msg.Sequence - ack.Received + 1;
            if (current is null || current.FirstSequence != first)
            {
                if (current is not null && first > current.SettledThrough + 1) stats.AddOrphaned(first - current.SettledThrough - 1);
                current = new IngestSegment(first, 0, 0, 0);
                segments.Add(current);
            }
            current = current with { Received = ack.Received, Scored = ack.Scored, Dropped = ack.Dropped };
            segments[^1] = current;
            long settled = current.SettledThrough;
            int n = 0;
            while (n < unsettled.Count && unsettled[n].Sequence <= settled) n++;
            unsettled.RemoveRange(0, n);
        }

        async Task Failed(Exception e)
        {
            ct.ThrowIfCancellationRequested();
            stats.AddFailedCall();
            if (failingSince == 0) failingSince = Stopwatch.GetTimestamp();
            else if (Stopwatch.GetElapsedTime(failingSince) > retryTimeout)
                throw new TimeoutException($"the camera's calls kept failing for {retryTimeout.TotalSeconds:0} s: {e.Message}", e);
            await Task.Delay(200, ct);
        }

        // Sends one frame until the camera answers (not Busy); false when the call failed or a new activation asked to
        // rewind to the oldest unsettled frame.
        async Task<bool> SendAsync(FrameMessage msg)
        {
            int backoffMs = 1;
            long busySince = 0;
            while (true)
            {
                FrameAck ack;
                long oldest = unsettled.Count > 0 ? Math.Min(unsettled[0].Sequence, msg.Sequence) : msg.Sequence;
                try { ack = await camera.PushFrame(msg with { OldestUnsettled = oldest }, mode); }
                catch (Exception e) when (e is not InvalidFrameException)
                {
                    await Failed(e);
                    return false;
                }
                if (ack.Status == FrameStatus.Rewind)
                {
                    stats.AddRewind();
                    if (failingSince == 0) failingSince = Stopwatch.GetTimestamp();
                    else if (Stopwatch.GetElapsedTime(failingSince) > retryTimeout)
                        throw new TimeoutException($"frame {msg.Sequence}: the camera kept asking to rewind for {retryTimeout.TotalSeconds:0} s ({ack.Reason})");
                    return false;
                }
                if (ack.Status != FrameStatus.Busy)
                {
                    if (ack.Status == FrameStatus.Dropped) stats.AddDropped();
                    Observe(msg, ack);
                    return true;
                }
                if (busySince == 0) busySince = Stopwatch.GetTimestamp();
                else if (Stopwatch.GetElapsedTime(busySince) > BusyTimeout)
                    throw new TimeoutException($"frame {msg.Sequence}: the cluster refused it for {BusyTimeout.TotalSeconds:0} s ({ack.Reason})");
                stats.AddBusy();
                await Task.Delay(backoffMs, ct);
                backoffMs = Math.Min(backoffMs * 2, 20);
            }
        }

        // Sends the unsettled frames again, in order, until one pass goes through without a failure.
        async Task ResendAsync()
        {
            while (true)
            {
                var again = unsettled.ToList();
                stats.AddResent(again.Count);
                bool ok = true;
                foreach (var m in again)
                    if (!(ok = await SendAsync(m))) break;
                if (ok) return;
            }
        }

        foreach (var msg in frames)
        {
            ct.ThrowIfCancellationRequested();
            if (frameInterval is { } interval) await Task.Delay(interval, ct);
            unsettled.Add(msg);
            if (!await SendAsync(msg)) await ResendAsync();
            stats.AddSent();
        }

        // End of stream: the tail is scored on EndStream; the stream is done when the activation that took the frames
        // reports none pending. A smaller received count means that activation is gone: send its unsettled frames again.
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            CameraStatus s;
            try
            {
                await camera.EndStream();
                var deadline = Stopwatch.StartNew();
                while (true)
                {
                    s = await camera.GetStatus();
                    if (s.Pending == 0 || s.Received < (current?.Received ?? 0)) break;
                    if (deadline.Elapsed > settleTimeout)
                        throw new TimeoutException($"camera {s.CameraId}: {s.Pending} frame(s) still pending after {settleTimeout.TotalSeconds:0} s");
                    await Task.Delay(20, ct);
                }
            }
            catch (Exception e) when (e is not (InvalidFrameException or TimeoutException))
            {
                await Failed(e);
                await ResendAsync();
                continue;
            }
            if (current is not null && s.Received >= current.Received && s.Pending == 0)
            {
                current = current with { Received = s.Received, Scored = s.Scored, Dropped = s.Dropped };
                segments[^1] = current;
                return segments;
            }
            if (current is null) return segments;
            await ResendAsync();
        }
    }
}
