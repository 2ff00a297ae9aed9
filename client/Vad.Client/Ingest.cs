using System.Diagnostics;
using Vad.Contracts;
using Vad.Core.Frames;

namespace Vad.Client;

public sealed class IngestStats
{
    private long _sent, _busyRetries, _dropped;
    public long Sent => Interlocked.Read(ref _sent);
    public long BusyRetries => Interlocked.Read(ref _busyRetries);
    /// <summary>Frames the camera dropped (realtime mode); in lossless mode the ingest waits instead.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    internal void AddSent() => Interlocked.Increment(ref _sent);
    internal void AddBusy() => Interlocked.Increment(ref _busyRetries);
    internal void AddDropped() => Interlocked.Increment(ref _dropped);
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
}
