using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Vad.Contracts;
using Vad.Core;
using Vad.Core.Frames;
using Vad.Core.Models;
using Vad.Registry;

namespace Vad.Grains;

/// <summary>One pipeline program a job runs: its name (the job's phase while it runs) and its command line.</summary>
public sealed record TrainingStep(string Name, string FileName, IReadOnlyList<string> Args);

/// <summary>The programs of a job (injectable: tests run a small fake trainer through the same orchestration).</summary>
public interface ITrainingCommands
{
    IReadOnlyList<TrainingStep> Steps(TrainingJobSpec spec, string runDir);
    /// <summary>The exported student (its manifest <c>X.json</c> next to it) once the steps are done.</summary>
    string OnnxPath(string runDir);
}

/// <summary>The real pipelines: Vad.Teachers <c>score</c> (unless a cache is given), then Vad.Student <c>train</c>.</summary>
public sealed class PipelineTrainingCommands : ITrainingCommands
{
    /// <summary>
    /// The program of a trainer project: the repository build (trainer/&lt;Project&gt;/bin/Release/...), or the published
    /// layout of the trainer image (&lt;app&gt;/trainer/teachers/Vad.Teachers.dll, &lt;app&gt;/trainer/student/Vad.Student.dll).
    /// </summary>
    public static string Dll(string project) => Dll(project, RepoPaths.Root, AppContext.BaseDirectory);

    public static string Dll(string project, string repoRoot, string appDir)
    {
        string built = Path.Combine(repoRoot, "trainer", project, "bin", "Release", "net10.0", "linux-x64", project + ".dll");
        string published = Path.Combine(appDir, "trainer", project.Replace("Vad.", "", StringComparison.Ordinal).ToLowerInvariant(), project + ".dll");
        if (File.Exists(built)) return built;
        if (File.Exists(published)) return published;
        throw new FileNotFoundException($"{project} is neither built at {built} (run `./vad train --help` once to build it) nor published at {published}", built);
    }

    public IReadOnlyList<TrainingStep> Steps(TrainingJobSpec spec, string runDir)
    {
        var steps = new List<TrainingStep>();
        string cache = spec.TeachersCache ?? Path.Combine(runDir, "teachers");
        if (spec.SpeedUps.Any(f => !(f > 1) || double.IsInfinity(f)))
            throw new ArgumentException($"speed-up factors must be finite and > 1 (got {string.Join(", ", spec.SpeedUps)})");
        var splits = spec.SpeedUps.Select(f => PlaybackSpeed.SplitName("train", f)).Prepend("train").ToList();
        if (spec.TeachersCache is null)
            foreach (double f in spec.SpeedUps.Prepend(1.0))
                steps.Add(new(f == 1 ? "teachers" : $"teachers {PlaybackSpeed.SplitName("train", f)}", "dotnet",
                    [Dll("Vad.Teachers"), "score", "--dataset", spec.Dataset, "--split", "train", "--speedup", f.ToString(CultureInfo.InvariantCulture),
                     "--out", Path.Combine(runDir, "teacher-scores", PlaybackSpeed.SplitName("train", f)), "--cache", cache]));
        steps.Add(new("student", "dotnet", [Dll("Vad.Student"), "train", "--dataset", spec.Dataset, "--teachers", cache,
            "--profile", spec.Profile, "--epochs", spec.Epochs.ToString(CultureInfo.InvariantCulture),
            "--run", Path.Combine(runDir, "student"), "--threads", "1",
            .. (spec.SpeedUps.Count > 0 ? new[] { "--distill-splits", string.Join(",", splits) } : []), .. spec.TrainArgs]));
        if (spec.ValidationDataset is { } val)
            steps.Add(new("validate", "dotnet", [Dll("Vad.Student"), "score", "--model", OnnxPath(runDir), "--dataset", val,
                "--split", "train", "--out", Path.Combine(runDir, ValidationDir), "--overlays", "0", "--threads", "1"]));
        return steps;
    }

    public string OnnxPath(string runDir) => Path.Combine(runDir, "student", "student.onnx");

    /// <summary>Where the validation step writes its per-clip frame scores (<c>&lt;clip&gt;.txt</c>).</summary>
    public const string ValidationDir = "validation";

    /// <summary>Statistics of the student's frame scores on the held-out normal clips (lower = fewer false alarms).</summary>
    public static Dictionary<string, double> ValidationMetrics(string runDir)
    {
        string dir = Path.Combine(runDir, ValidationDir);
        var scores = Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.txt").SelectMany(File.ReadLines).Where(l => l.Length > 0)
                .Select(l => double.Parse(l, CultureInfo.InvariantCulture)).Order().ToArray()
            : [];
        if (scores.Length == 0) return new();
        return new()
        {
            ["val_frames"] = scores.Length,
            ["val_mean_score"] = scores.Average(),
            ["val_p99_score"] = scores[Math.Min(scores.Length - 1, (int)Math.Ceiling(0.99 * scores.Length) - 1)],
            ["val_max_score"] = scores[^1],
        };
    }
}

/// <summary>Reads the student's progress lines (<c>... | 12/40 | 1.5 it/s | ETA 00:01:10</c>, epoch and resume lines).</summary>
public static partial class TrainingLogParser
{
    [GeneratedRegex(@"\| (\d+)/(\d+) \|")] private static partial Regex StepRe();
    [GeneratedRegex(@"ETA (\d+:\d\d:\d\d)")] private static partial Regex EtaRe();
    [GeneratedRegex(@"phase (\d+)(?: \(\w+\))? epoch (\d+)")] private static partial Regex EpochRe();
    [GeneratedRegex(@"resumed at .*\(global (\d+)\)")] private static partial Regex ResumeRe();
    [GeneratedRegex(@"(reconstruction MSE|recon|KD|adversarial|discriminator) (-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")] private static partial Regex LossRe();

    public static void Apply(TrainingJob job, string line)
    {
        job.LastLine = line.Length > 300 ? line[..300] : line;
        if (ResumeRe().Match(line) is { Success: true } r) job.ResumedFromStep = long.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture);
        if (StepRe().Match(line) is { Success: true } s)
        {
            job.GlobalStep = long.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture);
            job.TotalSteps = long.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        if (EtaRe().Match(line) is { Success: true } e) job.Eta = e.Groups[1].Value;
        if (EpochRe().Match(line) is { Success: true } p)
        {
            job.Phase = $"phase {p.Groups[1].Value}";
            job.Epoch = int.Parse(p.Groups[2].Value, CultureInfo.InvariantCulture);
            foreach (Match m in LossRe().Matches(line))
                job.Losses[m.Groups[1].Value is "reconstruction MSE" or "recon" ? "reconstruction" : m.Groups[1].Value.ToLowerInvariant()] =
                    double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }
    }
}

[GenerateSerializer, Alias("vad.TrainerState")]
public sealed class TrainerState
{
    [Id(0)] public List<TrainingJob> Jobs { get; set; } = new();
    [Id(1)] public int Next { get; set; }
}

/// <summary>
/// Runs distillation jobs as child processes of the pipelines, one at a time, in the background. Jobs live in grain
/// storage; on activation (a trainer silo wakes this grain on a heartbeat) an unfinished job restarts its current step
/// with the same run folder, so the student resumes from its checkpoint. At the end the exported ONNX is registered with
/// its training losses (the job never reads test labels).
/// </summary>
[TrainerPlacement]
public sealed class TrainerGrain(
    [PersistentState("trainer", VadStreams.Storage)] IPersistentState<TrainerState> state,
    IServiceProvider services,
    ILogger<TrainerGrain> logger) : Grain, ITrainerGrain
{
    private readonly ConcurrentQueue<string> _lines = new();
    private Process? _process;
    private string? _runningId;
    private bool _deactivating;
    private readonly HashSet<string> _cancelled = new();

    private ITrainingCommands Commands => services.GetService<ITrainingCommands>() ?? new PipelineTrainingCommands();
    private IModelRegistry Registry => services.GetService<IModelRegistry>() ?? ModelRegistryFactory.FromEnvironment();

    public override Task OnActivateAsync(CancellationToken ct)
    {
        PumpNext();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        // The job stays Running in storage: the next activation resumes it from its checkpoint.
        _deactivating = true;
        KillProcess();
        if (_runningId is null) return; // nothing changed since the last save
        try
        {
            await state.WriteStateAsync(ct);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // At silo shutdown the storage may already be gone; progress was saved at most a second ago.
            logger.LogWarning(e, "Could not save training job {Id} while deactivating", _runningId);
        }
    }

    public async Task<TrainingJob> StartJob(TrainingJobSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Dataset)) throw new ArgumentException("a training job needs a dataset folder");
        if (!Directory.Exists(spec.Dataset) && !File.Exists(spec.Dataset)) throw new ArgumentException($"{spec.Dataset}: no such dataset");
        if (spec.Epochs < 1) throw new ArgumentException("epochs must be >= 1");
        if (spec.TeachersCache is { } c && !Directory.Exists(c)) throw new ArgumentException($"{c}: no such teacher cache");
        string id = $"job-{++state.State.Next:0000}";
        var job = new TrainingJob
        {
            Id = id, Spec = spec, State = TrainingJobState.Queued, Phase = "queued", CreatedUtc = DateTime.UtcNow,
            RunDir = Path.GetFullPath(spec.RunDir ?? RepoPaths.Resolve(Path.Combine("runs", "jobs", id))),
        };
        state.State.Jobs.Add(job);
        await SaveAsync(job);
        PumpNext();
        return job;
    }

    public Task<TrainingJob?> GetJob(string id) => Task.FromResult(state.State.Jobs.FirstOrDefault(j => j.Id == id));

    public Task<List<TrainingJob>> ListJobs() => Task.FromResult(state.State.Jobs.ToList());

    public async Task<bool> CancelJob(string id)
    {
        var job = state.State.Jobs.FirstOrDefault(j => j.Id == id);
        if (job is null || job.State is not (TrainingJobState.Queued or TrainingJobState.Running)) return false;
        _cancelled.Add(id);
        if (_runningId == id) KillProcess();
        Finish(job, TrainingJobState.Cancelled, "cancelled");
        await SaveAsync(job);
        return true;
    }

    public Task Resume()
    {
        PumpNext();
        return Task.CompletedTask;
    }

    /// <summary>Starts the oldest unfinished job unless one runs (its loop continues on this activation's scheduler).</summary>
    private void PumpNext()
    {
        if (_runningId is not null || _deactivating) return;
        var job = state.State.Jobs.FirstOrDefault(j => j.State is TrainingJobState.Running)
                  ?? state.State.Jobs.FirstOrDefault(j => j.State is TrainingJobState.Queued);
        if (job is null) return;
        _runningId = job.Id;
        _ = RunJob(job).ContinueWith(t =>
        {
            _runningId = null;
            if (t.Exception is { } e) logger.LogError(e, "Training job {Id} loop failed", job.Id);
            PumpNext();
        }, TaskScheduler.Current);
    }

    private async Task RunJob(TrainingJob job)
    {
        if (job.State == TrainingJobState.Running)
        {
            job.Restarts++;
            KillStale(job);
            logger.LogInformation("Resuming training job {Id} at step {Step} in {Run}", job.Id, job.StepIndex, job.RunDir);
        }
        job.State = TrainingJobState.Running;
        job.Silo = services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString();
        Directory.CreateDirectory(job.RunDir);
        IReadOnlyList<TrainingStep> steps;
        try { steps = Commands.Steps(job.Spec, job.RunDir); }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            Finish(job, TrainingJobState.Failed, e.Message);
            await SaveAsync(job);
            return;
        }
        for (; job.StepIndex < steps.Count; job.StepIndex++)
        {
            var step = steps[job.StepIndex];
            job.Phase = step.Name;
            int? code = await RunProcess(job, step);
            if (_deactivating || _cancelled.Contains(job.Id)) return;
            if (code != 0)
            {
                Finish(job, TrainingJobState.Failed, $"{step.Name} exited with {code}: {job.LastLine}");
                await SaveAsync(job);
                return;
            }
            await SaveAsync(job);
        }
        job.Phase = "register";
        try
        {
            string onnx = Commands.OnnxPath(job.RunDir);
            if (!File.Exists(onnx)) throw new ModelRegistryException($"the pipeline exported no {onnx} (last line: {job.LastLine})");
            var manifest = StudentManifest.Load(StudentManifest.PathFor(onnx));
            var metrics = new Dictionary<string, double>(manifest.Metrics);
            foreach (var (k, v) in job.Losses) metrics[$"train_{k}"] = v;
            foreach (var (k, v) in PipelineTrainingCommands.ValidationMetrics(job.RunDir)) metrics[k] = v;
            string data = job.Spec.CameraId is { } cam ? $"{manifest.TrainingData} (camera {cam} fine-tuning)" : manifest.TrainingData;
            var info = await Registry.RegisterAsync(await File.ReadAllBytesAsync(onnx), manifest with { Metrics = metrics, TrainingData = data });
            job.Version = info.Version;
            Finish(job, TrainingJobState.Succeeded, null);
        }
        catch (Exception e) when (e is ModelRegistryException or IOException or System.Text.Json.JsonException or FormatException)
        {
            Finish(job, TrainingJobState.Failed, $"register: {e.Message}");
        }
        await SaveAsync(job);
    }

    /// <summary>Persists the jobs and publishes this job's progress on the training stream (live watchers).</summary>
    private async Task SaveAsync(TrainingJob job)
    {
        await state.WriteStateAsync();
        try
        {
            await this.GetStreamProvider(VadStreams.Provider)
                .GetStream<TrainingJob>(StreamId.Create(VadStreams.TrainingNamespace, VadStreams.AllJobs))
                .OnNextAsync(job);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Progress stays queryable with GetJob; a stream hiccup must not fail a training job.
            logger.LogWarning(e, "Could not publish progress of training job {Id}", job.Id);
        }
    }

    private async Task<int?> RunProcess(TrainingJob job, TrainingStep step)
    {
        var psi = new ProcessStartInfo(step.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in step.Args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        try { p.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            job.LastLine = $"cannot start {step.FileName}: {e.Message}";
            return -1;
        }
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        job.Pid = p.Id;
        await SaveAsync(job);
        var lastWrite = Stopwatch.StartNew();
        while (!p.HasExited)
        {
            DelayDeactivation(TimeSpan.FromMinutes(2));
            await Task.WhenAny(p.WaitForExitAsync(), Task.Delay(250));
            Drain(job);
            if (lastWrite.Elapsed > TimeSpan.FromSeconds(1) && !_deactivating)
            {
                await SaveAsync(job);
                lastWrite.Restart();
            }
        }
        await p.WaitForExitAsync();
        Drain(job);
        job.Pid = null;
        _process = null;
        return p.ExitCode;
    }

    private void Drain(TrainingJob job)
    {
        while (_lines.TryDequeue(out var line)) TrainingLogParser.Apply(job, line);
    }

    private void KillProcess()
    {
        // Kill only signals: wait until the process is gone, so a resumed job never shares the run folder with it.
        try { if (_process is { HasExited: false } p) { p.Kill(entireProcessTree: true); p.WaitForExit(TimeSpan.FromSeconds(10)); } }
        catch (InvalidOperationException) { }
    }

    /// <summary>A job's previous process may outlive a silo that died without deactivating; two writers on one run folder would corrupt it.</summary>
    private void KillStale(TrainingJob job)
    {
        if (job.Pid is not { } pid) return;
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.StartTime.ToUniversalTime() >= job.CreatedUtc.AddSeconds(-1))
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        job.Pid = null;
    }

    private static void Finish(TrainingJob job, TrainingJobState s, string? error)
    {
        job.State = s;
        job.Error = error;
        job.Phase = s.ToString().ToLowerInvariant();
        job.FinishedUtc = DateTime.UtcNow;
        job.Eta = null;
    }
}
