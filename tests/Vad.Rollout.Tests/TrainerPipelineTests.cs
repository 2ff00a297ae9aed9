using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using Vad.Contracts;
using Vad.Core;
using Vad.Core.Maps;
using Vad.Grains;
using Vad.Registry;
using Vad.Silo;
using Xunit;

namespace Vad.Rollout.Tests;

/// <summary>
/// A tiny real job through the trainer grain: the real Vad.Student <c>train</c> (a child process) on 16 Ped2 training
/// frames with a teacher map cache the test writes, 1 auto-encoder + 1 distillation epoch; the exported ONNX is
/// registered with the job's training losses and the validation step's frame-score statistics.
/// </summary>
[Trait("Category", "Rollout")]
public sealed class TrainerPipelineTests : IAsyncLifetime
{
    private const string Ped2 = "/work/shared/data/ped2";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vad-trainer-pipeline-{Guid.NewGuid():N}");
    private TestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TrainerCluster.DeployAsync<SiloConfig>(1, "vad-trainer-pipeline", _dir);

    public Task DisposeAsync() => TrainerCluster.StopAsync(_cluster, _dir);

    /// <summary>A dataset folder of the first <paramref name="frames"/> Ped2 training frames of clip 01 (symbolic links) and a
    /// two-teacher map cache for them (random maps): returns the cache folder; the dataset is <c>DIR/ds</c>.</summary>
    internal static string BuildTinyDataset(string dir, int frames)
    {
        string frameDir = Path.Combine(dir, "ds", "training", "frames", "01");
        Directory.CreateDirectory(frameDir);
        var jpgs = Directory.GetFiles(Path.Combine(Ped2, "training", "frames", "01"), "*.jpg").Order(StringComparer.Ordinal).Take(frames).ToList();
        Assert.Equal(frames, jpgs.Count);
        foreach (var j in jpgs) File.CreateSymbolicLink(Path.Combine(frameDir, Path.GetFileName(j)), j);
        Directory.CreateSymbolicLink(Path.Combine(dir, "ds", "testing"), Path.Combine(Ped2, "testing"));
        string cache = Path.Combine(dir, "teachers");
        var rng = new Random(7);
        foreach (string teacher in new[] { "t1", "t2" })
        {
            var maps = Enumerable.Range(0, frames).Select(_ => new FrameMaps((float)rng.NextDouble(),
                AnomalyMapCache.DefaultResolutions.Select(r => Enumerable.Range(0, r * r).Select(_ => (float)rng.NextDouble()).ToArray()).ToArray())).ToList();
            AnomalyMapCache.Write(AnomalyMapCache.VideoPath(cache, teacher, "train", "01"), new AnomalyMapHeader
            {
                Teacher = teacher, Split = "train", Video = "01", FrameWidth = 360, FrameHeight = 240,
                Resolutions = AnomalyMapCache.DefaultResolutions,
            }, maps);
        }

        return cache;
    }

    internal static void EnsureStudentBuilt()
    {
        try { PipelineTrainingCommands.Dll("Vad.Student"); return; }
        catch (FileNotFoundException) { }
        var p = Process.Start(new ProcessStartInfo("dotnet", ["build", Path.Combine(RepoPaths.Root, "trainer", "Vad.Student"), "-c", "Release"]))!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public async Task Real_student_job_trains_exports_and_registers_its_version()
    {
        EnsureStudentBuilt();
        string cache = BuildTinyDataset(_dir, 16);
        var trainer = _cluster.Client.GetGrain<ITrainerGrain>(0);
        var job = await trainer.StartJob(new TrainingJobSpec
        {
            Dataset = Path.Combine(_dir, "ds"), TeachersCache = cache, Epochs = 1, Profile = "cpu",
            TrainArgs = ["--ae-epochs", "1", "--batch", "4"], RunDir = Path.Combine(_dir, "run"),
            // The same 16 training frames: this proves the validation step's wiring, not generalisation.
            ValidationDataset = Path.Combine(_dir, "ds"),
        });
        var sw = Stopwatch.StartNew();
        while (job.State is TrainingJobState.Queued or TrainingJobState.Running)
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(80), $"job still {job.State} {job.Phase} {job.LastLine}");
            await Task.Delay(250);
            job = (await trainer.GetJob(job.Id))!;
        }
        Assert.True(job.State == TrainingJobState.Succeeded, $"{job.State}: {job.Error}");
        Assert.Equal("succeeded", job.Phase);
        Assert.True(job.TotalSteps > 0 && job.GlobalStep == job.TotalSteps, $"{job.GlobalStep}/{job.TotalSteps}");
        Assert.True(job.Losses.ContainsKey("reconstruction") && job.Losses.ContainsKey("kd"), string.Join(",", job.Losses.Keys));
        var pkg = await new FolderModelRegistry(Path.Combine(_dir, "registry")).GetAsync(job.Version!);
        Assert.Equal(job.Losses["kd"], pkg.Manifest.Metrics["train_kd"], 6);
        var valScores = File.ReadAllLines(Path.Combine(_dir, "run", "validation", "01.txt")).Select(l => double.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(16, pkg.Manifest.Metrics["val_frames"]);
        Assert.Equal(valScores.Average(), pkg.Manifest.Metrics["val_mean_score"], 6);
        Assert.Equal(valScores.Max(), pkg.Manifest.Metrics["val_max_score"], 6);
        Assert.True(File.Exists(Path.Combine(_dir, "run", "student", "checkpoint")) || Directory.Exists(Path.Combine(_dir, "run", "student", "checkpoint")));
    }

    private sealed class SiloConfig : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            string dir = siloBuilder.Configuration["VadTestDir"]!;
            VadSiloHost.ConfigureSilo(siloBuilder, new VadConfig { Roles = [SiloRoles.Cpu, SiloRoles.Trainer] }, clusteringAndEndpoints: false);
            siloBuilder.Services.AddSingleton<IModelRegistry>(_ => new FolderModelRegistry(Path.Combine(dir, "registry")));
        }
    }
}
