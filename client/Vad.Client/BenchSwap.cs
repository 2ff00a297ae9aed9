using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using Vad.Contracts;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Frames;
using Vad.Core.Models;
using Vad.Grains;
using Vad.Registry;
using Vad.Silo;
using Vad.Core;

namespace Vad.Client;

/// <summary>
/// <c>./vad bench swap</c>: N cameras stream Ped2 test clips (paced, lossless) through a localhost cluster; after a steady
/// phase another version is rolled out to 100% through the rollout grain (registry -> preload + validation on every
/// inference grain -> plan swap between batches). Reports the time from the rollout request to every inference grain
/// serving it, the frames lost, and the worst frame-to-score latency during the swap against the steady-state p99 of
/// the same run. Latency is taken where the camera takes it: triple complete -> results arrive at the camera grain.
/// </summary>
public static class BenchSwap
{
    private readonly record struct Seen(string Camera, long Sequence, string Version, long ArrivedTicks, long SubmittedTicks);

    public static async Task<int> RunAsync(CommandArgs a)
    {
        int cameras = a.GetInt("cameras", 32);
        string? jsonArg = a.Get("json");
        string? modelArg = a.Get("model");
        double fps = a.GetDouble("fps", 2);
        double steadySeconds = a.GetDouble("steady-seconds", 10);
        double afterSeconds = a.GetDouble("after-seconds", 5);
        a.RejectUnknown();
        if (cameras < 1 || fps <= 0) throw new CommandArgsException("--cameras must be >= 1 and --fps > 0");
        string outDir = RepoPaths.Resolve("bench/results/swap");
        Directory.CreateDirectory(outDir);
        string json = jsonArg ?? Path.Combine(outDir, $"bench-swap-{cameras}.json");
        string tmp = RepoPaths.Resolve(Path.Combine("bench", "results", "tmp", $"swap-{Environment.ProcessId}"));
        Directory.CreateDirectory(tmp);
        string modelPath = Demo.ResolveModel(modelArg, tmp, out bool baseline);

        // Version 2: the same graph with an empty protobuf field appended: another content hash, the same weights.
        string v2Path = Path.Combine(tmp, "v2.onnx");
        File.WriteAllBytes(v2Path, File.ReadAllBytes(modelPath).Concat(new byte[] { 0x3a, 0x00 }).ToArray());
        var manifest = File.Exists(StudentManifest.PathFor(modelPath)) ? StudentManifest.Load(StudentManifest.PathFor(modelPath))
            : throw new FileNotFoundException($"{modelPath}: manifest missing");
        (manifest with { Version = StudentManifest.HashFile(v2Path) }).Save(StudentManifest.PathFor(v2Path));
        string registryDir = Path.Combine(tmp, "registry");
        Environment.SetEnvironmentVariable("VAD_REGISTRY", Path.GetFullPath(registryDir));
        var registry = new FolderModelRegistry(registryDir);
        double golden;
        using (var r = ModelRunner.Load(v2Path, null, 1, 0, NullLogger.Instance)) golden = ModelValidation.GoldenScore(r);
        var v2 = await registry.RegisterAsync(File.ReadAllBytes(v2Path), StudentManifest.Load(StudentManifest.PathFor(v2Path)) with { GoldenScore = golden });

        var seen = new ConcurrentQueue<Seen>();
        var cfg = new VadConfig
        {
            Clustering = "Localhost", Storage = "Memory", ServiceId = "vad", ClusterId = $"vad-swap-{Environment.ProcessId}",
            SiloPort = InProcessSilo.FreePort(), GatewayPort = InProcessSilo.FreePort(), ModelPath = modelPath, SiloName = "swap",
        };
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Logging.AddFilter("Microsoft", LogLevel.Error);
        builder.UseOrleans(silo =>
        {
            VadSiloHost.ConfigureSilo(silo, cfg);
            silo.AddIncomingGrainCallFilter(async ctx =>
            {
                if (ctx.InterfaceMethod?.Name == nameof(ICameraGrain.OnScored) && ctx.Request.GetArgument(0) is ScoredFrame[] frames)
                {
                    long now = Stopwatch.GetTimestamp();
                    string camera = ctx.TargetId.Key.ToString()!;
                    foreach (var f in frames) seen.Enqueue(new Seen(camera, f.CenterSequence, f.ModelVersion, now, f.SubmittedTicks));
                }
                await ctx.Invoke();
            });
        });
        using var host = builder.Build();
        await host.StartAsync();
        int exit;
        try
        {
            await using var conn = await ClusterConnection.ConnectAsync(cfg);
            var client = conn.Client;
            var model = await ClusterQueries.WaitForModelAsync(client, TimeSpan.FromSeconds(60));
            string root = KnownDatasets.FindPed2() ?? throw new DatasetException($"UCSD Ped2 not found (set {KnownDatasets.Ped2Variable})");
            var clips = new List<FrameMessage[]>();
            foreach (var v in VideoDataset.Open(root).Test)
            {
                using var src = FrameSource.Open(v.Source, Ingest.SourceOptions(model));
                clips.Add(src.ReadFrames().Select(f => Ingest.ToMessage(f, f.Index)).ToArray());
            }
            var warm = client.GetGrain<ICameraGrain>("swap-warmup");
            await Ingest.RunAsync(warm, clips[0].Take(60), IngestMode.Lossless, new IngestStats());
            await Ingest.WaitSettledAsync(warm, TimeSpan.FromMinutes(2));
            string v1 = model.Version;

            bool stop = false;
            var stats = new IngestStats();
            IEnumerable<FrameMessage> Endless(FrameMessage[] clip)
            {
                for (long seq = 0; !Volatile.Read(ref stop); seq++)
                    yield return clip[(int)(seq % clip.Length)] with { Sequence = seq, Timestamp = TimeSpan.FromSeconds(seq / fps) };
            }
            var cams = Enumerable.Range(0, cameras).Select(i => client.GetGrain<ICameraGrain>($"swap-{i:000}")).ToArray();
            var runs = cams.Select((cam, i) => Task.Run(() => Ingest.RunAsync(cam, Endless(clips[i % clips.Count]), IngestMode.Lossless, stats, paced: true))).ToArray();

            AnsiConsole.MarkupLine($"{cameras} cameras at {fps} frames/s each, steady phase {steadySeconds} s, model {v1[..12]}{(baseline ? " (motion-energy baseline)" : "")}");
            long steadyFrom = Stopwatch.GetTimestamp() + (long)(2 * Stopwatch.Frequency); // 2 s ramp-up not counted
            await Task.Delay(TimeSpan.FromSeconds(steadySeconds + 2));
            long swapStart = Stopwatch.GetTimestamp();
            var rollout = client.GetGrain<IRolloutGrain>(0);
            var status = await rollout.Rollout(v2.Version, 100, null);
            var keys = (await client.GetGrain<IClusterDirectoryGrain>(0).GetInference()).Endpoints.Select(e => e.Key).ToList();
            while (true)
            {
                var models = await Task.WhenAll(keys.Select(k => client.GetGrain<IInferenceGrain>(k).GetModels()));
                if (models.All(m => m.Serving == v2.Version)) break;
                await Task.Delay(5);
            }
            long swapDone = Stopwatch.GetTimestamp();
            double swapSeconds = (swapDone - swapStart) / (double)Stopwatch.Frequency;
            AnsiConsole.MarkupLine($"rollout: phase {status.Phase}, every inference grain serves {v2.Version[..12]} after {swapSeconds:0.000} s");
            await Task.Delay(TimeSpan.FromSeconds(afterSeconds));
            Volatile.Write(ref stop, true);
            await Task.WhenAll(runs);
            var statuses = new List<CameraStatus>();
            foreach (var c in cams) statuses.Add(await Ingest.WaitSettledAsync(c, TimeSpan.FromMinutes(2)));

            var mine = seen.Where(s => s.Camera.StartsWith("swap-", StringComparison.Ordinal) && s.Camera != "swap-warmup").ToList();
            float Ms(Seen s) => (float)((s.ArrivedTicks - s.SubmittedTicks) * 1000.0 / Stopwatch.Frequency);
            var steady = mine.Where(s => s.ArrivedTicks >= steadyFrom && s.ArrivedTicks < swapStart).Select(Ms).ToArray();
            // The swap window: from the request until 1 s after every grain serves the new version (queued triples drain).
            long swapWindowEnd = swapDone + Stopwatch.Frequency;
            var during = mine.Where(s => s.ArrivedTicks >= swapStart && s.ArrivedTicks < swapWindowEnd).Select(Ms).ToArray();
            long received = statuses.Sum(s => s.Received), scored = statuses.Sum(s => s.Scored), dropped = statuses.Sum(s => s.Dropped);
            var perFrame = mine.GroupBy(s => (s.Camera, s.Sequence)).ToList();
            long scoredTwice = perFrame.Count(g => g.Count() > 1);
            long byV1 = mine.Count(s => s.Version == v1), byV2 = mine.Count(s => s.Version == v2.Version);
            long framesLost = received - scored + (received - perFrame.Count);
            var result = new
            {
                command = "./vad bench swap" + (cameras != 32 ? $" --cameras {cameras}" : "") + (fps != 2 ? $" --fps {fps}" : "") + (jsonArg is null ? "" : $" --json {jsonArg}") + (modelArg is null ? "" : $" --model {modelArg}"),
                created_utc = DateTime.UtcNow,
                machine = new { cores = Environment.ProcessorCount, os = RuntimeInformation.OSDescription, cpu = BenchMachine.CpuModel(), runtime = RuntimeInformation.FrameworkDescription },
                model = new { path = modelPath, from_version = v1, to_version = v2.Version, to_version_is = "the same graph + an empty protobuf field: another sha256, same weights", baseline_not_student = baseline, size_bytes = new FileInfo(modelPath).Length },
                cluster = "1 in-process silo (localhost clustering, memory storage, roles cpu,gpu,trainer, one CPU inference grain), client over the gateway",
                cameras,
                fps_per_camera = fps,
                ingest = "paced at fps, lossless (a full inference queue makes the client retry the same frame)",
                swap = "rollout grain: registry load (sha256 check) -> preload + validation (shapes, golden score) on every inference grain -> plan swap (canary 100%) between batches",
                swap_seconds = swapSeconds,
                frames_received = received,
                frames_scored = scored,
                frames_dropped = dropped,
                frames_scored_twice = scoredTwice,
                frames_lost = framesLost,
                scored_by_old_version = byV1,
                scored_by_new_version = byV2,
                steady_frames = steady.Length,
                steady_p50_ms = LatencyReservoir.Percentile(steady, 50),
                steady_p99_ms = LatencyReservoir.Percentile(steady, 99),
                swap_window_frames = during.Length,
                swap_window_p99_ms = LatencyReservoir.Percentile(during, 99),
                worst_latency_ms = during.Length == 0 ? 0 : during.Max(),
                latency_definition = "triple complete on the camera's silo (frame i+t received) -> its score arrives at the camera grain",
            };
            new BenchReport($"bench swap, {cameras} cameras")
                .Note($"command: `{result.command}`; {v1[..12]} -> {v2.Version[..12]} ({result.model.size_bytes / 1024.0 / 1024.0:0.0} MB){(baseline ? ", motion-energy baseline" : "")}; {cameras} cameras x {fps} frames/s, paced, lossless")
                .Row("swap_seconds (rollout request -> every inference grain serves it)", swapSeconds.ToString("0.000"))
                .Row("frames received / scored / lost", $"{received} / {scored} / {framesLost}")
                .Row("scored by old / new version", $"{byV1} / {byV2}")
                .Row($"steady p50 / p99 latency ms ({steady.Length} frames)", $"{result.steady_p50_ms:0.0} / {result.steady_p99_ms:0.0}")
                .Row($"swap window p99 / worst latency ms ({during.Length} frames)", $"{result.swap_window_p99_ms:0.0} / {result.worst_latency_ms:0.0}")
                .Write(json, result);
            exit = framesLost == 0 && scoredTwice == 0 ? 0 : 1;
        }
        finally
        {
            try { await host.StopAsync(TimeSpan.FromSeconds(30)); } catch (OperationCanceledException) { }
            try { Directory.Delete(tmp, recursive: true); } catch (IOException) { }
        }
        return exit;
    }
}
