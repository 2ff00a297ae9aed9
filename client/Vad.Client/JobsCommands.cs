using System.Globalization;
using System.Text.Json;
using Orleans.Runtime;
using Orleans.Streams;
using Spectre.Console;
using Vad.Contracts;
using Vad.Core.Cli;
using Vad.Silo;

namespace Vad.Client;

/// <summary><c>./vad jobs</c>: distillation jobs run by the cluster's trainer grain (on a trainer-role silo).</summary>
public static class JobsCommands
{
    public const string Usage = """
          jobs [--json]            training jobs of the cluster's trainer grain (phase, epoch, step, losses, ETA, version)
          jobs start --dataset DIR [--epochs N] [--profile cpu] [--teachers CACHE] [--camera ID] [--run DIR]
                     [--validation DIR] [--speedups 1.5,2] [--train-args "--batch 8 --max-steps 50"] [--wait]
                                   distil a student on the silo (teachers scored on the training split first unless
                                   --teachers); per-camera fine-tuning: --dataset = that camera's normal footage, --camera ID;
                                   --validation: held-out normal footage (training split) scored at the end -> val_* metrics
                                   --speedups: also distil on the training clips played 1.5x, 2x faster (no test frames)
          jobs show ID [--json] | jobs cancel ID
          jobs watch [--until ID] [--seconds S]
                                   live progress of every job (the trainer's stream); --until: stop when that job ends
        """;

    public static readonly string[] Flags = ["json", "wait"];

    public static async Task<int> RunAsync(CommandArgs a)
    {
        string sub = a.Positionals.Count == 0 ? "list" : a.Positionals[0];
        var rest = a.Positionals.Skip(1).ToList();
        bool json = a.Flag("json");
        if (sub == "start") return await StartAsync(a, json);
        if (sub == "watch") return await WatchAsync(a);
        if (sub is "show" or "cancel" && rest.Count != 1) throw new CommandArgsException($"usage: jobs {sub} ID");
        a.RejectUnknown();
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var trainer = conn.Client.GetGrain<ITrainerGrain>(0);
        switch (sub)
        {
            case "list":
                var jobs = await trainer.ListJobs();
                if (json) Console.WriteLine(JsonSerializer.Serialize(jobs, JsonOptions));
                else Table(jobs);
                return 0;
            case "show":
                var job = await trainer.GetJob(rest[0]) ?? throw new CommandArgsException($"no job '{rest[0]}'");
                Console.WriteLine(JsonSerializer.Serialize(job, JsonOptions));
                return 0;
            case "cancel":
                bool ok = await trainer.CancelJob(rest[0]);
                Console.WriteLine(ok ? $"cancelled {rest[0]}" : $"{rest[0]}: no such running or queued job");
                return ok ? 0 : 1;
            default:
                throw new CommandArgsException($"unknown jobs command '{sub}' (list, start, show, cancel)");
        }
    }

    /// <summary>Prints every progress update published by the trainer grain, one plain line each.</summary>
    private static async Task<int> WatchAsync(CommandArgs a)
    {
        string? until = a.Get("until");
        double seconds = a.GetDouble("seconds", 0);
        a.RejectUnknown();
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var stream = conn.Client.GetStreamProvider(VadStreams.Provider)
            .GetStream<TrainingJob>(StreamId.Create(VadStreams.TrainingNamespace, VadStreams.AllJobs));
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        if (seconds > 0) cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        int exit = 0;
        var handle = await stream.SubscribeAsync((j, _) =>
        {
            string eta = j.Eta is { } e ? $" eta {e}" : "";
            Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {j.Id} {j.State} {j.Phase} step {j.GlobalStep}/{j.TotalSteps}{eta} {Losses(j)}{(j.Version is { } v ? " version " + v[..Math.Min(12, v.Length)] : "")}{(j.Error is { } err ? " error: " + err : "")}");
            if (until == j.Id && j.State is not (TrainingJobState.Queued or TrainingJobState.Running))
            {
                exit = j.State == TrainingJobState.Succeeded ? 0 : 1;
                cts.Cancel();
            }
            return Task.CompletedTask;
        });
        try { await Task.Delay(Timeout.Infinite, cts.Token); } catch (OperationCanceledException) { }
        await handle.UnsubscribeAsync();
        return exit;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static async Task<int> StartAsync(CommandArgs a, bool json)
    {
        var spec = new TrainingJobSpec
        {
            Dataset = Path.GetFullPath(a.Require("dataset")),
            Epochs = a.GetInt("epochs", 20),
            Profile = a.GetOr("profile", "cpu"),
            TeachersCache = a.Get("teachers") is { } t ? Path.GetFullPath(t) : null,
            CameraId = a.Get("camera"),
            ValidationDataset = a.Get("validation") is { } v ? Path.GetFullPath(v) : null,
            RunDir = a.Get("run") is { } r ? Path.GetFullPath(r) : null,
            TrainArgs = (a.Get("train-args") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList(),
            SpeedUps = a.GetAll("speedups").Select(f => double.TryParse(f, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) && v > 1 && !double.IsInfinity(v)
                ? v : throw new CommandArgsException($"--speedups: '{f}' is not a factor > 1")).ToList(),
        };
        bool wait = a.Flag("wait");
        a.RejectUnknown();
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var trainer = conn.Client.GetGrain<ITrainerGrain>(0);
        TrainingJob job;
        try { job = await trainer.StartJob(spec); }
        catch (ArgumentException e) { throw new CommandArgsException(e.Message); }
        Console.WriteLine($"started {job.Id} (run folder {job.RunDir})");
        if (!wait) return 0;
        while (job.State is TrainingJobState.Queued or TrainingJobState.Running)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            job = await trainer.GetJob(job.Id) ?? throw new InvalidOperationException($"{job.Id} vanished");
            Console.WriteLine($"{job.Id} {job.State} {job.Phase} epoch {job.Epoch} step {job.GlobalStep}/{job.TotalSteps} {Losses(job)} ETA {job.Eta ?? "-"}");
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(job, JsonOptions));
        Console.WriteLine(job.State == TrainingJobState.Succeeded ? $"{job.Id} registered version {job.Version}" : $"{job.Id} {job.State}: {job.Error}");
        return job.State == TrainingJobState.Succeeded ? 0 : 1;
    }

    private static string Losses(TrainingJob j) =>
        string.Join(" ", j.Losses.Select(kv => $"{kv.Key} {kv.Value.ToString("G4", CultureInfo.InvariantCulture)}"));

    private static void Table(List<TrainingJob> jobs)
    {
        var table = new Table().AddColumns("job", "state", "phase", "epoch", "step", "losses", "ETA", "version", "restarts", "dataset");
        foreach (var j in jobs)
            table.AddRow(j.Id, j.State.ToString(), Markup.Escape(j.Phase), j.Epoch.ToString(CultureInfo.InvariantCulture),
                $"{j.GlobalStep}/{j.TotalSteps}", Markup.Escape(Losses(j)), j.Eta ?? "-",
                string.IsNullOrEmpty(j.Version) ? "-" : j.Version[..Math.Min(12, j.Version.Length)],
                j.Restarts.ToString(CultureInfo.InvariantCulture), Markup.Escape(j.Spec.Dataset + (j.Spec.CameraId is { } c ? $" (camera {c})" : "")));
        if (jobs.Count == 0) Console.WriteLine("no training jobs");
        else AnsiConsole.Write(table);
    }
}
