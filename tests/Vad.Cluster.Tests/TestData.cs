using Orleans;
using Vad.Client;
using Vad.Contracts;
using Vad.Core.Datasets;
using Vad.Core.Frames;

namespace Vad.Cluster.Tests;

/// <summary>Ped2 and the model the cluster tests serve.</summary>
public static class TestData
{
    private static readonly Lazy<VideoDataset> Ped2Lazy = new(() =>
        VideoDataset.Open(KnownDatasets.FindPed2() ?? throw new InvalidOperationException("UCSD Ped2 not found (../shared/data/ped2 or VAD_PED2)")));

    public static VideoDataset Ped2 => Ped2Lazy.Value;

    private static readonly Lazy<string> ModelLazy = new(() =>
    {
        // The shipped student when present; until then a generated motion-energy model with the student's contract
        // (its heads pool |x(i+t) - x(i-t)|: a frame-differencing detector, honest about what it is).
        const string shipped = "models/ped2/student.onnx";
        string? repo = FindRepoRoot();
        if (repo is not null && File.Exists(Path.Combine(repo, shipped))) return Path.Combine(repo, shipped);
        string dir = Path.Combine(Path.GetTempPath(), $"vad-cluster-tests-{Environment.ProcessId}");
        string path = Path.Combine(dir, "motion-energy.onnx");
        MotionEnergyModel.Write(path);
        return path;
    });

    public static string ModelPath => ModelLazy.Value;

    private static readonly Lazy<string> MotionLazy = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"vad-cluster-tests-{Environment.ProcessId}", "motion-energy-fixed.onnx");
        MotionEnergyModel.Write(path);
        return path;
    });

    /// <summary>Always the generated motion-energy model (tests that assert what its heads compute).</summary>
    public static string MotionModelPath => MotionLazy.Value;

    private static string? FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Cluster.sln"))) return d.FullName;
        return null;
    }

    public static List<FrameMessage> Frames(string source, ModelInfo model, long firstSequence = 0)
    {
        using var src = FrameSource.Open(source, Ingest.SourceOptions(model));
        return src.ReadFrames().Select(f => Ingest.ToMessage(f, firstSequence + f.Index)).ToList();
    }

    public static async Task<CameraStatus> StreamAsync(IGrainFactory client, string camera, IEnumerable<FrameMessage> frames,
        IngestMode mode = IngestMode.Lossless)
    {
        var cam = client.GetGrain<ICameraGrain>(camera);
        await Ingest.RunAsync(cam, frames, mode, new IngestStats());
        return await Ingest.WaitSettledAsync(cam, TimeSpan.FromMinutes(2));
    }

    /// <summary>Alert thresholds from a normal training clip (p99 / p95 of the smoothed score), as the demo does.</summary>
    public static async Task<CameraSettings> CalibrateAsync(IGrainFactory client, ModelInfo model, string camera)
    {
        var settings = new CameraSettings { Sigma = 3 };
        await client.GetGrain<ICameraGrain>(camera).UpdateSettings(settings);
        await StreamAsync(client, camera, Frames(Ped2.Train[0].Source, model));
        var smoothed = (await client.GetGrain<ICameraGrain>(camera).GetScores(0, int.MaxValue)).Select(s => (double)s.Smoothed).Order().ToArray();
        return settings with { UpperThreshold = Demo.Percentile(smoothed, 99), LowerThreshold = Demo.Percentile(smoothed, 95), OpenAfterFrames = 3 };
    }
}
