using Vad.Testing;
using StackExchange.Redis;
using Vad.Client;
using Vad.Contracts;
using Vad.Silo;
using Xunit;
using Xunit.Abstractions;

namespace Vad.Failover.Tests;

/// <summary>A state write that landed in Redis but whose reply was lost (Redis restarting) must not cost the camera its activation.</summary>
[Trait("Category", "Failover")]
public sealed class StateConflictTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_version_conflict_on_the_cameras_own_state_is_resolved_without_deactivating_it()
    {
        using var redis = new PersistentRedis();
        var cfg = new VadConfig
        {
            Clustering = "Localhost",
            Storage = "Redis",
            Redis = redis.Configuration,
            ServiceId = "vad-conflict",
            ClusterId = $"conflict-{Guid.NewGuid():N}",
            SiloPort = TestPorts.Free(),
            GatewayPort = TestPorts.Free(),
            ModelPath = Shared.ModelPath,
            SiloName = "conflict",
        };
        await using var silo = await InProcessSilo.StartAsync(cfg);
        await using var conn = await ClusterConnection.ConnectAsync(cfg);
        var cam = conn.Client.GetGrain<ICameraGrain>("conflict-cam");
        await cam.UpdateSettings(new CameraSettings { UpperThreshold = 0.6 });
        var frames = Shared.Clip(0).Take(10).ToList();
        for (int i = 0; i < 5; i++) await cam.PushFrame(frames[i], IngestMode.Lossless);

        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var db = mux.GetDatabase();
        var server = mux.GetServer(mux.GetEndPoints()[0]);
        var key = server.Keys(pattern: "*conflict-cam*").Single();
        output.WriteLine($"{key}: {db.KeyType(key)}");
        // Simulate a write of this camera that landed but whose reply was lost: the stored version moves on.
        switch (db.KeyType(key))
        {
            case RedisType.Hash:
                foreach (var e in db.HashGetAll(key)) output.WriteLine($"  {e.Name} = {((string?)e.Value)?.Length} chars");
                var etagField = db.HashGetAll(key).Single(e => e.Name.ToString().Contains("etag", StringComparison.OrdinalIgnoreCase)).Name;
                db.HashSet(key, etagField, Guid.NewGuid().ToString("N"));
                break;
            default:
                throw new InvalidOperationException($"unexpected Redis type {db.KeyType(key)} for {key}");
        }

        // The next write (a settings change) succeeds, and the activation (its frames and counters) is still the same.
        await cam.UpdateSettings(new CameraSettings { UpperThreshold = 0.7 });
        for (int i = 5; i < frames.Count; i++) await cam.PushFrame(frames[i], IngestMode.Lossless);
        await cam.EndStream();
        var s = await Ingest.WaitSettledAsync(cam, TimeSpan.FromSeconds(30));
        Assert.Equal((10L, 10L, 0L), (s.Received, s.Scored, s.Dropped));
        Assert.Equal(0.7, (await cam.GetSettings()).UpperThreshold);
    }
}
