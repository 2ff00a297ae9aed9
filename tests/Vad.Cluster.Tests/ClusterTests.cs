using Orleans.Streams;
using Orleans.TestingHost;
using Vad.Client;
using Vad.Contracts;
using Vad.Core.Frames;
using Xunit;

namespace Vad.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterFixture fixture)
{
    private TestCluster Cluster => fixture.Cluster;
    private IClusterClient Client => fixture.Cluster.Client;

    private Task<ModelInfo> Model() => ClusterQueries.WaitForModelAsync(Client, TimeSpan.FromSeconds(60));

    private SiloHandle GpuSilo => Cluster.GetActiveSilos().Single(s => s.Name == ClusterFixture.GpuSiloName);

    [Fact]
    public async Task Inference_grains_live_only_on_the_gpu_silo()
    {
        await Model();
        var (endpoints, _) = await Client.GetGrain<IClusterDirectoryGrain>(0).GetInference();
        var endpoint = Assert.Single(endpoints);
        string gpu = GpuSilo.SiloAddress.ToParsableString();
        Assert.Equal(gpu, endpoint.Silo);
        var status = await Client.GetGrain<IInferenceGrain>(endpoint.Key).GetStatus();
        Assert.Equal(gpu, status.Silo);
        Assert.StartsWith("CPU", status.Provider);
        // A grain not pinned to a silo ("any|...") is still placed on the gpu silo by the director.
        var floating = await Client.GetGrain<IInferenceGrain>("any|cpu").GetStatus();
        Assert.Equal(gpu, floating.Silo);
        var cluster = await Client.GetGrain<IClusterDirectoryGrain>(0).GetStatus();
        Assert.Equal(3, cluster.Silos.Count(s => s.Status == "Active"));
        Assert.Equal(["gpu"], cluster.Silos.Single(s => s.Address == gpu).Roles);
    }

    [Fact]
    public async Task A_ped2_test_clip_gives_alerts_on_its_abnormal_frames()
    {
        var model = await Model();
        var settings = await TestData.CalibrateAsync(Client, model, "calib-clip-test");
        var clip = TestData.Ped2.Test.Single(v => v.Name == "01"); // normal frames 0-59, abnormal 60-179 (a cyclist, a cart)
        await Client.GetGrain<ICameraGrain>("ped2-01").UpdateSettings(settings);
        // A live watcher on the camera's alert stream.
        var events = new System.Collections.Concurrent.ConcurrentQueue<AlertEvent>();
        var stream = Client.GetStreamProvider(VadStreams.Provider)
            .GetStream<AlertEvent>(Orleans.Runtime.StreamId.Create(VadStreams.AlertNamespace, "ped2-01"));
        var subscription = await stream.SubscribeAsync((ev, _) => { events.Enqueue(ev); return Task.CompletedTask; });
        var status = await TestData.StreamAsync(Client, "ped2-01", TestData.Frames(clip.Source, model));

        Assert.Equal(clip.Labels!.Length, status.Received);
        Assert.Equal(status.Received, status.Scored + status.Dropped);
        Assert.Equal(0, status.Dropped);
        var scores = await Client.GetGrain<ICameraGrain>("ped2-01").GetScores(0, int.MaxValue);
        Assert.Equal(Enumerable.Range(0, clip.Labels.Length).Select(i => (long)i), scores.Select(s => s.Sequence));

        var alerts = await Client.GetGrain<ICameraGrain>("ped2-01").GetAlerts(null);
        Assert.NotEmpty(alerts);
        int alerted = 0, alertedAbnormal = 0;
        foreach (var a in alerts)
        {
            Assert.False(a.IsOpen); // the stream ended: every alert is closed
            Assert.Equal(model.Version, a.ModelVersion);
            Assert.InRange(a.PeakSequence, a.StartSequence, a.EndSequence!.Value);
            for (long f = a.StartSequence; f <= a.EndSequence; f++)
            {
                alerted++;
                alertedAbnormal += clip.Labels[f];
            }
        }
        // Most alerted frames are labelled abnormal.
        Assert.True(alertedAbnormal > alerted / 2, $"{alertedAbnormal} of {alerted} alerted frames are abnormal");

        // The watcher saw each alert open and close, with the logged bounds.
        for (int i = 0; i < 50 && events.Count(e => e.Kind == AlertEventKind.Closed) < alerts.Count; i++) await Task.Delay(100);
        await subscription.UnsubscribeAsync();
        Assert.Equal(alerts.Select(a => a.Id), events.Where(e => e.Kind == AlertEventKind.Opened).Select(e => e.Alert.Id));
        Assert.Equal(alerts.Select(a => (a.Id, a.StartSequence, a.EndSequence)),
            events.Where(e => e.Kind == AlertEventKind.Closed).Select(e => (e.Alert.Id, e.Alert.StartSequence, e.Alert.EndSequence)));
    }

    [Fact]
    public async Task Received_equals_scored_plus_dropped_for_every_camera_under_overload()
    {
        var model = await Model();
        var clips = TestData.Ped2.Test.Take(6).Select(v => TestData.Frames(v.Source, model).Take(60).ToList()).ToList();
        // Realtime mode at full speed into a 16-deep queue: drops are allowed but must be counted with a reason.
        var statuses = await Task.WhenAll(clips.Select((frames, i) => Task.Run(() => TestData.StreamAsync(Client, $"overload-{i}", frames, IngestMode.Realtime))));
        foreach (var s in statuses)
        {
            Assert.Equal(60, s.Received);
            Assert.Equal(s.Received, s.Scored + s.Dropped);
            Assert.All(s.DroppedByReason.Keys, r => Assert.Equal("queue_full", r));
        }
        // Lossless at full speed: the ingest waits, nothing is dropped.
        var lossless = await Task.WhenAll(clips.Select((frames, i) => Task.Run(() => TestData.StreamAsync(Client, $"lossless-{i}", frames))));
        Assert.All(lossless, s => Assert.Equal((60L, 60L, 0L), (s.Received, s.Scored, s.Dropped)));
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_and_the_camera_keeps_working()
    {
        var model = await Model();
        var cam = Client.GetGrain<ICameraGrain>("bad-input");
        var frames = TestData.Frames(TestData.Ped2.Test[1].Source, model).Take(12).ToList();
        for (int i = 0; i < 5; i++) Assert.Equal(FrameStatus.Accepted, (await cam.PushFrame(frames[i], IngestMode.Lossless)).Status);

        var wrongSize = frames[5] with { Width = model.InputWidth / 2, Pixels = new byte[model.InputWidth / 2 * model.InputHeight] };
        var e1 = await Assert.ThrowsAsync<InvalidFrameException>(() => cam.PushFrame(wrongSize, IngestMode.Lossless));
        Assert.Contains($"{model.InputWidth}x{model.InputHeight}", e1.Message);
        var truncated = frames[5] with { Pixels = new byte[10] };
        Assert.Contains("bytes", (await Assert.ThrowsAsync<InvalidFrameException>(() => cam.PushFrame(truncated, IngestMode.Lossless))).Message);
        var back = frames[2] with { Sequence = 3 };
        Assert.Contains("does not follow", (await Assert.ThrowsAsync<InvalidFrameException>(() => cam.PushFrame(back, IngestMode.Lossless))).Message);

        // Still working: the rest of the clip goes through and every frame gets a score.
        for (int i = 5; i < frames.Count; i++) Assert.Equal(FrameStatus.Accepted, (await cam.PushFrame(frames[i], IngestMode.Lossless)).Status);
        await cam.EndStream();
        var s = await Ingest.WaitSettledAsync(cam, TimeSpan.FromSeconds(30));
        Assert.Equal((12L, 12L, 0L, 3L), (s.Received, s.Scored, s.Dropped, s.Rejected));

        // Unknown camera: the client refuses it by name instead of creating it.
        var e2 = await Assert.ThrowsAsync<UnknownCameraException>(() => ClusterQueries.KnownCameraAsync(Client, "no-such-camera"));
        Assert.Contains("no-such-camera", e2.Message);
        Assert.Contains("bad-input", e2.Message);
    }

    [Fact]
    public async Task Empty_or_corrupt_videos_fail_clearly_and_the_camera_keeps_working()
    {
        var model = await Model();
        string dir = Path.Combine(Path.GetTempPath(), $"vad-bad-video-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string empty = Path.Combine(dir, "empty.mp4");
            File.WriteAllBytes(empty, []);
            string corrupt = Path.Combine(dir, "corrupt.avi");
            File.WriteAllBytes(corrupt, Enumerable.Range(0, 50_000).Select(i => (byte)(i * 7919 % 251)).ToArray());
            // Client side: opening names the file.
            foreach (var bad in new[] { empty, corrupt })
                Assert.Contains(Path.GetFileName(bad), Assert.ThrowsAny<FrameSourceException>(() => TestData.Frames(bad, model)).Message);

            // Silo side: the camera's source fails with the reason, and the camera still scores a good source after.
            var cam = Client.GetGrain<ICameraGrain>("silo-source");
            foreach (var bad in new[] { empty, corrupt })
            {
                await cam.StartSource(bad, realtime: false);
                var st = await WaitSourceAsync(cam, SourceState.Failed);
                Assert.Contains(Path.GetFileName(bad), st.LastError);
            }
            var clip = TestData.Ped2.Test.Single(v => v.Name == "02");
            await cam.StartSource(clip.Source, realtime: false);
            await WaitSourceAsync(cam, SourceState.Finished);
            var s = await Ingest.WaitSettledAsync(cam, TimeSpan.FromMinutes(1));
            Assert.Equal(clip.Labels!.Length, s.Scored);
            Assert.Equal(s.Received, s.Scored + s.Dropped);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task An_unreachable_live_source_is_retried_with_backoff_until_stopped()
    {
        await Model();
        var cam = Client.GetGrain<ICameraGrain>("live-source");
        await cam.StartSource("rtsp://127.0.0.1:9/none", realtime: true);
        var st = await WaitSourceAsync(cam, SourceState.Reconnecting);
        Assert.Contains("127.0.0.1:9", st.LastError);
        Assert.Equal("rtsp://127.0.0.1:9/none", st.SourceUrl);
        await cam.StopSource();
        Assert.Equal(SourceState.Stopped, (await cam.GetStatus()).SourceState);
    }

    private static async Task<CameraStatus> WaitSourceAsync(ICameraGrain cam, SourceState wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var st = await cam.GetStatus();
            if (st.SourceState == wanted) return st;
            if (st.SourceState is SourceState.Failed or SourceState.Finished && st.SourceState != wanted)
                Assert.Fail($"source ended {st.SourceState} ({st.LastError}), expected {wanted}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"source still {st.SourceState} ({st.LastError}), expected {wanted}");
            await Task.Delay(100);
        }
    }
}
