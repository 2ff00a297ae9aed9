using System.Collections.Concurrent;
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
    public static readonly Histogram<double> InferenceLatency = Meter.CreateHistogram<double>("vad_inference_batch_latency", unit: "ms", description: "student run time of one batch");

    // Inference grains active on this silo, read when the exporter collects the gauges below.
    private static readonly ConcurrentDictionary<string, Func<BatchingEngine?>> Engines = new();

    public static readonly ObservableGauge<int> QueueDepth = Meter.CreateObservableGauge("vad_inference_queue_depth",
        () => Engines.Select(kv => (kv.Key, Engine: kv.Value())).Where(e => e.Engine is not null)
            .Select(e => new Measurement<int>(e.Engine!.QueueLength, new KeyValuePair<string, object?>("inference", e.Key))),
        description: "triples waiting in an inference grain's queue");

    public static readonly ObservableGauge<int> ServingModel = Meter.CreateObservableGauge("vad_serving_model",
        () => Engines.Select(kv => (kv.Key, Engine: kv.Value())).Where(e => e.Engine is not null)
            .Select(e => new Measurement<int>(1, new KeyValuePair<string, object?>("inference", e.Key),
                new KeyValuePair<string, object?>("version", e.Engine!.Model.Version))),
        description: "1 for each inference grain, labelled with the model version it serves");

    public static KeyValuePair<string, object?> Camera(string cameraId) => new("camera", cameraId);

    /// <summary>An inference grain's engine becomes visible to the gauges until <see cref="Untrack"/>.</summary>
    public static void Track(string inferenceKey, Func<BatchingEngine?> engine) => Engines[inferenceKey] = engine;

    public static void Untrack(string inferenceKey) => Engines.TryRemove(inferenceKey, out _);
}
