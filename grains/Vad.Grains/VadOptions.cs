using Vad.Core;

namespace Vad.Grains;

public static class SiloRoles
{
    public const string Cpu = "cpu";
    public const string Gpu = "gpu";
    public const string Trainer = "trainer";
    /// <summary>Silo metadata key holding the comma list of roles (read by the inference placement director).</summary>
    public const string MetadataKey = "vad.roles";
    public const string DevicesMetadataKey = "vad.gpu_devices";
}

/// <summary>What this silo is and serves (VAD_ROLES, VAD_GPU_DEVICES, VAD_MODEL).</summary>
public sealed class VadSiloOptions
{
    public string[] Roles { get; set; } = [SiloRoles.Cpu, SiloRoles.Gpu, SiloRoles.Trainer];
    /// <summary>CUDA device ids; empty = one CPU inference grain on a gpu-role silo.</summary>
    public string[] GpuDevices { get; set; } = [];
    public string ModelPath { get; set; } = RepoPaths.Resolve("models/ped2/student.onnx");
    public bool HasRole(string role) => Roles.Contains(role, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Dynamic batching of the inference grains.</summary>
public sealed class InferenceOptions
{
    public int MaxBatchSize { get; set; } = 32;
    public double MaxDelayMs { get; set; } = 5;
    /// <summary>Bound of the queue of each inference grain; when full, Enqueue answers QueueFull.</summary>
    public int QueueCapacity { get; set; } = 256;
    /// <summary>ONNX Runtime intra-op threads (0 = its default, the core count).</summary>
    public int IntraOpThreads { get; set; }
    /// <summary>A camera counts a triple lost (reason <c>inference_lost</c>) when no result came back within this.</summary>
    public TimeSpan ResultTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Camera defaults (silo-wide); each camera may override them with its settings.</summary>
public sealed class CameraOptions
{
    /// <summary>Raw and smoothed scores kept in memory per camera (for GetScores).</summary>
    public int ScoreHistory { get; set; } = 4096;
    public int LatencySamples { get; set; } = 2048;
    public TimeSpan ReconnectInitialBackoff { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectMaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
