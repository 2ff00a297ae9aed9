using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Vad.Client;
using Vad.Contracts;
using Vad.Grains;
using Xunit;

namespace Vad.Cluster.Tests;

public class BatchingEngineTests
{
    private static TripleRequest Triple(ModelInfo m, string camera, long seq, byte prev, byte next) => new()
    {
        CameraId = camera,
        CenterSequence = seq,
        Width = m.InputWidth,
        Height = m.InputHeight,
        Format = m.Format,
        Previous = Enumerable.Repeat(prev, m.InputWidth * m.InputHeight).ToArray(),
        Center = new byte[m.InputWidth * m.InputHeight],
        Next = Enumerable.Repeat(next, m.InputWidth * m.InputHeight).ToArray(),
    };

    [Fact]
    public async Task Batches_across_cameras_applies_back_pressure_and_drains_on_shutdown()
    {
        var runner = ModelRunner.Load(TestData.MotionModelPath, null, maxBatchSize: 8, intraOpThreads: 1, NullLogger.Instance);
        var m = runner.Info;
        var delivered = new ConcurrentDictionary<string, ConcurrentBag<ScoredFrame>>();
        var engine = new BatchingEngine(runner, new InferenceOptions { MaxBatchSize = 8, MaxDelayMs = 50, QueueCapacity = 24 },
            (camera, results) => { foreach (var r in results) delivered.GetOrAdd(camera, _ => new()).Add(r); }, NullLogger.Instance);
        int accepted = 0, full = 0;
        for (int i = 0; i < 60; i++)
        {
            var r = engine.TryEnqueue(Triple(m, $"cam-{i % 3}", i, 0, (byte)(i % 3 * 100)));
            if (r.Status == EnqueueStatus.Accepted) accepted++;
            else if (r.Status == EnqueueStatus.QueueFull) full++;
        }
        Assert.Equal(60, accepted + full);
        Assert.True(full > 0, "a bounded queue must refuse when full");
        var wrong = engine.TryEnqueue(Triple(m, "cam-x", 0, 0, 0) with { Width = 7 });
        Assert.Equal(EnqueueStatus.Invalid, wrong.Status);

        await engine.DrainAsync(TimeSpan.FromSeconds(30)); // graceful shutdown: everything queued is scored
        Assert.Equal(accepted, delivered.Values.Sum(b => b.Count));
        Assert.Equal(EnqueueStatus.Unavailable, engine.TryEnqueue(Triple(m, "cam-0", 999, 0, 0)).Status);
        Assert.True(engine.Frames / (double)engine.Batches > 1, "triples of several cameras share batches");
        // The motion-energy heads see |next - prev|: camera 0 (no motion) scores 0, camera 2 (200/255) scores most.
        Assert.All(delivered["cam-0"], r => Assert.Equal(0, r.Score, 5));
        Assert.All(delivered["cam-2"], r => Assert.True(r.Score > delivered["cam-1"].Max(x => x.Score)));
        Assert.All(delivered.Values.SelectMany(b => b), r => Assert.Equal((16, 256, m.Version), (r.MapSize, r.Map.Length, r.ModelVersion)));
        await engine.DisposeAsync();
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public readonly List<string> Lines = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter) => Lines.Add($"{logLevel}: {formatter(state, exception)}");
    }

    [Fact]
    public void Cuda_is_tried_and_falls_back_to_cpu_with_a_log_line_when_unavailable()
    {
        var log = new ListLogger();
        using var gpu = ModelRunner.Load(TestData.MotionModelPath, cudaDevice: 0, maxBatchSize: 2, intraOpThreads: 1, log);
        using var cpu = ModelRunner.Load(TestData.MotionModelPath, cudaDevice: null, maxBatchSize: 2, intraOpThreads: 1, NullLogger.Instance);
        Assert.Equal("CPU", cpu.Provider);
        if (gpu.Provider != "CUDA:0")
        {
            // This machine has no CUDA 13 / cuDNN 9: the CUDA execution provider throws and the runner says so.
            Assert.Equal("CPU (CUDA:0 unavailable)", gpu.Provider);
            Assert.Contains(log.Lines, l => l.StartsWith("Warning: CUDA execution provider unavailable on device 0", StringComparison.Ordinal));
        }
        var t = Triple(cpu.Info, "c", 0, 10, 60);
        gpu.Stage(0, t);
        cpu.Stage(0, t);
        gpu.Run(1);
        cpu.Run(1);
        Assert.Equal(cpu.Score(0), gpu.Score(0), 4);
        Assert.True(cpu.Score(0) > 0);
    }

    [Fact]
    public async Task A_model_swap_takes_effect_between_batches_and_a_bad_model_never_loads()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"vad-swap-{Guid.NewGuid():N}");
        try
        {
            var v1 = MotionEnergyModel.Write(Path.Combine(dir, "v1.onnx"));
            // Same contract, different bytes (another producer name): another version.
            File.WriteAllBytes(Path.Combine(dir, "v2.onnx"), File.ReadAllBytes(Path.Combine(dir, "v1.onnx")).Concat(new byte[] { 0x3a, 0x00 }).ToArray());
            var results = new ConcurrentQueue<ScoredFrame>();
            var engine = new BatchingEngine(ModelRunner.Load(Path.Combine(dir, "v1.onnx"), null, 4, 1, NullLogger.Instance),
                new InferenceOptions { MaxBatchSize = 4, MaxDelayMs = 1, QueueCapacity = 64 }, (_, r) => { foreach (var x in r) results.Enqueue(x); }, NullLogger.Instance);
            var m = engine.Model;
            for (int i = 0; i < 8; i++) engine.TryEnqueue(Triple(m, "c", i, 0, 10));
            while (results.Count < 8) await Task.Delay(10);
            var v2 = ModelRunner.Load(Path.Combine(dir, "v2.onnx"), null, 4, 1, NullLogger.Instance);
            engine.Swap(v2);
            for (int i = 8; i < 16; i++) engine.TryEnqueue(Triple(m, "c", i, 0, 10));
            await engine.DrainAsync(TimeSpan.FromSeconds(10));
            var list = results.ToList();
            Assert.All(list.Take(8), r => Assert.Equal(v1.Version, r.ModelVersion));
            Assert.All(list.Skip(8), r => Assert.Equal(v2.Info.Version, r.ModelVersion));
            Assert.NotEqual(v1.Version, v2.Info.Version);

            File.WriteAllBytes(Path.Combine(dir, "broken.onnx"), [1, 2, 3]);
            Assert.ThrowsAny<Exception>(() => ModelRunner.Load(Path.Combine(dir, "broken.onnx"), null, 4, 1, NullLogger.Instance));
            await engine.DisposeAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
