using System.Diagnostics;
using System.Text.Json;
using Vad.Client;
using Vad.Contracts;
using Vad.Core.Datasets;
using Vad.Core.Frames;
using Xunit;
using Xunit.Abstractions;

namespace Vad.Failover.Tests;

/// <summary>
/// The cluster as it runs in Kubernetes, on loopback: redis-server, two cpu silos and a gpu-role silo as separate
/// processes of the real silo program, configured only by the manifests' environment variables, and cluster clients
/// (this process, and the real client program). Failures are real: SIGKILL of a silo, SIGKILL of redis-server.
/// </summary>
[Trait("Category", "Failover")]
public sealed class FailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Cameras = 8;
    private const int ClipsPerCamera = 3;
    private static readonly TimeSpan FrameInterval = TimeSpan.FromMilliseconds(10);

    private ProcessCluster? _cluster;
    private ProcessCluster Cluster => _cluster!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private async Task<ProcessCluster> StartAsync(string name)
    {
        var sw = Stopwatch.StartNew();
        _cluster = await ProcessCluster.StartAsync(Shared.ModelPath, name);
        output.WriteLine($"cluster of 3 silo processes + redis ready in {sw.Elapsed.TotalSeconds:0.0} s (logs: {_cluster.LogDir})");
        return _cluster;
    }

    [Fact]
    public async Task Cluster_forms_over_redis_membership_from_the_manifest_environment()
    {
        var cluster = await StartAsync("forms");
        var dir = cluster.Client.GetGrain<IClusterDirectoryGrain>(0);
        ClusterStatus status = await dir.GetStatus();
        for (var sw = Stopwatch.StartNew(); (status.Silos.Count < 3 || status.Inference.Count == 0) && sw.Elapsed < TimeSpan.FromSeconds(30);)
        {
            await Task.Delay(250);
            status = await dir.GetStatus();
        }
        // Three silos, named by POD_NAME, advertising POD_IP and VAD_SILO_PORT, with the roles of VAD_ROLES.
        Assert.Equal(["cpu-0", "cpu-1", "gpu-0"], status.Silos.Select(s => s.Name).Order().ToArray());
        foreach (var s in status.Silos)
        {
            var process = cluster.ByAddress(s.Address);
            Assert.NotNull(process);
            Assert.Equal(s.Name, process.Name);
            Assert.StartsWith("127.0.0.1:", s.Address);
            Assert.Equal([process.Roles], s.Roles);
        }
        // The inference grains live on the gpu-role silo only; the model is the one VAD_MODEL names.
        Assert.NotEmpty(status.Inference);
        Assert.All(status.Inference, e => Assert.Equal("gpu-0", cluster.ByAddress(e.Silo)?.Name));
        Assert.Equal(Shared.Model.Version, status.Model?.Version);

        // The real client program, a separate process configured by the same variables: status and an ingest.
        var (rc, stdout) = await RunClientAsync(cluster, "status", "--json");
        Assert.True(rc == 0, stdout);
        using (var json = JsonDocument.Parse(stdout[stdout.IndexOf('{')..]))
        {
            var names = json.RootElement.GetProperty("silos").EnumerateArray().Select(e => e.GetProperty("name").GetString() ?? "").Order().ToArray();
            Assert.Equal(["cpu-0", "cpu-1", "gpu-0"], names);
        }
        var clip = Shared.Ped2.Test[0];
        (rc, stdout) = await RunClientAsync(cluster, "ingest", clip.Source, "--camera", "cli-cam", "--max-speed");
        Assert.True(rc == 0, stdout);
        var cam = await cluster.Client.GetGrain<ICameraGrain>("cli-cam").GetStatus();
        Assert.Equal(Shared.Clip(0).Count, cam.Received);
        Assert.Equal(0, cam.Pending);
        Assert.Equal(cam.Received, cam.Scored + cam.Dropped);
        Assert.NotNull(cluster.ByAddress(cam.Silo));
        output.WriteLine($"cli-cam on {cluster.ByAddress(cam.Silo)!.Name}: received {cam.Received}, scored {cam.Scored}, dropped {cam.Dropped}");
    }

    [Fact]
    public async Task Kill_9_of_a_cpu_silo_mid_stream_moves_its_cameras_and_loses_no_frame_or_alert()
    {
        var cluster = await StartAsync("kill");
        var runs = await StartCamerasAsync(cluster);

        // The cpu silo hosting the most cameras (cameras are placed by Orleans, on any silo).
        var placement = await PlacementAsync(cluster, runs);
        var victim = cluster.Silos.Where(s => s.Roles == "cpu")
            .OrderByDescending(s => placement.Count(p => p.Value == s.Name)).First();
        var moved = placement.Where(p => p.Value == victim.Name).Select(p => p.Key).ToList();
        Assert.True(moved.Count > 0, $"no camera on a cpu silo: {string.Join(", ", placement)}");

        var before = await AlertsOnceSomeAsync(cluster, moved);
        var sw = Stopwatch.StartNew();
        victim.Kill9();
        var midStream = runs.Where(r => moved.Contains(r.Id) && !r.Task!.IsCompleted).ToList();
        Assert.True(midStream.Count > 0, "the killed silo's cameras had all finished their streams before the kill");
        output.WriteLine($"kill -9 {victim.Name} (pid {victim.Pid}) hosting {string.Join(", ", moved)}; alerts persisted before: {before.Values.Sum(a => a.Count)}");

        await FinishAsync(cluster, runs);
        output.WriteLine($"all streams complete {sw.Elapsed.TotalSeconds:0.0} s after the kill");

        foreach (var id in moved)
        {
            var s = await cluster.Client.GetGrain<ICameraGrain>(id).GetStatus();
            var host = cluster.ByAddress(s.Silo);
            Assert.True(host is not null && host != victim && !host.HasExited, $"{id} is on {s.Silo}");
        }
        // The killed silo's cameras were mid-stream: their client saw the failure (a failed call, or the new activation's
        // rewind when Orleans forwarded the call to it), re-sent, and a new activation took over.
        Assert.All(midStream, r => Assert.True(r.Segments!.Count >= 2, $"{r.Id}: {Describe(r)}"));
        Assert.All(midStream, r => Assert.True(r.Stats.FailedCalls + r.Stats.Rewinds > 0 && r.Stats.Resent > 0, $"{r.Id}: {Describe(r)}"));
        await AssertAlertsIntactAsync(cluster, before);

        // Membership: the killed silo is declared dead, the others stay.
        var silos = (await cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetStatus()).Silos;
        output.WriteLine("silos after: " + string.Join(", ", silos.Select(s => $"{s.Name}={s.Status}")));
        Assert.DoesNotContain(silos, s => s.Name == victim.Name && s.Status == "Active");
        Assert.Equal(2, silos.Count(s => s.Status == "Active"));
    }

    [Fact]
    public async Task Redis_killed_and_restarted_mid_stream_is_survived_with_full_accounting()
    {
        var cluster = await StartAsync("redis");
        var runs = await StartCamerasAsync(cluster, clips: 4);
        var started = Stopwatch.StartNew();
        var before = await AlertsOnceSomeAsync(cluster, runs.Select(r => r.Id).ToList());

        cluster.Redis.Kill();
        int running = runs.Count(r => !r.Task!.IsCompleted);
        long sentAtKill = runs.Sum(r => r.Stats.Sent);
        output.WriteLine($"redis-server killed {started.Elapsed.TotalSeconds:0.0} s into the streams, {running} of {runs.Count} still running; " +
                         $"alerts persisted before: {before.Values.Sum(a => a.Count)}");
        Assert.True(running >= runs.Count / 2, $"only {running} of {runs.Count} streams were still running when redis-server was killed");
        await Task.Delay(TimeSpan.FromSeconds(2));
        long sentDuringOutage = runs.Sum(r => r.Stats.Sent) - sentAtKill;
        cluster.Redis.Start();
        var sw = Stopwatch.StartNew();
        output.WriteLine($"redis-server restarted on the same port (its append-only file, as the StatefulSet volume); " +
                         $"{sentDuringOutage} frames sent during the outage, {runs.Count(r => !r.Task!.IsCompleted)} streams still running");
        Assert.True(runs.Any(r => !r.Task!.IsCompleted), "every stream finished during the outage: the restart was not mid-stream");

        await FinishAsync(cluster, runs);
        output.WriteLine($"all streams complete {sw.Elapsed.TotalSeconds:0.0} s after the restart");
        await AssertAlertsIntactAsync(cluster, before);

        // The cluster works on after it: all silos still members, storage writable again (a new camera registers).
        var status = await cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetStatus();
        Assert.Equal(3, status.Silos.Count(s => s.Status == "Active"));
        Assert.All(cluster.Silos, s => Assert.False(s.HasExited, $"{s.Name} exited:\n{s.Tail()}"));
        var late = cluster.Client.GetGrain<ICameraGrain>("after-restart");
        await late.UpdateSettings(await late.GetSettings() with { OpenAfterFrames = 2 });
        var segments = await Ingest.RunAtLeastOnceAsync(late, Shared.Clip(1), IngestMode.Lossless, new IngestStats(),
            TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        AssertAccounted("after-restart", Shared.Clip(1).Count, segments);
        Assert.Contains("after-restart", await cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetCameras());
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private sealed class CameraRun(string id, List<FrameMessage> frames)
    {
        public string Id { get; } = id;
        public List<FrameMessage> Frames { get; } = frames;
        public IngestStats Stats { get; } = new();
        public Task<List<IngestSegment>>? Task { get; set; }
        public List<IngestSegment>? Segments { get; set; }
    }

    private static string Describe(CameraRun r) =>
        $"segments [{string.Join("; ", r.Segments ?? [])}], failed calls {r.Stats.FailedCalls}, rewinds {r.Stats.Rewinds}, re-sent {r.Stats.Resent}, duplicates {r.Stats.Duplicates}, orphaned {r.Stats.Orphaned}";

    /// <summary>Cameras streaming Ped2 test clips (lossless, paced) through the at-least-once ingest.</summary>
    private static async Task<List<CameraRun>> StartCamerasAsync(ProcessCluster cluster, int clips = ClipsPerCamera)
    {
        var settings = await CalibrateAsync(cluster);
        var runs = Enumerable.Range(0, Cameras).Select(i => new CameraRun($"cam-{i}", Shared.Stream(i, clips))).ToList();
        await Task.WhenAll(runs.Select(r => cluster.Client.GetGrain<ICameraGrain>(r.Id).UpdateSettings(settings)));
        foreach (var r in runs)
            r.Task = Task.Run(() => Ingest.RunAtLeastOnceAsync(cluster.Client.GetGrain<ICameraGrain>(r.Id), r.Frames, IngestMode.Lossless,
                r.Stats, retryTimeout: TimeSpan.FromSeconds(60), settleTimeout: TimeSpan.FromSeconds(60), frameInterval: FrameInterval));
        return runs;
    }

    /// <summary>
    /// Alert thresholds at the 80th / 60th percentile of the served model's scores on one clip (camera "calib"): alerts
    /// then open and close many times per clip, which is what these tests need (alert logs to check across failures);
    /// this is not a detection threshold.
    /// </summary>
    private static async Task<CameraSettings> CalibrateAsync(ProcessCluster cluster)
    {
        var calib = cluster.Client.GetGrain<ICameraGrain>("calib");
        await Ingest.RunAtLeastOnceAsync(calib, Shared.Clip(0), IngestMode.Lossless, new IngestStats(), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        var scores = (await calib.GetScores(0, 10_000)).Select(p => (double)p.Raw).Order().ToArray();
        Assert.True(scores.Length > 100, $"calibration camera scored {scores.Length} frames");
        return new CameraSettings
        {
            UpperThreshold = scores[(int)(0.8 * scores.Length)],
            LowerThreshold = scores[(int)(0.6 * scores.Length)],
            OpenAfterFrames = 2,
            Sigma = 0,
        };
    }

    /// <summary>Which silo process hosts each camera (once it has taken frames).</summary>
    private static async Task<Dictionary<string, string>> PlacementAsync(ProcessCluster cluster, List<CameraRun> runs)
    {
        var result = new Dictionary<string, string>();
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < TimeSpan.FromSeconds(20);)
        {
            foreach (var r in runs)
            {
                var s = await cluster.Client.GetGrain<ICameraGrain>(r.Id).GetStatus();
                if (s.Received > 0 && cluster.ByAddress(s.Silo) is { } p) result[r.Id] = p.Name;
            }
            if (result.Count == runs.Count) break;
            await Task.Delay(100);
        }
        return result;
    }

    /// <summary>Waits (bounded) until at least one of the cameras has a closed alert in its persisted log; returns the logs.</summary>
    private static async Task<Dictionary<string, List<Alert>>> AlertsOnceSomeAsync(ProcessCluster cluster, List<string> cameras)
    {
        var logs = new Dictionary<string, List<Alert>>();
        for (var sw = Stopwatch.StartNew(); sw.Elapsed < TimeSpan.FromSeconds(15);)
        {
            foreach (var id in cameras) logs[id] = await cluster.Client.GetGrain<ICameraGrain>(id).GetAlerts(null);
            if (logs.Values.Any(l => l.Any(a => !a.IsOpen))) return logs;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"no closed alert on {string.Join(", ", cameras)} within 15 s: the test cannot check the alert logs");
    }

    private async Task FinishAsync(ProcessCluster cluster, List<CameraRun> runs)
    {
        try
        {
            await Task.WhenAll(runs.Select(r => r.Task!)).WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"streams failed: {e.Message}\n{cluster.Logs()}");
        }
        foreach (var r in runs)
        {
            r.Segments = await r.Task!;
            output.WriteLine($"{r.Id}: {r.Frames.Count} frames; {Describe(r)}");
            AssertAccounted(r.Id, r.Frames.Count, r.Segments);
            Assert.Equal(0, r.Stats.Orphaned);
        }
    }

    /// <summary>
    /// Every frame 0..n-1 is settled (scored or dropped with a reason) by some camera activation: the activations'
    /// settled ranges, in order, leave no gap, and the last one settled the whole rest of the stream.
    /// </summary>
    private static void AssertAccounted(string camera, int n, List<IngestSegment> segments)
    {
        Assert.NotEmpty(segments);
        Assert.Equal(0, segments[0].FirstSequence);
        for (int i = 1; i < segments.Count; i++)
            Assert.True(segments[i].FirstSequence <= segments[i - 1].SettledThrough + 1,
                $"{camera}: frames {segments[i - 1].SettledThrough + 1}..{segments[i].FirstSequence - 1} were never settled ({string.Join("; ", segments)})");
        var last = segments[^1];
        Assert.Equal(n - 1, last.SettledThrough);
        Assert.Equal(n - last.FirstSequence, last.Received);
    }

    private static async Task AssertAlertsIntactAsync(ProcessCluster cluster, Dictionary<string, List<Alert>> before)
    {
        foreach (var (id, alerts) in before)
        {
            var after = await cluster.Client.GetGrain<ICameraGrain>(id).GetAlerts(null);
            foreach (var a in alerts)
            {
                var b = after.SingleOrDefault(x => x.Id == a.Id);
                Assert.True(b is not null, $"{id}: alert {a.Id} (frames {a.StartSequence}-{a.EndSequence}) is missing after the failure");
                Assert.Equal(a.StartSequence, b.StartSequence);
                if (!a.IsOpen) Assert.Equal((a.EndSequence, a.PeakSequence, a.PeakScore), (b.EndSequence, b.PeakSequence, b.PeakScore));
            }
            // Alert ids keep increasing across activations (the next id is persisted too).
            Assert.Equal(after.Count, after.Select(a => a.Id).Distinct().Count());
        }
    }

    private static async Task<(int ExitCode, string Output)> RunClientAsync(ProcessCluster cluster, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Programs.Dll("client/Vad.Client", "Vad.Client.dll"), .. args])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Programs.RepoRoot,
        };
        foreach (var (k, v) in cluster.Env) psi.Environment[k] = v;
        psi.Environment["VAD_GATEWAY_PORT"] = cluster.Silos[1].GatewayPort.ToString();
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await stdout + await stderr);
    }
}

/// <summary>The motion-energy stand-in model (fast on 2 cores), Ped2 test clips at its input size, alert settings.</summary>
public static class Shared
{
    private const int Width = 128, Height = 80;

    private static readonly Lazy<(string Path, ModelInfo Info)> ModelLazy = new(() =>
    {
        string dir = Directory.CreateTempSubdirectory("vad-failover-model-").FullName;
        string path = Path.Combine(dir, "motion-energy.onnx");
        var manifest = MotionEnergyModel.Write(path, Width, Height);
        return (path, new ModelInfo { Version = manifest.Version, InputWidth = Width, InputHeight = Height, Channels = 1, StrideT = manifest.StrideT });
    });

    public static string ModelPath => ModelLazy.Value.Path;
    public static ModelInfo Model => ModelLazy.Value.Info;

    private static readonly Lazy<VideoDataset> Ped2Lazy = new(() =>
        VideoDataset.Open(KnownDatasets.FindPed2() ?? throw new InvalidOperationException("UCSD Ped2 not found (../shared/data/ped2 or VAD_PED2)")));

    public static VideoDataset Ped2 => Ped2Lazy.Value;

    private static readonly Dictionary<int, List<FrameMessage>> Clips = new();

    /// <summary>Ped2 test clip k decoded at the model's input size, sequences 0..n-1.</summary>
    public static List<FrameMessage> Clip(int k)
    {
        lock (Clips)
        {
            if (Clips.TryGetValue(k, out var c)) return c;
            using var src = FrameSource.Open(Ped2.Test[k].Source, Ingest.SourceOptions(Model));
            return Clips[k] = src.ReadFrames().Select(f => Ingest.ToMessage(f, f.Index)).ToList();
        }
    }

    /// <summary>Camera i's stream: <paramref name="clips"/> consecutive Ped2 test clips, numbered 0..n-1.</summary>
    public static List<FrameMessage> Stream(int i, int clips)
    {
        var frames = new List<FrameMessage>();
        for (int c = 0; c < clips; c++)
            foreach (var f in Clip((i + c) % 4))
                frames.Add(f with { Sequence = frames.Count, Timestamp = TimeSpan.FromSeconds(frames.Count / 10.0) });
        return frames;
    }
}
