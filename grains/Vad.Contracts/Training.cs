namespace Vad.Contracts;

/// <summary>
/// An offline distillation job. Per-camera fine-tuning is this same spec with <see cref="Dataset"/> = that camera's
/// normal footage and <see cref="CameraId"/> set (recorded in the job and the registered manifest's training data).
/// </summary>
[GenerateSerializer, Immutable, Alias("vad.TrainingJobSpec")]
public sealed record TrainingJobSpec
{
    [Id(0)] public string Dataset { get; init; } = "";
    [Id(1)] public string Profile { get; init; } = "cpu";
    [Id(2)] public int Epochs { get; init; } = 20;
    /// <summary>A teacher anomaly-map cache; null: the job scores the teachers on the training split first.</summary>
    [Id(3)] public string? TeachersCache { get; init; }
    [Id(4)] public string? CameraId { get; init; }
    /// <summary>Extra arguments for the student's <c>train</c> (e.g. <c>--batch 4 --ae-epochs 1 --max-steps 20</c>).</summary>
    [Id(5)] public List<string> TrainArgs { get; init; } = new();
    /// <summary>Run folder; null: <c>runs/jobs/&lt;job id&gt;</c> in the repository.</summary>
    [Id(6)] public string? RunDir { get; init; }
    /// <summary>
    /// Held-out normal footage (a dataset folder; its <i>training</i> split is read, never test labels): scored by the
    /// exported student at the end, its frame-score statistics registered as <c>val_*</c> metrics.
    /// </summary>
    [Id(7)] public string? ValidationDataset { get; init; }
    /// <summary>
    /// Speed-up factors (> 1) of sped-up copies of the training clips (every floor(j*F)-th frame): the teachers score
    /// each copy and the student distils on them too (<c>--distill-splits train,train-xF...</c>), so it sees objects
    /// moving too fast with the teachers' high scores. Empty: the training split only.
    /// </summary>
    [Id(8)] public List<double> SpeedUps { get; init; } = new();
}

public enum TrainingJobState { Queued = 0, Running = 1, Succeeded = 2, Failed = 3, Cancelled = 4 }

[GenerateSerializer, Alias("vad.TrainingJob")]
public sealed record TrainingJob
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public TrainingJobSpec Spec { get; init; } = new();
    [Id(2)] public TrainingJobState State { get; set; }
    /// <summary>The pipeline step running (<c>teachers</c>, <c>student</c>, <c>register</c>) or the student's phase.</summary>
    [Id(3)] public string Phase { get; set; } = "";
    [Id(4)] public int StepIndex { get; set; }
    [Id(5)] public int Epoch { get; set; }
    [Id(6)] public long GlobalStep { get; set; }
    [Id(7)] public long TotalSteps { get; set; }
    [Id(8)] public Dictionary<string, double> Losses { get; set; } = new();
    [Id(9)] public string? Eta { get; set; }
    [Id(10)] public string RunDir { get; set; } = "";
    [Id(11)] public DateTime CreatedUtc { get; set; }
    [Id(12)] public DateTime? FinishedUtc { get; set; }
    [Id(13)] public string? Error { get; set; }
    [Id(14)] public string? Version { get; set; }
    [Id(15)] public int Restarts { get; set; }
    /// <summary>The global step the student reported resuming from at the last (re)start (0: a fresh start).</summary>
    [Id(16)] public long ResumedFromStep { get; set; }
    [Id(17)] public int? Pid { get; set; }
    [Id(18)] public string? Silo { get; set; }
    [Id(19)] public string? LastLine { get; set; }
}

/// <summary>The cluster's trainer (key 0), placed on a <c>trainer</c>-role silo.</summary>
public interface ITrainerGrain : IGrainWithIntegerKey
{
    Task<TrainingJob> StartJob(TrainingJobSpec spec);
    Task<TrainingJob?> GetJob(string id);
    Task<List<TrainingJob>> ListJobs();
    Task<bool> CancelJob(string id);
    /// <summary>Wakes the grain (a trainer silo calls it on a heartbeat) so unfinished jobs resume after a restart.</summary>
    Task Resume();
}
