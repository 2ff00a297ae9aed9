using System.Diagnostics;
using Orleans;
using Vad.Client;
using Vad.Contracts;
using Vad.Core.Datasets;
using Vad.Core.Frames;
using Vad.Core.Models;
using Vad.Registry;
using Google.Protobuf;
using Onnx;
using Xunit;
using Tapped = (string Camera, Vad.Contracts.ScoredFrame Frame, long Ticks);

namespace Vad.Rollout.Tests;

[Collection(RolloutCollection.Name), Trait("Category", "Rollout")]
public sealed class RolloutTests(RolloutFixture fx)
{
    private static readonly Lazy<List<FrameMessage>> Clip = new(() => new List<FrameMessage>());

    private List<FrameMessage> Frames()
    {
        lock (Clip)
        {
            if (Clip.Value.Count == 0)
            {
                var ped2 = VideoDataset.Open(KnownDatasets.FindPed2() ?? throw new InvalidOperationException("UCSD Ped2 not found (../shared/data/ped2 or VAD_PED2)"));
                using var src = FrameSource.Open(ped2.Test[0].Source, Ingest.SourceOptions(fx.Model));
                Clip.Value.AddRange(src.ReadFrames().Take(60).Select(f => Ingest.ToMessage(f, f.Index)));
            }
            return Clip.Value;
        }
    }

    /// <summary>The clip over and over, sequence numbers following on, until <paramref name="stop"/> (then at least <paramref name="min"/> frames).</summary>
    private IEnumerable<FrameMessage> Endless(Func<bool> stop, int min)
    {
        var clip = Frames();
        for (long seq = 0; seq < min || !stop(); seq++)
            yield return clip[(int)(seq % clip.Count)] with { Sequence = seq };
    }

    private IRolloutGrain Rollout => fx.Cluster.Client.GetGrain<IRolloutGrain>(0);

    private async Task<string> Stable() => (await Rollout.GetStatus()).Plan.Stable is { Length: > 0 } s ? s
        : (await fx.Cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetInference()).Endpoints[0].Model!.Version;

    private static List<string> CamerasBy(Func<int, bool> bucket, string prefix, int count) =>
        Enumerable.Range(0, 1000).Select(i => $"{prefix}-{i}").Where(c => bucket(RolloutPlan.BucketOf(c))).Take(count).ToList();

    /// <summary>Streams <paramref name="frames"/> frames into each camera (lossless) and returns what they received.</summary>
    private async Task<Dictionary<string, List<ScoredFrame>>> StreamAndCollect(IReadOnlyList<string> cameras, int frames)
    {
        var tasks = cameras.Select(async c =>
        {
            var cam = fx.Cluster.Client.GetGrain<ICameraGrain>(c);
            await Ingest.RunAsync(cam, Endless(() => true, frames), IngestMode.Lossless, new IngestStats());
            var s = await Ingest.WaitSettledAsync(cam, TimeSpan.FromSeconds(60));
            Assert.Equal(s.Received, s.Scored);
        });
        await Task.WhenAll(tasks);
        return ScoreTap.Seen.Where(x => cameras.Contains(x.Camera)).GroupBy(x => x.Camera).ToDictionary(g => g.Key, g => g.Select(x => x.Frame).ToList());
    }

    /// <summary>Every camera streams the clip (lossless) through <paramref name="rollout"/> and two seconds after it, then
    /// settles having scored each frame it received, each seen once by the tap. Returns the rollout's result, the moment a
    /// second after it (frames scored later show the plan it left) and each camera's status with the frames the tap saw.</summary>
    private async Task<(T Result, long After, List<(string Camera, CameraStatus Status, List<Tapped> Seen)> Cameras)> StreamThrough<T>(
        IReadOnlyList<string> cameras, Func<Task<T>> rollout)
    {
        bool stop = false;
        var streams = cameras.Select(c => Task.Run(() => Ingest.RunAsync(fx.Cluster.Client.GetGrain<ICameraGrain>(c),
            Endless(() => Volatile.Read(ref stop), 60), IngestMode.Lossless, new IngestStats()))).ToList();
        var result = await rollout();
        await Task.Delay(1000);
        long after = Stopwatch.GetTimestamp();
        await Task.Delay(1000);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(streams);

        var settled = new List<(string Camera, CameraStatus Status, List<Tapped> Seen)>();
        foreach (var c in cameras)
        {
            var s = await Ingest.WaitSettledAsync(fx.Cluster.Client.GetGrain<ICameraGrain>(c), TimeSpan.FromSeconds(60));
            Assert.Equal(s.Received, s.Scored);
            var seen = ScoreTap.Seen.Where(x => x.Camera == c).ToList();
            Assert.Equal(s.Received, seen.Count);
            settled.Add((c, s, seen));
        }
        return (result, after, settled);
    }

    [Fact]
    public async Task A_canary_rollout_while_cameras_stream_loses_no_frame_scores_each_frame_once_and_never_mixes_versions()
    {
        string from = await Stable();
        string to = from == fx.V1 ? fx.V2 : fx.V1;
        var canary = CamerasBy(b => b < 50, "stream-a", 3);
        var rest = CamerasBy(b => b >= 50, "stream-a", 3);
        var cameras = canary.Concat(rest).ToList();
        var ((canaryFrom, canaryTo), promotedAt, settled) = await StreamThrough(cameras, async () =>
        {
            // Every camera streams and is being scored before the rollout starts.
            var warm = Stopwatch.StartNew();
            while (cameras.Any(c => ScoreTap.Seen.Count(x => x.Camera == c) < 5) && warm.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(50);
            var status = await Rollout.Rollout(to, 50, new RolloutPolicy { WatchSeconds = 4, MinCanaryFrames = 10 });
            long start = Stopwatch.GetTimestamp();
            Assert.Equal(RolloutPhase.Canary, status.Phase);
            Assert.Equal(to, status.Plan.Candidate);
            Assert.All(status.Grains, g => Assert.Contains(g.Loaded, m => m.Version == to));
            await Task.Delay(2500);
            long end = Stopwatch.GetTimestamp();

            // The watch window ends, the health checks pass (same scores), the candidate is promoted by itself.
            var sw = Stopwatch.StartNew();
            while ((status = await Rollout.GetStatus()).Phase == RolloutPhase.Canary && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(200);
            Assert.Equal(RolloutPhase.Promoted, status.Phase);
            Assert.Equal(to, status.Plan.Stable);
            return (start, end);
        });

        // Every frame scored exactly once, by exactly one version.
        foreach (var (c, s, seen) in settled)
        {
            Assert.DoesNotContain(s.DroppedByReason, kv => kv.Value > 0);
            Assert.Equal(Enumerable.Range(0, (int)s.Received).Select(i => (long)i), seen.Select(x => x.Frame.CenterSequence).Order());
            Assert.All(seen, x => Assert.True(x.Frame.ModelVersion == from || x.Frame.ModelVersion == to));
            // Before the rollout: the old version; after the promotion: the new one; during the canary: by hash bucket.
            Assert.Equal(from, seen.First(x => x.Frame.CenterSequence == 0).Frame.ModelVersion);
            Assert.All(seen.Where(x => x.Ticks > promotedAt), x => Assert.Equal(to, x.Frame.ModelVersion));
            var window = seen.Where(x => x.Ticks > canaryFrom + Stopwatch.Frequency / 2 && x.Ticks < canaryTo).ToList();
            Assert.NotEmpty(window);
            string expected = canary.Contains(c) ? to : from;
            Assert.All(window, x => Assert.Equal(expected, x.Frame.ModelVersion));
        }
        // No batch mixes versions.
        var mixed = ScoreTap.Seen.GroupBy(x => x.Frame.BatchId).Where(g => g.Select(x => x.Frame.ModelVersion).Distinct().Count() > 1).ToList();
        Assert.Empty(mixed);
        var audit = await Rollout.GetAudit(100);
        foreach (var step in new[] { "rollout", "preload", "canary", "health", "promote" })
            Assert.Contains(audit, a => a.Action == step && a.Version == to);
        Assert.Contains(to, await fx.Registry.GetServingAsync());
    }

    [Fact]
    public async Task A_corrupt_a_shape_incompatible_and_a_golden_mismatch_version_are_rejected_and_the_serving_version_keeps_serving()
    {
        string serving = await Stable();
        var manifest = (await fx.Registry.FindAsync(fx.V1))!.Manifest;
        var corrupt = await fx.Registry.RegisterAsync(System.Text.Encoding.ASCII.GetBytes("this is not an ONNX graph at all"), manifest);
        string widePath = Path.Combine(fx.Dir, "wide.onnx");
        MotionEnergyModel.Write(widePath, 320, 160);
        var wide = await fx.Registry.RegisterFileAsync(widePath);
        // Valid graph, wrong golden score in its manifest.
        var golden = await fx.Registry.RegisterAsync(File.ReadAllBytes(Path.Combine(fx.Dir, "v1.onnx")).Concat(new byte[] { 0x3a, 0x00, 0x3a, 0x00 }).ToArray(),
            manifest with { GoldenScore = 123.0 });

        foreach (var bad in new[] { corrupt.Version, wide.Version, golden.Version })
        {
            var e = await Assert.ThrowsAsync<ModelRejectedException>(() => Rollout.Rollout(bad, 50, null));
            Assert.Contains(bad[..12], e.Message);
            var status = await Rollout.GetStatus();
            Assert.Equal(serving, status.Plan.Stable);
            Assert.Null(status.Plan.Candidate);
            Assert.All(status.Grains, g =>
            {
                Assert.Equal(serving, g.Serving);
                Assert.DoesNotContain(g.Loaded, m => m.Version == bad);
            });
            Assert.Contains(await Rollout.GetAudit(10), a => a.Action == "reject" && a.Version == bad && !a.Ok);
        }
        var seen = await StreamAndCollect(["reject-cam"], 20);
        Assert.All(seen["reject-cam"], f => Assert.Equal(serving, f.ModelVersion));
    }

    [Fact]
    public async Task Rollback_returns_every_camera_to_the_previous_version_and_a_pin_holds_one_camera()
    {
        string from = await Stable();
        string to = from == fx.V1 ? fx.V2 : fx.V1;
        var cameras = Enumerable.Range(0, 4).Select(i => $"rollback-{i}").ToList();

        var status = await Rollout.Rollout(to, 100, null);
        Assert.Equal(RolloutPhase.Promoted, status.Phase);
        Assert.All(status.Grains, g => Assert.Equal(to, g.Serving));
        var before = await StreamAndCollect(cameras, 20);
        Assert.All(cameras, c => Assert.All(before[c], f => Assert.Equal(to, f.ModelVersion)));

        status = await Rollout.Rollback("test: manual rollback");
        Assert.Equal(RolloutPhase.RolledBack, status.Phase);
        Assert.Equal(from, status.Plan.Stable);
        Assert.All(status.Grains, g => Assert.Equal(from, g.Serving));
        int already = before.Values.Sum(v => v.Count);
        var after = await StreamAndCollect(cameras.Select(c => c + "-again").ToList(), 20);
        Assert.All(after.Values, list => Assert.All(list, f => Assert.Equal(from, f.ModelVersion)));
        Assert.True(already > 0);
        Assert.Contains(await Rollout.GetAudit(20), a => a.Action == "rollback" && a.Version == to);
        Assert.DoesNotContain(to, await fx.Registry.GetServingAsync());

        // Pin one camera to a canary version (0% share): only it gets the candidate.
        await Rollout.Rollout(to, 0, new RolloutPolicy { WatchSeconds = 600 });
        await Rollout.Pin("pinned-cam", to);
        var pinned = await StreamAndCollect(["pinned-cam", "unpinned-cam"], 20);
        Assert.All(pinned["pinned-cam"], f => Assert.Equal(to, f.ModelVersion));
        Assert.All(pinned["unpinned-cam"], f => Assert.Equal(from, f.ModelVersion));
        status = await Rollout.Rollback("test: canary abandoned");
        Assert.Equal(from, status.Plan.Stable);
        Assert.Empty(status.Plan.Pins);
    }

    /// <summary>The motion-energy graph with every head shifted by <paramref name="bias"/>: same contract, other scores.</summary>
    private static void WriteShifted(string src, string dst, float bias)
    {
        var m = ModelProto.Parser.ParseFrom(File.ReadAllBytes(src));
        foreach (var node in m.Graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++) if (node.Output[i].StartsWith("head_", StringComparison.Ordinal)) node.Output[i] += "_raw";
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i].StartsWith("head_", StringComparison.Ordinal)) node.Input[i] += "_raw";
        }
        var shift = new TensorProto { Name = "shift", DataType = (int)TensorProto.Types.DataType.Float };
        shift.FloatData.Add(bias);
        m.Graph.Initializer.Add(shift);
        foreach (int r in new[] { 1, 4, 16 })
            m.Graph.Node.Add(new NodeProto { OpType = "Add", Input = { $"head_{r}_raw", "shift" }, Output = { $"head_{r}" } });
        File.WriteAllBytes(dst, m.ToByteArray());
    }

    [Fact]
    public async Task A_canary_whose_score_distribution_shifts_is_rolled_back_automatically_and_its_cameras_return()
    {
        string from = await Stable();
        string shiftedPath = Path.Combine(fx.Dir, $"shifted-{Guid.NewGuid():N}.onnx");
        WriteShifted(Path.Combine(fx.Dir, "v1.onnx"), shiftedPath, 1.0f);
        var manifest = (await fx.Registry.FindAsync(fx.V1))!.Manifest;
        var shifted = await fx.Registry.RegisterAsync(File.ReadAllBytes(shiftedPath), manifest);
        var canary = CamerasBy(b => b < 50, "shift", 3);
        var cameras = canary.Concat(CamerasBy(b => b >= 50, "shift", 3)).ToList();
        var (rolledBack, after, settled) = await StreamThrough(cameras, async () =>
        {
            await Task.Delay(500);
            var status = await Rollout.Rollout(shifted.Version, 50, new RolloutPolicy { WatchSeconds = 3, MinCanaryFrames = 10 });
            Assert.Equal(RolloutPhase.Canary, status.Phase);
            var sw = Stopwatch.StartNew();
            while ((status = await Rollout.GetStatus()).Phase == RolloutPhase.Canary && sw.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(200);
            Assert.Equal(RolloutPhase.RolledBack, status.Phase);
            Assert.Equal(from, status.Plan.Stable);
            Assert.Null(status.Plan.Candidate);
            Assert.Contains("score distribution shift", status.LastDecision);
            return status;
        });
        foreach (var (c, _, seen) in settled)
        {
            Assert.All(seen.Where(x => x.Ticks > after), x => Assert.Equal(from, x.Frame.ModelVersion));
            if (canary.Contains(c)) Assert.Contains(seen, x => x.Frame.ModelVersion == shifted.Version);
        }
        var audit = await Rollout.GetAudit(50);
        Assert.Contains(audit, a => a.Action == "health" && a.Version == shifted.Version);
        Assert.Contains(audit, a => a.Action == "rollback" && a.Version == shifted.Version);
        Assert.All(rolledBack.Grains, g => Assert.DoesNotContain(g.Loaded, m => m.Version == shifted.Version));
    }
}
