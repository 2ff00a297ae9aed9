using Vad.Client;
using Vad.Contracts;
using Vad.Silo;
using Vad.Testing;
using Xunit;

namespace Vad.Cluster.Tests;

/// <summary>Redis clustering + Redis grain storage against a real redis-server (VAD_TEST_REDIS, or one started here).</summary>
public sealed class RedisTests : IDisposable
{
    private readonly RedisTestServer _redis = new();

    public void Dispose() => _redis.Dispose();

    private VadConfig Config(string clusterId) => new()
    {
        Clustering = "Redis",
        Storage = "Redis",
        Redis = _redis.Configuration,
        ServiceId = "vad-redis-tests",
        ClusterId = clusterId,
        SiloPort = TestPorts.Free(),
        GatewayPort = TestPorts.Free(),
        SiloName = "redis-silo",
        ModelPath = TestData.ModelPath,
    };

    [Fact]
    public async Task The_alert_log_survives_a_silo_restart()
    {
        string clusterId = $"restart-{Guid.NewGuid():N}";
        List<Alert> before;
        CameraSettings settings;
        await using (var silo = await InProcessSilo.StartAsync(Config(clusterId)))
        await using (var conn = await ClusterConnection.ConnectAsync(silo.Config))
        {
            var model = await ClusterQueries.WaitForModelAsync(conn.Client, TimeSpan.FromSeconds(60));
            settings = await TestData.CalibrateAsync(conn.Client, model, "redis-calib");
            var cam = conn.Client.GetGrain<ICameraGrain>("redis-cam");
            await cam.UpdateSettings(settings);
            var clip = TestData.Ped2.Test.Single(v => v.Name == "01");
            var status = await TestData.StreamAsync(conn.Client, "redis-cam", TestData.Frames(clip.Source, model));
            Assert.Equal(status.Received, status.Scored + status.Dropped);
            before = await cam.GetAlerts(null);
            Assert.NotEmpty(before);
        }

        // A new silo (new ports, same cluster): the client finds its gateway through Redis, the camera's state comes from Redis.
        await using (var silo = await InProcessSilo.StartAsync(Config(clusterId)))
        await using (var conn = await ClusterConnection.ConnectAsync(silo.Config))
        {
            Assert.Contains("redis-cam", await conn.Client.GetGrain<IClusterDirectoryGrain>(0).GetCameras());
            var cam = conn.Client.GetGrain<ICameraGrain>("redis-cam");
            var after = await cam.GetAlerts(null);
            Assert.Equal(before.Select(a => (a.Id, a.StartSequence, a.EndSequence, a.PeakScore, a.PeakSequence, a.ModelVersion)),
                after.Select(a => (a.Id, a.StartSequence, a.EndSequence, a.PeakScore, a.PeakSequence, a.ModelVersion)));
            Assert.Equal(settings, await cam.GetSettings());
            var status = await cam.GetStatus();
            Assert.Equal(0, status.Received); // counters are live figures, not persisted
        }
    }
}
