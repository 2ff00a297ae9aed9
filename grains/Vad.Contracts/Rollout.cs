using System.Text;

namespace Vad.Contracts;

/// <summary>
/// Which version each camera is served: the stable one, the candidate for a hash-selected canary share, or a pinned one.
/// Pushed by the rollout grain to every inference grain; <see cref="Epoch"/> grows with every change.
/// </summary>
[GenerateSerializer, Immutable, Alias("vad.RolloutPlan")]
public sealed record RolloutPlan
{
    [Id(0)] public string Stable { get; init; } = "";
    [Id(1)] public string? Candidate { get; init; }
    [Id(2)] public int CanaryPercent { get; init; }
    [Id(3)] public Dictionary<string, string> Pins { get; init; } = new();
    [Id(4)] public long Epoch { get; init; }

    /// <summary>Stable bucket 0..99 of a camera id (FNV-1a of its UTF-8 bytes: the same on every silo and every run).</summary>
    public static int BucketOf(string cameraId)
    {
        uint h = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(cameraId)) { h ^= b; h *= 16777619; }
        return (int)(h % 100);
    }

    public string VersionFor(string cameraId) =>
        Pins.TryGetValue(cameraId, out var pinned) ? pinned
        : Candidate is not null && BucketOf(cameraId) < CanaryPercent ? Candidate
        : Stable;
}

/// <summary>A registry version shipped to an inference grain: the ONNX bytes and the manifest JSON.</summary>
[GenerateSerializer, Immutable, Alias("vad.ModelPayload")]
public sealed record ModelPayload
{
    [Id(0)] public string Version { get; init; } = "";
    [Id(1)] public byte[] Onnx { get; init; } = [];
    [Id(2)] public string ManifestJson { get; init; } = "";
}

/// <summary>Per-version counters of one inference grain (health checks of a canary compare these).</summary>
[GenerateSerializer, Immutable, Alias("vad.VersionHealth")]
public sealed record VersionHealth
{
    [Id(0)] public string Version { get; init; } = "";
    [Id(1)] public long Frames { get; init; }
    [Id(2)] public long Errors { get; init; }
    [Id(3)] public long Batches { get; init; }
    [Id(4)] public double BatchMsSum { get; init; }
    [Id(5)] public double ScoreSum { get; init; }
    [Id(6)] public double ScoreSqSum { get; init; }

    public VersionHealth Minus(VersionHealth? b) => b is null ? this : this with
    {
        Frames = Frames - b.Frames, Errors = Errors - b.Errors, Batches = Batches - b.Batches,
        BatchMsSum = BatchMsSum - b.BatchMsSum, ScoreSum = ScoreSum - b.ScoreSum, ScoreSqSum = ScoreSqSum - b.ScoreSqSum,
    };

    public VersionHealth Plus(VersionHealth b) => this with
    {
        Frames = Frames + b.Frames, Errors = Errors + b.Errors, Batches = Batches + b.Batches,
        BatchMsSum = BatchMsSum + b.BatchMsSum, ScoreSum = ScoreSum + b.ScoreSum, ScoreSqSum = ScoreSqSum + b.ScoreSqSum,
    };
}

/// <summary>The versions an inference grain holds and serves.</summary>
[GenerateSerializer, Immutable, Alias("vad.InferenceModels")]
public sealed record InferenceModels
{
    [Id(0)] public string Key { get; init; } = "";
    /// <summary>The default version (cameras without a canary share or a pin).</summary>
    [Id(1)] public string Serving { get; init; } = "";
    [Id(2)] public List<ModelInfo> Loaded { get; init; } = new();
    [Id(3)] public long PlanEpoch { get; init; }
    [Id(4)] public List<VersionHealth> Health { get; init; } = new();
}

public enum RolloutPhase { Idle = 0, Canary = 1, Promoted = 2, RolledBack = 3, Rejected = 4 }

/// <summary>Health limits for the automatic promote/rollback decision at the end of the watch window.</summary>
[GenerateSerializer, Immutable, Alias("vad.RolloutPolicy")]
public sealed record RolloutPolicy
{
    [Id(0)] public double WatchSeconds { get; init; } = 60;
    /// <summary>Roll back when the candidate's error rate exceeds the stable one's by more than this.</summary>
    [Id(1)] public double MaxErrorRateIncrease { get; init; } = 0.01;
    /// <summary>Roll back when the candidate's mean per-frame batch time exceeds this multiple of the stable one's (+ 2 ms).</summary>
    [Id(2)] public double MaxLatencyRatio { get; init; } = 2.0;
    /// <summary>Roll back when |mean score shift| exceeds this many standard deviations of the stable scores.</summary>
    [Id(3)] public double MaxScoreShiftSigma { get; init; } = 4.0;
    /// <summary>Fewer canary frames than this at the end of the window: keep watching (up to 5 windows, then roll back).</summary>
    [Id(4)] public long MinCanaryFrames { get; init; } = 20;
}

[GenerateSerializer, Immutable, Alias("vad.AuditEntry")]
public sealed record AuditEntry
{
    [Id(0)] public DateTime Utc { get; init; }
    [Id(1)] public string Action { get; init; } = "";
    [Id(2)] public string? Version { get; init; }
    [Id(3)] public bool Ok { get; init; }
    [Id(4)] public string Detail { get; init; } = "";
}

[GenerateSerializer, Alias("vad.RolloutStatus")]
public sealed record RolloutStatus
{
    [Id(0)] public RolloutPhase Phase { get; init; }
    [Id(1)] public RolloutPlan Plan { get; init; } = new();
    [Id(2)] public string? Previous { get; init; }
    [Id(3)] public DateTime? WatchUntilUtc { get; init; }
    [Id(4)] public RolloutPolicy Policy { get; init; } = new();
    [Id(5)] public List<InferenceModels> Grains { get; init; } = new();
    [Id(6)] public string? LastDecision { get; init; }
}

/// <summary>A version failed to load or validate on an inference grain: the serving version keeps serving.</summary>
[GenerateSerializer, Alias("vad.ModelRejectedException")]
public sealed class ModelRejectedException : Exception
{
    public ModelRejectedException(string message) : base(message) { }
}

/// <summary>Model rollout (key 0): canary share, watch window, promote / roll back, pins, audit log.</summary>
[Alias("vad.IRolloutGrain")]
public interface IRolloutGrain : IGrainWithIntegerKey
{
    /// <summary>Every inference grain preloads and validates <paramref name="version"/> (registry), then the canary share moves to it.</summary>
    [Alias("Rollout")] Task<RolloutStatus> Rollout(string version, int canaryPercent, RolloutPolicy? policy);
    [Alias("Promote")] Task<RolloutStatus> Promote(string reason);
    [Alias("Rollback")] Task<RolloutStatus> Rollback(string reason);
    /// <summary>Pins a camera to a loaded version (null unpins).</summary>
    [Alias("Pin")] Task<RolloutStatus> Pin(string cameraId, string? version);
    [Alias("GetStatus")] Task<RolloutStatus> GetStatus();
    [Alias("GetAudit")] Task<List<AuditEntry>> GetAudit(int max);
}
