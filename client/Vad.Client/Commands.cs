using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Orleans.Runtime;
using Orleans.Streams;
using Spectre.Console;
using Vad.Contracts;
using Vad.Core.Cli;
using Vad.Core.Frames;
using Vad.Silo;

namespace Vad.Client;

/// <summary>The operator commands that talk to a running cluster.</summary>
public static class Commands
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static async Task<int> IngestAsync(CommandArgs a)
    {
        bool realtime = a.Flag("realtime"), maxSpeed = a.Flag("max-speed");
        string camera = a.Require("camera");
        a.RejectUnknown();
        if (a.Positionals.Count != 1) throw new CommandArgsException("usage: ingest SOURCE --camera ID [--realtime|--max-speed]");
        if (realtime && maxSpeed) throw new CommandArgsException("--realtime and --max-speed exclude each other");
        string source = a.Positionals[0];
        var cfg = VadConfig.FromEnvironment();
        await using var conn = await ClusterConnection.ConnectAsync(cfg);
        var model = await ClusterQueries.WaitForModelAsync(conn.Client, TimeSpan.FromSeconds(30));
        using var src = FrameSource.Open(source, Ingest.SourceOptions(model));
        var grain = conn.Client.GetGrain<ICameraGrain>(camera);
        var before = await grain.GetStatus();
        long firstSeq = (before.LastSequence ?? -1) + 1;
        var mode = realtime ? IngestMode.Realtime : IngestMode.Lossless;
        var stats = new IngestStats();
        long? total = src.Info.FrameCount;
        var sw = Stopwatch.StartNew();
        CameraStatus? last = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"{camera}", maxValue: total ?? 1);
                task.IsIndeterminate = total is null;
                var frames = src.ReadFrames().Select(f => Ingest.ToMessage(f, firstSeq + f.Index));
                // Lossless ingest is at-least-once: frames whose call failed (the camera's silo died) are sent again.
                Task run = realtime
                    ? Task.Run(() => Ingest.RunAsync(grain, frames, mode, stats, paced: true))
                    : Task.Run(() => Ingest.RunAtLeastOnceAsync(grain, frames, mode, stats, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2)));
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(250));
                    last = await grain.GetStatus();
                    double fps = stats.Sent / Math.Max(1e-3, sw.Elapsed.TotalSeconds);
                    task.Value = stats.Sent;
                    task.Description = $"{camera}: {fps,6:0.0} frames/s, scored {last.Scored - before.Scored}, dropped {last.Dropped - before.Dropped}";
                }
                await run;
                last = await Ingest.WaitSettledAsync(grain, TimeSpan.FromMinutes(2));
                task.Value = task.MaxValue;
                task.Description = $"{camera}: {stats.Sent / Math.Max(1e-3, sw.Elapsed.TotalSeconds),6:0.0} frames/s, scored {last.Scored - before.Scored}, dropped {last.Dropped - before.Dropped}";
            });
        last ??= await grain.GetStatus();
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(camera)}[/]: sent {stats.Sent} frames in {sw.Elapsed.TotalSeconds:0.0} s; received {last.Received}, scored {last.Scored}, dropped {last.Dropped} " +
            $"({Markup.Escape(FormatDrops(last.DroppedByReason))}), back-pressure waits {stats.BusyRetries}; alerts {last.AlertCount}; p50/p99 latency {last.LatencyP50Ms:0.0}/{last.LatencyP99Ms:0.0} ms");
        if (stats.FailedCalls > 0 || stats.Rewinds > 0)
            AnsiConsole.MarkupLine($"[yellow]{stats.FailedCalls} failed call(s) (silo or connection lost), {stats.Rewinds} rewind(s) asked by a new camera activation: {stats.Resent} frame(s) sent again, {stats.Duplicates} of them already taken[/]");
        if (stats.Orphaned > 0)
            AnsiConsole.MarkupLine($"[red]{stats.Orphaned} frame(s) taken by a camera activation that was replaced before it reported them settled[/]");
        if (src.CorruptFrames.Count > 0)
            AnsiConsole.MarkupLine($"[yellow]{src.CorruptFrames.Count} corrupt frame(s) skipped by the decoder[/]");
        return 0;
    }

    public static string FormatDrops(Dictionary<string, long> drops) =>
        drops.Count == 0 ? "none" : string.Join(", ", drops.Select(kv => $"{kv.Key}: {kv.Value}"));

    public static async Task<int> CamerasAsync(CommandArgs a)
    {
        bool json = a.Flag("json");
        if (a.Positionals.Count == 1) return await CameraSettingsAsync(a, a.Positionals[0], json);
        a.RejectUnknown();
        if (a.Positionals.Count > 1) throw new CommandArgsException("usage: cameras [CAMERA [--upper X] [--lower X] [--open-after K] [--sigma S] [--fps F] [--enable|--disable]] [--json]");
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var ids = await conn.Client.GetGrain<IClusterDirectoryGrain>(0).GetCameras();
        var statuses = await Task.WhenAll(ids.Select(id => conn.Client.GetGrain<ICameraGrain>(id).GetStatus()));
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(statuses, Json));
            return 0;
        }
        var t = new Table().Title("cameras")
            .AddColumns("camera", "on", "source", "received", "scored", "dropped", "pending", "p50/p99 ms", "alerts", "open alert", "score", "inference");
        foreach (var s in statuses)
            t.AddRow(Markup.Escape(s.CameraId), s.Settings.Enabled ? "yes" : "[red]no[/]",
                Markup.Escape(s.SourceUrl is null ? "client" : $"{s.SourceUrl} ({s.SourceState})"),
                s.Received.ToString(), s.Scored.ToString(), s.Dropped == 0 ? "0" : Markup.Escape($"{s.Dropped} ({FormatDrops(s.DroppedByReason)})"),
                s.Pending.ToString(), $"{s.LatencyP50Ms:0.0}/{s.LatencyP99Ms:0.0}", s.AlertCount.ToString(),
                s.OpenAlert is { } o ? $"[red]#{o.Id} from {o.StartSequence}[/]" : "-",
                s.LastScore?.ToString("0.000") ?? "-", Markup.Escape(ShortKey(s.InferenceGrain)));
        AnsiConsole.Write(t);
        if (ids.Count == 0) AnsiConsole.MarkupLine("[grey]no camera has sent frames yet[/]");
        return 0;
    }

    /// <summary>Shows a camera's settings, or changes them (thresholds, k, sigma, fps, enabled, alert retention).</summary>
    private static async Task<int> CameraSettingsAsync(CommandArgs a, string id, bool json)
    {
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var cam = await ClusterQueries.KnownCameraAsync(conn.Client, id);
        var s = await cam.GetSettings();
        var updated = s with
        {
            UpperThreshold = a.GetDouble("upper", s.UpperThreshold),
            LowerThreshold = a.GetDouble("lower", s.LowerThreshold),
            OpenAfterFrames = a.GetInt("open-after", s.OpenAfterFrames),
            Sigma = a.GetDouble("sigma", s.Sigma),
            Fps = a.GetDouble("fps", s.Fps),
            MaxAlerts = a.GetInt("max-alerts", s.MaxAlerts),
            AlertRetention = a.Has("retention-days") ? TimeSpan.FromDays(a.GetDouble("retention-days", 30)) : s.AlertRetention,
            Enabled = a.Flag("disable") ? false : a.Flag("enable") || s.Enabled,
        };
        a.RejectUnknown();
        if (updated.Validate() is { } error) throw new CommandArgsException(error);
        if (updated != s) await cam.UpdateSettings(updated);
        if (json) Console.WriteLine(JsonSerializer.Serialize(updated, Json));
        else AnsiConsole.MarkupLine(Markup.Escape($"{id}: upper {updated.UpperThreshold}, lower {updated.LowerThreshold}, open after {updated.OpenAfterFrames} frames, " +
            $"sigma {updated.Sigma}, fps {updated.Fps}, enabled {updated.Enabled}, keep {updated.MaxAlerts} alerts / {updated.AlertRetention.TotalDays:0.#} days" +
            (updated != s ? " (updated)" : "")));
        return 0;
    }

    private static string ShortKey(string? key)
    {
        if (key is null) return "-";
        int at = key.IndexOf('@'), bar = key.LastIndexOf('|');
        return at > 0 && bar > at ? key[..at] + key[bar..] : key;
    }

    /// <summary>An absolute time (ISO 8601) or a duration back from now: 30s, 10m, 2h, 1d.</summary>
    public static DateTime ParseSince(string s)
    {
        if (s.Length >= 2 && double.TryParse(s[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n >= 0)
        {
            TimeSpan? back = s[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (back is { } b) return DateTime.UtcNow - b;
        }
        if (DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)) return t;
        throw new CommandArgsException($"--since expects an ISO time or a duration like 30s, 10m, 2h, 1d; got '{s}'");
    }

    public static async Task<int> AlertsAsync(CommandArgs a)
    {
        bool json = a.Flag("json");
        DateTime? since = a.Get("since") is { } s ? ParseSince(s) : null;
        a.RejectUnknown();
        if (a.Positionals.Count != 1) throw new CommandArgsException("usage: alerts CAMERA [--since T] [--json]");
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var camera = await ClusterQueries.KnownCameraAsync(conn.Client, a.Positionals[0]);
        var alerts = await camera.GetAlerts(since);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(alerts, Json));
            return 0;
        }
        WriteAlerts(a.Positionals[0], alerts);
        return 0;
    }

    public static void WriteAlerts(string camera, IReadOnlyList<Alert> alerts)
    {
        var t = new Table().Title($"alerts of {Markup.Escape(camera)}")
            .AddColumns("#", "frames", "time (s)", "started (UTC)", "peak", "peak frame", "peak at (x, y)", "model");
        foreach (var x in alerts)
            t.AddRow(x.Id.ToString(), x.IsOpen ? $"{x.StartSequence}- [red](open)[/]" : $"{x.StartSequence}-{x.EndSequence}",
                $"{x.StartTime.TotalSeconds:0.0}-{(x.EndTime?.TotalSeconds.ToString("0.0") ?? "")}",
                x.StartUtc.ToString("yyyy-MM-dd HH:mm:ss"), x.PeakScore.ToString("0.000"), x.PeakSequence.ToString(),
                $"({x.PeakX:0.00}, {x.PeakY:0.00})", x.ModelVersion.Length > 12 ? x.ModelVersion[..12] : x.ModelVersion);
        AnsiConsole.Write(t);
        if (alerts.Count == 0) AnsiConsole.MarkupLine("[grey]no alerts[/]");
    }

    public static async Task<int> WatchAsync(CommandArgs a)
    {
        string key = a.Get("camera") ?? VadStreams.AllCameras;
        double seconds = a.GetDouble("seconds", 0);
        a.RejectUnknown();
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var stream = conn.Client.GetStreamProvider(VadStreams.Provider)
            .GetStream<AlertEvent>(StreamId.Create(VadStreams.AlertNamespace, key));
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        if (seconds > 0) cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        var handle = await stream.SubscribeAsync((ev, _) =>
        {
            var x = ev.Alert;
            // Plain lines (one per event, safe to pipe): time, kind, camera, alert, frames, peak.
            Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {ev.Kind,-7} {x.CameraId} #{x.Id} frames {x.StartSequence}-{x.EndSequence?.ToString() ?? "..."} " +
                $"peak {x.PeakScore:0.000} at frame {x.PeakSequence} ({x.PeakX:0.00}, {x.PeakY:0.00}) model {(x.ModelVersion.Length > 12 ? x.ModelVersion[..12] : x.ModelVersion)}");
            return Task.CompletedTask;
        });
        AnsiConsole.MarkupLine($"[grey]watching alerts of {(key == VadStreams.AllCameras ? "all cameras" : Markup.Escape(key))}; Ctrl+C to stop[/]");
        try { await Task.Delay(Timeout.Infinite, cts.Token); } catch (OperationCanceledException) { }
        await handle.UnsubscribeAsync();
        return 0;
    }

    public static async Task<int> StatusAsync(CommandArgs a)
    {
        bool json = a.Flag("json");
        a.RejectUnknown();
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var status = await conn.Client.GetGrain<IClusterDirectoryGrain>(0).GetStatus();
        var inference = await Task.WhenAll(status.Inference.Select(e => conn.Client.GetGrain<IInferenceGrain>(e.Key).GetStatus()));
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { status.Silos, inference, status.Model, cameras = status.Cameras.Count }, Json));
            return 0;
        }
        var silos = new Table().Title("silos").AddColumns("name", "address", "status", "roles", "gpu devices");
        foreach (var s in status.Silos)
            silos.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Address), s.Status, string.Join(",", s.Roles), s.GpuDevices.Length == 0 ? "-" : string.Join(",", s.GpuDevices));
        AnsiConsole.Write(silos);
        var inf = new Table().Title("inference grains").AddColumns("grain", "provider", "model", "queue", "batches", "frames", "mean batch", "batch ms", "queue full");
        foreach (var i in inference)
            inf.AddRow(Markup.Escape(ShortKey(i.Key)), Markup.Escape(i.Provider), i.Model?.Version[..12] ?? "-", $"{i.QueueLength}/{i.QueueCapacity}",
                i.Batches.ToString(), i.Frames.ToString(), i.MeanBatchSize.ToString("0.0"), i.MeanBatchMs.ToString("0.0"), i.Rejected.ToString());
        AnsiConsole.Write(inf);
        if (status.Model is { } m)
            AnsiConsole.MarkupLine($"model [bold]{m.Version}[/] ({Markup.Escape(m.Path)}): {m.InputWidth}x{m.InputHeight}, {m.Channels} channel(s), stride t = {m.StrideT}, heads {string.Join(",", m.Heads)}");
        else
            AnsiConsole.MarkupLine("[red]no inference grain registered (no model served)[/]");
        AnsiConsole.MarkupLine($"{status.Cameras.Count} camera(s)");
        return 0;
    }
}
