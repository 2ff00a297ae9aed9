using Microsoft.Extensions.Configuration;
using Vad.Client;
using Vad.Contracts;
using Vad.Grains;
using Vad.Silo;
using Xunit;

namespace Vad.Cluster.Tests;

public class AlertTrackerTests
{
    private static readonly float[] Map = new float[256];

    [Fact]
    public void Opens_after_k_frames_over_upper_and_ends_below_lower()
    {
        var t = new AlertTracker("cam", new CameraSettings { UpperThreshold = 0.5, LowerThreshold = 0.3, OpenAfterFrames = 3, Sigma = 0 });
        var scores = new[] { 0.1, 0.6, 0.7, 0.2, 0.6, 0.7, 0.8, 0.9, 0.4, 0.35, 0.29, 0.1 };
        var events = new List<(long Seq, AlertEvent Ev)>();
        for (int i = 0; i < scores.Length; i++)
        {
            float s = t.Smooth((float)scores[i]);
            Assert.Equal((float)scores[i], s); // sigma 0: no smoothing
            if (t.Observe(i, TimeSpan.FromSeconds(i), s, Map, 16, "v1", DateTime.UtcNow) is { } ev) events.Add((i, ev));
        }
        // 1-2 over then a dip: no alert. 4,5,6 over: opens at frame 6, starting at frame 4. 10 < lower: ends at 9.
        Assert.Equal(AlertEventKind.Opened, events[0].Ev.Kind);
        Assert.Equal(6, events[0].Seq);
        Assert.Equal(4, events[0].Ev.Alert.StartSequence);
        var closed = events.Single(e => e.Ev.Kind == AlertEventKind.Closed).Ev.Alert;
        Assert.Equal(9, closed.EndSequence);
        Assert.Equal(0.9, closed.PeakScore, 5);
        Assert.Equal(7, closed.PeakSequence);
        Assert.Equal("v1", closed.ModelVersion);
        Assert.Null(t.Open);
    }

    [Fact]
    public void Smoothing_is_causal_and_peak_location_comes_from_the_map()
    {
        var t = new AlertTracker("cam", new CameraSettings { Sigma = 2 });
        // A spike is only seen from its own frame on (no look-ahead), then decays.
        float before = t.Smooth(0), spike = t.Smooth(1), after = t.Smooth(0);
        Assert.Equal(0, before);
        Assert.True(spike > 0 && spike < 1);
        Assert.True(after > 0 && after < spike);
        var map = new float[16 * 16];
        map[3 * 16 + 12] = 5; // row 3, column 12
        var (x, y) = AlertTracker.PeakLocation(map, 16);
        Assert.Equal((12 + 0.5) / 16, x, 6);
        Assert.Equal((3 + 0.5) / 16, y, 6);
    }

    [Fact]
    public void The_alert_log_is_bounded_by_count_and_age()
    {
        var now = new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        var log = Enumerable.Range(1, 6).Select(i => new Alert
        {
            Id = i, StartSequence = i * 10, EndSequence = i * 10 + 5,
            StartUtc = now.AddDays(-10 + i), EndUtc = now.AddDays(-10 + i),
        }).ToList();
        log.Add(new Alert { Id = 7, StartSequence = 70, StartUtc = now.AddDays(-20) }); // open: never aged out
        CameraGrain.ApplyRetention(log, new CameraSettings { AlertRetention = TimeSpan.FromDays(6.5), MaxAlerts = 100 }, now);
        Assert.Equal([4L, 5L, 6L, 7L], log.Select(a => a.Id));
        CameraGrain.ApplyRetention(log, new CameraSettings { MaxAlerts = 2 }, now);
        Assert.Equal([6L, 7L], log.Select(a => a.Id));
    }

    [Fact]
    public void Settings_are_validated()
    {
        Assert.Null(new CameraSettings().Validate());
        Assert.Contains("lower threshold", new CameraSettings { UpperThreshold = 0.2, LowerThreshold = 0.5 }.Validate());
        Assert.NotNull(new CameraSettings { OpenAfterFrames = 0 }.Validate());
        Assert.NotNull(new CameraSettings { Fps = 0 }.Validate());
    }
}

public class ConsistentHashRingTests
{
    [Fact]
    public void Only_the_cameras_of_a_removed_grain_move_and_all_grains_get_a_share()
    {
        var members = new[] { "s1|gpu0", "s1|gpu1", "s2|gpu0", "s3|cpu" };
        var ring = new ConsistentHashRing(members);
        var cameras = Enumerable.Range(0, 2000).Select(i => $"camera-{i}").ToList();
        var before = cameras.ToDictionary(c => c, c => ring.Owner(c)!);
        foreach (var m in members)
            Assert.InRange(before.Values.Count(o => o == m), 2000 / 4 / 2, 2000 / 4 * 2);
        var smaller = new ConsistentHashRing(members.Where(m => m != "s2|gpu0"));
        foreach (var c in cameras)
        {
            string after = smaller.Owner(c)!;
            if (before[c] == "s2|gpu0") Assert.NotEqual("s2|gpu0", after);
            else Assert.Equal(before[c], after);
        }
        Assert.Null(new ConsistentHashRing([]).Owner("x"));
    }
}

public class ConfigContractTests
{
    private static VadConfig Parse(Dictionary<string, string?> values) =>
        VadConfig.From(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void Defaults_are_the_embedded_ones()
    {
        var c = Parse(new());
        Assert.Equal("Localhost", c.Clustering);
        Assert.Equal("Memory", c.Storage);
        Assert.Equal(["cpu", "gpu", "trainer"], c.Roles);
        Assert.Empty(c.GpuDevices);
        Assert.Equal(("vad", "vad-dev"), (c.ServiceId, c.ClusterId));
        Assert.Equal((11111, 30000, 8080), (c.SiloPort, c.GatewayPort, c.HttpPort));
        Assert.Equal(Vad.Core.RepoPaths.Resolve("models/ped2/student.onnx"), c.ModelPath);
        Assert.True(File.Exists(c.ModelPath), "the embedded default serves the shipped student");
        Assert.Equal(TimeSpan.FromSeconds(30), c.ShutdownTimeout);
    }

    [Fact]
    public void Contract_variables_are_honoured_and_bad_values_named()
    {
        var c = Parse(new()
        {
            ["VAD_CLUSTERING"] = "Redis", ["VAD_REDIS"] = "redis:6379,abortConnect=false", ["VAD_STORAGE"] = "Redis",
            ["VAD_ROLES"] = "gpu", ["VAD_GPU_DEVICES"] = "0,1", ["VAD_SERVICE_ID"] = "svc", ["VAD_CLUSTER_ID"] = "prod",
            ["VAD_SILO_PORT"] = "1", ["VAD_GATEWAY_PORT"] = "2", ["VAD_HTTP_PORT"] = "3", ["POD_NAME"] = "silo-0", ["POD_IP"] = "10.0.0.7",
            ["VAD_MODEL"] = "/m/s.onnx", ["VAD_SHUTDOWN_TIMEOUT_S"] = "45",
        });
        Assert.True(c.UseRedisClustering && c.UseRedisStorage);
        Assert.Equal(["gpu"], c.Roles);
        Assert.Equal(["0", "1"], c.GpuDevices);
        Assert.Equal(("silo-0", "10.0.0.7"), (c.SiloName, c.AdvertisedIp.ToString()));
        Assert.Equal(TimeSpan.FromSeconds(45), c.ShutdownTimeout);
        Assert.Contains("VAD_REDIS", Assert.Throws<VadConfigException>(() => Parse(new() { ["VAD_CLUSTERING"] = "Redis" })).Message);
        Assert.Contains("VAD_ROLES", Assert.Throws<VadConfigException>(() => Parse(new() { ["VAD_ROLES"] = "cpu,tpu" })).Message);
        Assert.Contains("VAD_CLUSTERING", Assert.Throws<VadConfigException>(() => Parse(new() { ["VAD_CLUSTERING"] = "Consul" })).Message);
        Assert.Contains("VAD_SILO_PORT", Assert.Throws<VadConfigException>(() => Parse(new() { ["VAD_SILO_PORT"] = "x" })).Message);
        Assert.Contains("VAD_DASHBOARD_PASSWORD", Assert.Throws<VadConfigException>(() => Parse(new() { ["VAD_DASHBOARD_USER"] = "ops" })).Message);
        Assert.False(c.DashboardEnabled);
        Assert.True(Parse(new() { ["VAD_DASHBOARD_USER"] = "ops", ["VAD_DASHBOARD_PASSWORD"] = "pw" }).DashboardEnabled);
    }

    [Fact]
    public void Since_accepts_durations_and_times()
    {
        Assert.InRange(Commands.ParseSince("10m"), DateTime.UtcNow.AddMinutes(-10.1), DateTime.UtcNow.AddMinutes(-9.9));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), Commands.ParseSince("2026-01-02T03:04:05Z"));
        Assert.Throws<Vad.Core.Cli.CommandArgsException>(() => Commands.ParseSince("yesterday"));
    }
}
