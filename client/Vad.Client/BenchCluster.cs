using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using Vad.Contracts;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Frames;
using Vad.Grains;
using Vad.Core;

namespace Vad.Client;

/// <summary>
/// N cameras stream Ped2 test clips (decoded once, up front, so the decoder is not measured) at full speed through a
/// localhost cluster (in-process silo, client over the gateway); then the same model's raw ONNX Runtime throughput at
/// the cluster's mean batch size, in the same process, with the silo stopped.
/// </summary>
public static class BenchCluster
{
    public static async Task<int> RunAsync(CommandArgs a)
    {
        int cameras = a.GetInt("cameras", 32);
        string? jsonArg = a.Get("json");
        string? modelArg = a.Get("model");
        int maxBatch = a.GetInt("max-batch", 32);
        double maxDelay = a.GetDouble("max-delay-ms", 5);
        int rounds = a.GetInt("rounds", 1);
        string? note = a.Get("note");
        // Two batches deep: one waiting while one runs keeps the device busy without queueing seconds of latency.
        int queue = a.GetInt("queue", 2 * maxBatch);
        a.RejectUnknown();
        if (cameras < 1) throw new CommandArgsException("--cameras must be >= 1");
        string outDir = RepoPaths.Resolve("bench/results/cluster");
        Directory.CreateDirectory(outDir);
        string json = jsonArg ?? Path.Combine(outDir, $"bench-cluster-{cameras}.json");

        string root = KnownDatasets.FindPed2() ?? throw new DatasetException($"UCSD Ped2 not found (set {KnownDatasets.Ped2Variable})");
        var dataset = VideoDataset.Open(root);
        string tmp = RepoPaths.Resolve(Path.Combine("bench", "results", "tmp"));
        Directory.CreateDirectory(tmp);
        string modelPath = Demo.ResolveModel(modelArg, tmp, out bool baseline);

        var sw = Stopwatch.StartNew();
        await using var silo = await InProcessSilo.StartAsync(modelPath, maxBatch, maxDelay, queueCapacity: queue);
        await using var conn = await ClusterConnection.ConnectAsync(silo.Config);
        var client = conn.Client;
        var model = await ClusterQueries.WaitForModelAsync(client, TimeSpan.FromSeconds(60));

        // Decode every test clip once, at the model's input size.
        var clips = new List<FrameMessage[]>();
        foreach (var v in dataset.Test)
        {
            using var src = FrameSource.Open(v.Source, Ingest.SourceOptions(model));
            clips.Add(src.ReadFrames().Select(f => Ingest.ToMessage(f, f.Index)).ToArray());
        }
        AnsiConsole.MarkupLine($"decoded {clips.Sum(c => c.Length)} Ped2 test frames ({model.InputWidth}x{model.InputHeight}) in {sw.Elapsed.TotalSeconds:0.0} s; model {Markup.Escape(modelPath)}{(baseline ? " [yellow](motion-energy baseline, not the student)[/]" : "")}");

        // Warm-up (JIT, ORT arenas): one clip through a camera that is not measured.
        var warm = client.GetGrain<ICameraGrain>("bench-warmup");
        await Ingest.RunAsync(warm, clips[0], IngestMode.Lossless, new IngestStats());
        await Ingest.WaitSettledAsync(warm, TimeSpan.FromMinutes(2));

        var inferenceKeys = (await client.GetGrain<IClusterDirectoryGrain>(0).GetInference()).Endpoints.Select(e => e.Key).ToList();
        async Task<(long Batches, long Frames)> InferenceTotals()
        {
            var st = await Task.WhenAll(inferenceKeys.Select(k => client.GetGrain<IInferenceGrain>(k).GetStatus()));
            return (st.Sum(s => s.Batches), st.Sum(s => s.Frames));
        }
        var before = await InferenceTotals();
        var stats = new IngestStats();
        var cams = Enumerable.Range(0, cameras).Select(i => client.GetGrain<ICameraGrain>($"bench-{i:000}")).ToArray();
        sw.Restart();
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                long total = Enumerable.Range(0, cameras).Sum(i => (long)clips[i % clips.Count].Length) * rounds;
                var task = ctx.AddTask($"{cameras} cameras", maxValue: total);
                var runs = cams.Select((cam, i) => Task.Run(async () =>
                {
                    var clip = clips[i % clips.Count];
                    for (int r = 0; r < rounds; r++)
                    {
                        long offset = (long)r * clip.Length;
                        await Ingest.RunAsync(cam, clip.Select(f => f with { Sequence = f.Sequence + offset }), IngestMode.Lossless, stats);
                    }
                    await Ingest.WaitSettledAsync(cam, TimeSpan.FromMinutes(10));
                })).ToArray();
                var all = Task.WhenAll(runs);
                while (!all.IsCompleted)
                {
                    await Task.WhenAny(all, Task.Delay(250));
                    task.Value = stats.Sent;
                    task.Description = $"{cameras} cameras: {stats.Sent / Math.Max(1e-3, sw.Elapsed.TotalSeconds),6:0.0} frames/s";
                }
                await all;
            });
        double clusterSeconds = sw.Elapsed.TotalSeconds;
        var after = await InferenceTotals();
        var statuses = await Task.WhenAll(cams.Select(c => c.GetStatus()));
        var latencies = (await Task.WhenAll(cams.Select(c => c.GetLatencies()))).SelectMany(x => x).ToArray();
        long received = statuses.Sum(s => s.Received), scored = statuses.Sum(s => s.Scored), dropped = statuses.Sum(s => s.Dropped);
        bool invariant = statuses.All(s => s.Received == s.Scored + s.Dropped);
        double meanBatch = (after.Frames - before.Frames) / (double)Math.Max(1, after.Batches - before.Batches);
        double scoredFps = scored / clusterSeconds;
        await conn.DisposeAsync();
        await silo.DisposeAsync();

        // Raw ONNX Runtime: same model, same batch size (the cluster's mean, rounded), real triples, no cluster.
        int rawBatch = Math.Clamp((int)Math.Round(meanBatch), 1, maxBatch);
        var (rawFps, rawFrames, rawSeconds) = MeasureRaw(modelPath, clips, model, rawBatch, Math.Max(5, clusterSeconds / 2));
        double ratio = scoredFps / rawFps;

        var result = new
        {
            command = $"./vad bench cluster --cameras {cameras}" + (jsonArg is null ? "" : $" --json {jsonArg}") + (modelArg is null ? "" : $" --model {modelArg}") + (note is null ? "" : $" --note \"{note}\""),
            created_utc = DateTime.UtcNow,
            note,
            machine = new
            {
                cores = Environment.ProcessorCount,
                os = RuntimeInformation.OSDescription,
                cpu = BenchMachine.CpuModel(),
                runtime = RuntimeInformation.FrameworkDescription,
            },
            model = new { path = modelPath, version = model.Version, input = $"{model.InputWidth}x{model.InputHeight}x{model.Channels}", baseline_not_student = baseline },
            cluster = "1 in-process silo (localhost clustering, memory storage, roles cpu,gpu,trainer), client over the gateway (TCP loopback)",
            provider = "CPU (no CUDA here)",
            cameras,
            rounds,
            max_batch_size = maxBatch,
            max_delay_ms = maxDelay,
            queue_capacity = queue,
            frames_received = received,
            scored,
            dropped,
            received_equals_scored_plus_dropped = invariant,
            back_pressure_waits = stats.BusyRetries,
            cluster_seconds = clusterSeconds,
            scored_fps = scoredFps,
            p50_latency_ms = LatencyReservoir.Percentile(latencies, 50),
            p90_latency_ms = LatencyReservoir.Percentile(latencies, 90),
            p99_latency_ms = LatencyReservoir.Percentile(latencies, 99),
            latency_definition = "camera grain: triple complete (frame i+t received) -> score applied, same silo clock",
            mean_batch_size = meanBatch,
            raw_batch_size = rawBatch,
            raw_frames = rawFrames,
            raw_seconds = rawSeconds,
            raw_fps = rawFps,
            cluster_to_raw_ratio = ratio,
        };
        new BenchReport($"bench cluster, {cameras} cameras")
            .Note($"command: `{result.command}`; model {model.Version[..12]} ({model.InputWidth}x{model.InputHeight}x{model.Channels}){(baseline ? ", motion-energy baseline" : "")}")
            .Note(note is null ? null : $"note: {note}")
            .Row("scored frames/s (cluster)", scoredFps.ToString("0.0"))
            .Row($"raw ONNX Runtime frames/s (batch {rawBatch})", rawFps.ToString("0.0"))
            .Row("cluster / raw", ratio.ToString("0.000"))
            .Row("p50 / p90 / p99 latency ms", $"{result.p50_latency_ms:0.0} / {result.p90_latency_ms:0.0} / {result.p99_latency_ms:0.0}")
            .Row("mean batch size", meanBatch.ToString("0.00"))
            .Row("received / scored / dropped", $"{received} / {scored} / {dropped}")
            .Row("back-pressure waits", stats.BusyRetries.ToString())
            .Write(json, result);
        return dropped == 0 && invariant ? 0 : 1;
    }

    private static (double Fps, long Frames, double Seconds) MeasureRaw(string modelPath, List<FrameMessage[]> clips, ModelInfo model, int batch, double seconds)
    {
        using var runner = ModelRunner.Load(modelPath, cudaDevice: null, batch, intraOpThreads: 0, NullLogger.Instance);
        var triples = new List<TripleRequest>();
        foreach (var clip in clips)
            for (int i = model.StrideT; i + model.StrideT < clip.Length && triples.Count < 512; i += 7)
                triples.Add(new TripleRequest
                {
                    Width = model.InputWidth, Height = model.InputHeight, Format = model.Format,
                    Previous = clip[i - model.StrideT].Pixels, Center = clip[i].Pixels, Next = clip[i + model.StrideT].Pixels,
                });
        // Warm-up, then timed batches (staging pixel/255 into the pooled input is included, as in the cluster).
        for (int w = 0; w < 3; w++) { for (int s = 0; s < batch; s++) runner.Stage(s, triples[s % triples.Count]); runner.Run(batch); }
        long frames = 0;
        int k = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            for (int s = 0; s < batch; s++) runner.Stage(s, triples[k++ % triples.Count]);
            runner.Run(batch);
            for (int s = 0; s < batch; s++) _ = runner.Score(s);
            frames += batch;
        }
        double elapsed = sw.Elapsed.TotalSeconds;
        return (frames / elapsed, frames, elapsed);
    }
}
