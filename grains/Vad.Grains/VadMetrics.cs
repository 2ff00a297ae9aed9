using System.Diagnostics.Metrics;

namespace Vad.Grains;

/// <summary>Silo metrics (exported on /metrics by the silo host).</summary>
public static class VadMetrics
{
    public const string MeterName = "Vad";
    private static readonly Meter Meter = new(MeterName);
    public static readonly Counter<long> FramesReceived = Meter.CreateCounter<long>("vad_frames_received", description: "frames taken by camera grains");
    public static readonly Counter<long> FramesScored = Meter.CreateCounter<long>("vad_frames_scored", description: "frames with a score");
    public static readonly Counter<long> FramesDropped = Meter.CreateCounter<long>("vad_frames_dropped", description: "frames dropped, by reason");
    public static readonly Counter<long> Batches = Meter.CreateCounter<long>("vad_inference_batches", description: "student batches run");
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("vad_inference_batch_size", description: "triples per batch");
    public static readonly Histogram<double> FrameLatency = Meter.CreateHistogram<double>("vad_frame_latency", unit: "ms", description: "triple complete to score at the camera");
    public static readonly Counter<long> AlertsOpened = Meter.CreateCounter<long>("vad_alerts_opened", description: "alerts opened");
}
