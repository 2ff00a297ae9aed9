namespace Vad.Contracts;

public enum FrameFormat
{
    Gray8 = 0,
    Rgb24 = 1,
}

/// <summary>A frame sent to a camera grain, already at the model's input size.</summary>
[GenerateSerializer, Immutable, Alias("vad.FrameMessage")]
public sealed record FrameMessage
{
    /// <summary>Strictly increasing per camera; gaps mean frames lost before the cluster.</summary>
    [Id(0)] public long Sequence { get; init; }
    /// <summary>Presentation time of the frame in its stream.</summary>
    [Id(1)] public TimeSpan Timestamp { get; init; }
    [Id(2)] public int Width { get; init; }
    [Id(3)] public int Height { get; init; }
    [Id(4)] public FrameFormat Format { get; init; }
    /// <summary>Row-major pixels, Width*Height*channels bytes.</summary>
    [Id(5)] public byte[] Pixels { get; init; } = [];
    /// <summary>
    /// At-least-once senders: the sender's oldest frame not yet reported settled (null: not tracked). A camera
    /// activation that holds no frames yet answers <see cref="FrameStatus.Rewind"/> to a frame after it, so frames
    /// taken by an activation that died unsettled are sent again instead of being lost.
    /// </summary>
    [Id(6)] public long? OldestUnsettled { get; init; }
}

/// <summary>How a camera treats a frame it cannot hand to inference because the inference queue is full.</summary>
public enum IngestMode
{
    /// <summary>Live: the frame is dropped (counted, reason <c>queue_full</c>) and the caller told.</summary>
    Realtime = 0,
    /// <summary>Full speed, lossless: the frame is not taken (status Busy) and the caller must retry it.</summary>
    Lossless = 1,
}

public enum FrameStatus
{
    Accepted = 0,
    /// <summary>Not taken: back-pressure, retry the same frame later (Lossless mode only).</summary>
    Busy = 1,
    /// <summary>Taken and counted as received, but its triple was dropped (see <see cref="FrameAck.Reason"/>).</summary>
    Dropped = 2,
    /// <summary>
    /// Not taken: this camera activation is new (its silo changed) and does not hold the sender's unsettled frames
    /// before this one (<see cref="FrameMessage.OldestUnsettled"/>); send again from the oldest unsettled frame.
    /// </summary>
    Rewind = 3,
}

[GenerateSerializer, Immutable, Alias("vad.FrameAck")]
public sealed record FrameAck
{
    [Id(0)] public FrameStatus Status { get; init; }
    [Id(1)] public string? Reason { get; init; }
    [Id(2)] public long Received { get; init; }
    [Id(3)] public long Scored { get; init; }
    [Id(4)] public long Dropped { get; init; }
}

/// <summary>The triple [x(i-t), x(i), x(i+t)] centred at frame i of a camera, sent for scoring.</summary>
[GenerateSerializer, Immutable, Alias("vad.TripleRequest")]
public sealed record TripleRequest
{
    [Id(0)] public string CameraId { get; init; } = "";
    [Id(1)] public long CenterSequence { get; init; }
    [Id(2)] public int Width { get; init; }
    [Id(3)] public int Height { get; init; }
    [Id(4)] public FrameFormat Format { get; init; }
    [Id(5)] public byte[] Previous { get; init; } = [];
    [Id(6)] public byte[] Center { get; init; } = [];
    [Id(7)] public byte[] Next { get; init; } = [];
    /// <summary>Stopwatch ticks on the camera's silo when the triple became complete (echoed back for latency).</summary>
    [Id(8)] public long SubmittedTicks { get; init; }
    /// <summary>
    /// The model version this triple is scored with: empty = the one the rollout plan assigns to the camera; the
    /// inference grain stamps the resolved version before queueing, and a batch only ever holds one version.
    /// </summary>
    [Id(9)] public string ModelVersion { get; init; } = "";
}

public enum EnqueueStatus
{
    Accepted = 0,
    QueueFull = 1,
    /// <summary>The inference grain is draining (silo shutting down) or has no model loaded.</summary>
    Unavailable = 2,
    /// <summary>The triple does not match the model's input (size or channels).</summary>
    Invalid = 3,
}

[GenerateSerializer, Immutable, Alias("vad.EnqueueResult")]
public sealed record EnqueueResult
{
    [Id(0)] public EnqueueStatus Status { get; init; }
    [Id(1)] public string? Detail { get; init; }
    [Id(2)] public int QueueLength { get; init; }
}

/// <summary>The student's verdict on one triple: frame score, the 16x16 anomaly map and the model version.</summary>
[GenerateSerializer, Immutable, Alias("vad.ScoredFrame")]
public sealed record ScoredFrame
{
    [Id(0)] public long CenterSequence { get; init; }
    /// <summary>Mean over heads of each map's maximum (the paper's frame score). NaN when <see cref="Error"/> is set.</summary>
    [Id(1)] public float Score { get; init; }
    /// <summary>Side of <see cref="Map"/> (16 for the student's 16x16 head).</summary>
    [Id(2)] public int MapSize { get; init; }
    [Id(3)] public float[] Map { get; init; } = [];
    [Id(4)] public string ModelVersion { get; init; } = "";
    [Id(5)] public long SubmittedTicks { get; init; }
    [Id(6)] public int BatchSize { get; init; }
    /// <summary>Set when inference failed for this triple: the camera counts it as dropped, reason <c>inference_error</c>.</summary>
    [Id(7)] public string? Error { get; init; }
    /// <summary>The batch that scored this frame (unique per inference engine: a random engine id in the high 32 bits).</summary>
    [Id(8)] public long BatchId { get; init; }
}

/// <summary>Per-camera settings (persisted with the camera).</summary>
[GenerateSerializer, Immutable, Alias("vad.CameraSettings")]
public sealed record CameraSettings
{
    /// <summary>An alert opens after <see cref="OpenAfterFrames"/> consecutive smoothed scores at or above this.</summary>
    [Id(0)] public double UpperThreshold { get; init; } = 0.5;
    /// <summary>An open alert ends at the first smoothed score below this (hysteresis: Lower &lt;= Upper).</summary>
    [Id(1)] public double LowerThreshold { get; init; } = 0.35;
    [Id(2)] public int OpenAfterFrames { get; init; } = 3;
    /// <summary>Sigma (frames) of the causal half-Gaussian smoothing; 0 = none.</summary>
    [Id(3)] public double Sigma { get; init; } = 3;
    /// <summary>Nominal frame rate (pacing of silo-side file sources, alert times when timestamps are missing).</summary>
    [Id(4)] public double Fps { get; init; } = 10;
    [Id(5)] public bool Enabled { get; init; } = true;
    /// <summary>Alert log bound: at most this many alerts kept...</summary>
    [Id(6)] public int MaxAlerts { get; init; } = 1000;
    /// <summary>... and none older than this.</summary>
    [Id(7)] public TimeSpan AlertRetention { get; init; } = TimeSpan.FromDays(30);

    public string? Validate()
    {
        if (double.IsNaN(UpperThreshold) || double.IsNaN(LowerThreshold)) return "thresholds must be numbers";
        if (LowerThreshold > UpperThreshold) return $"lower threshold {LowerThreshold} is above upper threshold {UpperThreshold}";
        if (OpenAfterFrames < 1) return "open_after_frames must be >= 1";
        if (Sigma < 0 || Sigma > 100) return "sigma must be in [0, 100]";
        if (Fps <= 0 || Fps > 1000) return "fps must be in (0, 1000]";
        if (MaxAlerts < 1) return "max_alerts must be >= 1";
        if (AlertRetention <= TimeSpan.Zero) return "alert retention must be positive";
        return null;
    }
}

[GenerateSerializer, Alias("vad.Alert")]
public sealed record Alert
{
    [Id(0)] public string CameraId { get; init; } = "";
    [Id(1)] public long Id { get; init; }
    [Id(2)] public long StartSequence { get; init; }
    [Id(3)] public long? EndSequence { get; init; }
    [Id(4)] public TimeSpan StartTime { get; init; }
    [Id(5)] public TimeSpan? EndTime { get; init; }
    [Id(6)] public DateTime StartUtc { get; init; }
    [Id(7)] public DateTime? EndUtc { get; init; }
    [Id(8)] public double PeakScore { get; init; }
    [Id(9)] public long PeakSequence { get; init; }
    /// <summary>Peak location: centre of the hottest map cell, as fractions of the frame width/height.</summary>
    [Id(10)] public double PeakX { get; init; }
    [Id(11)] public double PeakY { get; init; }
    [Id(12)] public string ModelVersion { get; init; } = "";
    public bool IsOpen => EndSequence is null;
}

public enum AlertEventKind
{
    Opened = 0,
    Updated = 1,
    Closed = 2,
}

[GenerateSerializer, Immutable, Alias("vad.AlertEvent")]
public sealed record AlertEvent
{
    [Id(0)] public AlertEventKind Kind { get; init; }
    [Id(1)] public Alert Alert { get; init; } = new();
}

[GenerateSerializer, Immutable, Alias("vad.ScorePoint")]
public readonly record struct ScorePoint(
    [property: Id(0)] long Sequence,
    [property: Id(1)] float Raw,
    [property: Id(2)] float Smoothed);

public enum SourceState
{
    None = 0,
    Running = 1,
    Reconnecting = 2,
    Finished = 3,
    Failed = 4,
    Stopped = 5,
}

[GenerateSerializer, Immutable, Alias("vad.CameraStatus")]
public sealed record CameraStatus
{
    [Id(0)] public string CameraId { get; init; } = "";
    [Id(1)] public CameraSettings Settings { get; init; } = new();
    [Id(2)] public long Received { get; init; }
    [Id(3)] public long Scored { get; init; }
    [Id(4)] public Dictionary<string, long> DroppedByReason { get; init; } = new();
    /// <summary>Received, not yet scored nor dropped (waiting for frame i+t or for inference).</summary>
    [Id(5)] public long Pending { get; init; }
    [Id(6)] public long? LastSequence { get; init; }
    [Id(7)] public double LatencyP50Ms { get; init; }
    [Id(8)] public double LatencyP90Ms { get; init; }
    [Id(9)] public double LatencyP99Ms { get; init; }
    [Id(10)] public int AlertCount { get; init; }
    [Id(11)] public Alert? OpenAlert { get; init; }
    [Id(12)] public string? SourceUrl { get; init; }
    [Id(13)] public SourceState SourceState { get; init; }
    [Id(14)] public string? LastError { get; init; }
    [Id(15)] public string? InferenceGrain { get; init; }
    [Id(16)] public string? ModelVersion { get; init; }
    [Id(17)] public float? LastScore { get; init; }
    [Id(18)] public long Rejected { get; init; }
    [Id(19)] public long LostUpstream { get; init; }
    /// <summary>The silo hosting the camera grain (counters are those of this activation).</summary>
    [Id(20)] public string Silo { get; init; } = "";
    public long Dropped => DroppedByReason.Values.Sum();
}

/// <summary>What a camera (or the client) must know about the model being served.</summary>
[GenerateSerializer, Immutable, Alias("vad.ModelInfo")]
public sealed record ModelInfo
{
    [Id(0)] public string Version { get; init; } = "";
    [Id(1)] public int InputWidth { get; init; }
    [Id(2)] public int InputHeight { get; init; }
    [Id(3)] public int Channels { get; init; } = 1;
    [Id(4)] public int StrideT { get; init; } = 3;
    [Id(5)] public int[] Heads { get; init; } = [];
    [Id(6)] public string Path { get; init; } = "";
    public FrameFormat Format => Channels == 3 ? FrameFormat.Rgb24 : FrameFormat.Gray8;
}

[GenerateSerializer, Immutable, Alias("vad.InferenceStatus")]
public sealed record InferenceStatus
{
    [Id(0)] public string Key { get; init; } = "";
    [Id(1)] public string Silo { get; init; } = "";
    [Id(2)] public string Device { get; init; } = "";
    /// <summary>The execution provider actually in use (CUDA or CPU) and why.</summary>
    [Id(3)] public string Provider { get; init; } = "";
    [Id(4)] public ModelInfo? Model { get; init; }
    [Id(5)] public int QueueLength { get; init; }
    [Id(6)] public int QueueCapacity { get; init; }
    [Id(7)] public int MaxBatchSize { get; init; }
    [Id(8)] public double MaxDelayMs { get; init; }
    [Id(9)] public long Batches { get; init; }
    [Id(10)] public long Frames { get; init; }
    [Id(11)] public long Rejected { get; init; }
    [Id(12)] public double MeanBatchSize { get; init; }
    [Id(13)] public double MeanBatchMs { get; init; }
    [Id(14)] public bool PlacedOnGpuSilo { get; init; }
}

[GenerateSerializer, Immutable, Alias("vad.SiloInfo")]
public sealed record SiloInfo
{
    [Id(0)] public string Address { get; init; } = "";
    [Id(1)] public string Name { get; init; } = "";
    [Id(2)] public string[] Roles { get; init; } = [];
    [Id(3)] public string[] GpuDevices { get; init; } = [];
    [Id(4)] public string Status { get; init; } = "";
}

/// <summary>An inference grain registered by its silo (one per (silo, GPU)).</summary>
[GenerateSerializer, Immutable, Alias("vad.InferenceEndpoint")]
public sealed record InferenceEndpoint
{
    [Id(0)] public string Key { get; init; } = "";
    [Id(1)] public string Silo { get; init; } = "";
    [Id(2)] public string Device { get; init; } = "";
    [Id(3)] public ModelInfo? Model { get; init; }
}

[GenerateSerializer, Immutable, Alias("vad.ClusterStatus")]
public sealed record ClusterStatus
{
    [Id(0)] public List<SiloInfo> Silos { get; init; } = [];
    [Id(1)] public List<InferenceEndpoint> Inference { get; init; } = [];
    [Id(2)] public ModelInfo? Model { get; init; }
    [Id(3)] public List<string> Cameras { get; init; } = [];
}

/// <summary>A frame the camera refuses (wrong size or format, sequence going back, camera disabled, ...).</summary>
[GenerateSerializer, Alias("vad.InvalidFrameException")]
public sealed class InvalidFrameException : Exception
{
    public InvalidFrameException(string message) : base(message) { }
    public InvalidFrameException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>No inference grain (and so no model) is registered in the cluster yet.</summary>
[GenerateSerializer, Alias("vad.NoInferenceException")]
public sealed class NoInferenceException : Exception
{
    public NoInferenceException(string message) : base(message) { }
}
