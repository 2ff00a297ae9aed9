using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Vad.Client;
using Vad.Contracts;
using Vad.Core.Models;
using Vad.Grains;
using Xunit;

namespace Vad.Rollout.Tests;

[Trait("Category", "Rollout")]
public sealed class EngineVersionTests
{
    [Fact]
    public async Task Interleaved_versions_are_batched_apart_in_queue_order_and_a_retired_version_is_unloaded_after_its_queue()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"vad-engine-versions-{Guid.NewGuid():N}");
        try
        {
            var m1 = MotionEnergyModel.Write(Path.Combine(dir, "a.onnx"));
            File.WriteAllBytes(Path.Combine(dir, "b.onnx"), File.ReadAllBytes(Path.Combine(dir, "a.onnx")).Concat(new byte[] { 0x3a, 0x00 }).ToArray());
            var a = ModelRunner.Load(Path.Combine(dir, "a.onnx"), null, 4, 1, NullLogger.Instance);
            var b = ModelRunner.Load(Path.Combine(dir, "b.onnx"), null, 4, 1, NullLogger.Instance);
            var delivered = new ConcurrentQueue<ScoredFrame>();
            // A long max delay: batches close on size or on a version change, not on time.
            var engine = new BatchingEngine(a, new InferenceOptions { MaxBatchSize = 4, MaxDelayMs = 2000, QueueCapacity = 64 },
                (_, r) => { foreach (var x in r) delivered.Enqueue(x); }, NullLogger.Instance);
            Assert.True(engine.Add(b));
            // Camera "p" pinned to b, every other camera on a.
            engine.SetPlan(new RolloutPlan { Stable = a.Info.Version, Pins = new() { ["p"] = b.Info.Version }, Epoch = 2 });
            byte[] px = new byte[m1.InputWidth * m1.InputHeight];
            string[] order = ["s", "s", "p", "s", "p", "p", "p", "p", "p", "s", "s", "p"];
            for (int i = 0; i < order.Length; i++)
            {
                var r = engine.TryEnqueue(new TripleRequest
                {
                    CameraId = order[i], CenterSequence = i, Width = m1.InputWidth, Height = m1.InputHeight, Format = FrameFormat.Gray8,
                    Previous = px, Center = px, Next = px,
                });
                Assert.Equal(EnqueueStatus.Accepted, r.Status);
            }
            engine.Retain([a.Info.Version]);
            engine.SetPlan(new RolloutPlan { Stable = a.Info.Version, Epoch = 3 });
            engine.Retain([a.Info.Version]);
            await engine.DrainAsync(TimeSpan.FromSeconds(10));
            var list = delivered.ToList();
            Assert.Equal(order.Length, list.Count);
            // Queue order kept; each frame scored by its camera's version at enqueue time, even though b was retired meanwhile.
            Assert.Equal(Enumerable.Range(0, order.Length).Select(i => (long)i), list.Select(x => x.CenterSequence));
            Assert.All(list, x => Assert.Equal(order[x.CenterSequence] == "p" ? b.Info.Version : a.Info.Version, x.ModelVersion));
            // Batches: [s s] [p] [s] [p p p p] [p] [s s] [p] -> never two versions in one, never above the maximum.
            var batches = list.GroupBy(x => x.BatchId).ToList();
            Assert.All(batches, g => Assert.Single(g.Select(x => x.ModelVersion).Distinct()));
            Assert.All(batches, g => Assert.True(g.Count() <= 4));
            Assert.Equal(new[] { 2, 1, 1, 4, 1, 2, 1 }, batches.Select(g => g.Count()));
            Assert.DoesNotContain(engine.Loaded, m => m.Version == b.Info.Version);
            await engine.DisposeAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
