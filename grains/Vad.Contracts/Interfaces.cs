using Orleans.Concurrency;

namespace Vad.Contracts;

/// <summary>Stream provider and namespaces shared by silos and clients.</summary>
public static class VadStreams
{
    public const string Provider = "vad-streams";
    public const string AlertNamespace = "alerts";
    /// <summary>Training-job progress: every update of every job is published on key <see cref="AllJobs"/>.</summary>
    public const string TrainingNamespace = "training-jobs";
    public const string AllJobs = "all";
    /// <summary>Every camera also publishes on this stream key, so one watcher sees the whole cluster.</summary>
    public const string AllCameras = "*";
    public const string Storage = "vad";
}

/// <summary>One camera (key: camera id). Buffers frames, sends stride-t triples for scoring, runs the alert lifecycle.</summary>
[Alias("vad.ICameraGrain")]
public interface ICameraGrain : IGrainWithStringKey
{
    /// <summary>Takes one frame. Throws <see cref="InvalidFrameException"/> on bad input; the camera keeps working.</summary>
    [Alias("PushFrame")] Task<FrameAck> PushFrame(FrameMessage frame, IngestMode mode);

    /// <summary>End of a stream: scores the last t frames with the triple clamped at the end, closes an open alert.</summary>
    [Alias("EndStream")] Task<FrameAck> EndStream();

    /// <summary>Results from an inference grain (one-way: inference never waits on cameras).</summary>
    [OneWay, Alias("OnScored")] Task OnScored(ScoredFrame[] results);

    [Alias("GetStatus")] Task<CameraStatus> GetStatus();
    [Alias("GetAlerts")] Task<List<Alert>> GetAlerts(DateTime? sinceUtc);
    /// <summary>Per-frame raw and smoothed scores kept in memory (bounded), from a sequence number on.</summary>
    [Alias("GetScores")] Task<List<ScorePoint>> GetScores(long fromSequence, int max);
    /// <summary>Recent frame-to-score latencies (ms), for cluster-wide percentiles.</summary>
    [Alias("GetLatencies")] Task<float[]> GetLatencies();
    [Alias("GetSettings")] Task<CameraSettings> GetSettings();
    [Alias("UpdateSettings")] Task UpdateSettings(CameraSettings settings);

    /// <summary>Starts reading a file, folder or URL on this camera's silo (reconnects with backoff for URLs).</summary>
    [Alias("StartSource")] Task StartSource(string source, bool realtime);
    [Alias("StopSource")] Task StopSource();
}

/// <summary>Batches triples from many cameras through the student on one device of one silo.</summary>
[Alias("vad.IInferenceGrain")]
public interface IInferenceGrain : IGrainWithStringKey
{
    /// <summary>Queues a triple; answers at once (QueueFull is the back-pressure signal).</summary>
    [Alias("Enqueue")] Task<EnqueueResult> Enqueue(TripleRequest request);
    [Alias("GetStatus")] Task<InferenceStatus> GetStatus();
    /// <summary>Activates the grain (loads the model) and registers it.</summary>
    [Alias("Start")] Task<InferenceStatus> Start();
    /// <summary>Loads and validates another model; it replaces the serving one between two batches.</summary>
    [Alias("LoadModel")] Task<ModelInfo> LoadModel(string onnxPath);
    /// <summary>Loads and validates a version next to the serving one (shapes vs manifest, golden output); throws <see cref="ModelRejectedException"/>.</summary>
    [Alias("PreloadModel")] Task<ModelInfo> PreloadModel(ModelPayload payload);
    /// <summary>Which camera gets which loaded version, from the next batch on.</summary>
    [Alias("SetPlan")] Task SetPlan(RolloutPlan plan);
    /// <summary>Unloads every version not in <paramref name="keep"/> once its queued triples are scored.</summary>
    [Alias("RetainModels")] Task RetainModels(string[] keep);
    [Alias("GetModels")] Task<InferenceModels> GetModels();
}

/// <summary>Cluster directory (key 0): silos and their roles, inference grains, cameras.</summary>
[Alias("vad.IClusterDirectoryGrain")]
public interface IClusterDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("RegisterSilo")] Task RegisterSilo(SiloInfo silo);
    [Alias("RegisterInference")] Task RegisterInference(InferenceEndpoint endpoint);
    [Alias("UnregisterInference")] Task UnregisterInference(string key);
    /// <summary>Inference grains on active silos, ordered by key; <c>version</c> changes whenever the set changes.</summary>
    [Alias("GetInference")] Task<(List<InferenceEndpoint> Endpoints, int Version)> GetInference();
    [Alias("RegisterCamera")] Task RegisterCamera(string cameraId);
    [Alias("GetCameras")] Task<List<string>> GetCameras();
    [Alias("GetStatus")] Task<ClusterStatus> GetStatus();
}
