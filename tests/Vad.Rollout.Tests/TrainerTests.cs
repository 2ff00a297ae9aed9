using Orleans.Streams;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using Vad.Client;
using Vad.Contracts;
using Vad.Grains;
using Vad.Registry;
using Vad.Silo;
using Vad.Testing;
using Xunit;

namespace Vad.Rollout.Tests;

/// <summary>
/// The trainer grain's orchestration (child process, progress parsing, persisted job state, resume after its silo
/// restarts, registration) with a fake trainer program: a bash script that prints the student's progress-line format,
/// keeps a checkpoint file in the run folder and resumes from it, then "exports" a small ONNX + manifest. It proves the
/// orchestration, not the student's own checkpointing (Vad.Student's tests cover that).
/// </summary>
[Trait("Category", "Rollout")]
public sealed class TrainerTests : IClassFixture<RedisTestServer>, IAsyncLifetime
{
    private const string FakeTrainer = """
        run=$1; total=$2; template=$3
        mkdir -p "$run"
        start=0
        if [ -f "$run/ckpt" ]; then start=$(cat "$run/ckpt"); echo "2026-01-01T00:00:00Z resumed at phase 2, epoch 0, step $start (global $start)"; fi
        for ((i=start+1; i<=total; i++)); do
          sleep 0.2
          echo "$i" >> "$run/steps.log"
          echo "$i" > "$run/ckpt.tmp" && mv "$run/ckpt.tmp" "$run/ckpt"
          echo "2026-01-01T00:00:00Z phase 2 (KD) epoch 1/1 step $i/$total KD 0.20000 adv 0.600 D 0.700 | $i/$total | 5.00 it/s | ETA 00:00:0$(( (total - i) / 5 % 10 ))"
        done
        echo "2026-01-01T00:00:00Z phase 2 epoch 1: KD 0.12500 adversarial 0.6900 discriminator 0.7000 (5 s)"
        cp "$template/student.onnx" "$template/student.json" "$run/"
        """;

    private readonly RedisTestServer _redis;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"vad-trainer-tests-{Guid.NewGuid():N}");
    private TestCluster _cluster = null!;

    public TrainerTests(RedisTestServer redis) => _redis = redis;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "template"));
        Directory.CreateDirectory(Path.Combine(_dir, "dataset"));
        File.WriteAllText(Path.Combine(_dir, "fake-trainer.sh"), FakeTrainer);
        MotionEnergyModel.Write(Path.Combine(_dir, "template", "student.onnx"));
        _cluster = await TrainerCluster.DeployAsync<SiloConfig>(2, "vad-trainer", _dir, [new("VadTestRedis", _redis.Configuration)],
            b => b.AddClientBuilderConfigurator<ClientStreams>());
    }

    public Task DisposeAsync() => TrainerCluster.StopAsync(_cluster, _dir);

    private ITrainerGrain Trainer => _cluster.Client.GetGrain<ITrainerGrain>(0);

    private TrainingJobSpec Spec(int steps) => new()
    {
        Dataset = Path.Combine(_dir, "dataset"), Epochs = 1, CameraId = "cam-7",
        TrainArgs = [steps.ToString()], RunDir = Path.Combine(_dir, "runs", Guid.NewGuid().ToString("N")),
    };

    private async Task<TrainingJob> WaitFor(string id, Func<TrainingJob, bool> done, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var job = await Trainer.GetJob(id) ?? throw new InvalidOperationException($"{id} vanished");
            if (done(job)) return job;
            if (sw.Elapsed > timeout) throw new TimeoutException($"{id}: {job.State} {job.Phase} step {job.GlobalStep}/{job.TotalSteps} {job.Error} {job.LastLine}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Job_runs_to_completion_reports_progress_and_registers_its_version()
    {
        // A live watcher on the trainer's stream sees the job's progress and its end.
        var updates = new System.Collections.Concurrent.ConcurrentQueue<TrainingJob>();
        var stream = _cluster.Client.GetStreamProvider(VadStreams.Provider)
            .GetStream<TrainingJob>(Orleans.Runtime.StreamId.Create(VadStreams.TrainingNamespace, VadStreams.AllJobs));
        var handle = await stream.SubscribeAsync((j, _) => { updates.Enqueue(j); return Task.CompletedTask; });
        var job = await Trainer.StartJob(Spec(8));
        var done = await WaitFor(job.Id, j => j.State is not (TrainingJobState.Queued or TrainingJobState.Running), TimeSpan.FromSeconds(30));
        var deadline = Stopwatch.StartNew();
        while (!updates.Any(u => u.Id == job.Id && u.State == TrainingJobState.Succeeded) && deadline.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(50);
        await handle.UnsubscribeAsync();
        var mine = updates.Where(u => u.Id == job.Id).ToList();
        Assert.Contains(mine, u => u.State == TrainingJobState.Running && u.GlobalStep > 0);
        Assert.Equal(TrainingJobState.Succeeded, mine[^1].State);
        Assert.Equal(done.Version, mine[^1].Version);
        Assert.Equal(TrainingJobState.Succeeded, done.State);
        Assert.Equal(8, done.GlobalStep);
        Assert.Equal(8, done.TotalSteps);
        Assert.Equal(0.125, done.Losses["kd"], 6);
        Assert.Equal(0, done.ResumedFromStep);
        Assert.NotNull(done.Version);
        var registry = new FolderModelRegistry(Path.Combine(_dir, "registry"));
        var pkg = await registry.GetAsync(done.Version!);
        Assert.Equal(0.125, pkg.Manifest.Metrics["train_kd"], 6);
        Assert.Contains("camera cam-7", pkg.Manifest.TrainingData);
        Assert.Contains(await Trainer.ListJobs(), j => j.Id == job.Id);
    }

    [Fact]
    public async Task Cancel_kills_the_job_process()
    {
        var job = await Trainer.StartJob(Spec(200));
        await WaitFor(job.Id, j => j.GlobalStep >= 2, TimeSpan.FromSeconds(30));
        Assert.True(await Trainer.CancelJob(job.Id));
        var cancelled = await Trainer.GetJob(job.Id);
        Assert.Equal(TrainingJobState.Cancelled, cancelled!.State);
        int before = File.ReadAllLines(Path.Combine(job.RunDir, "steps.log")).Length;
        await Task.Delay(1000);
        Assert.Equal(before, File.ReadAllLines(Path.Combine(job.RunDir, "steps.log")).Length);
        Assert.False(await Trainer.CancelJob(job.Id));
    }

    [Fact]
    public async Task Job_survives_a_restart_of_its_silo_and_resumes_from_its_checkpoint()
    {
        const int total = 30;
        var job = await Trainer.StartJob(Spec(total));
        var running = await WaitFor(job.Id, j => j.GlobalStep >= 5, TimeSpan.FromSeconds(30));
        var host = _cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == running.Silo);
        Assert.NotEqual(_cluster.Primary, host);
        await _cluster.StopSiloAsync(host);
        string ckptAtStop = File.ReadAllText(Path.Combine(job.RunDir, "ckpt")).Trim();
        int stepsAtStop = int.Parse(ckptAtStop);
        await Task.Delay(600);
        // The process died with the silo's deactivation: no step ran while no trainer silo was up.
        Assert.Equal(ckptAtStop, File.ReadAllText(Path.Combine(job.RunDir, "ckpt")).Trim());
        await _cluster.StartAdditionalSiloAsync();

        var done = await WaitFor(job.Id, j => j.State is not (TrainingJobState.Queued or TrainingJobState.Running), TimeSpan.FromSeconds(40));
        Assert.Equal(TrainingJobState.Succeeded, done.State);
        Assert.Equal(running.RunDir, done.RunDir);
        Assert.True(done.Restarts >= 1);
        Assert.True(done.ResumedFromStep >= stepsAtStop && done.ResumedFromStep > 0, $"resumed from {done.ResumedFromStep}");
        Assert.NotEqual(running.Silo, done.Silo);
        var steps = File.ReadAllLines(Path.Combine(job.RunDir, "steps.log")).Select(int.Parse).ToList();
        // Resumed, not restarted: step 1 ran once, and every step up to the end ran.
        Assert.Single(steps, s => s == 1);
        Assert.Equal(Enumerable.Range(1, total), steps.Distinct().Order());
        Assert.NotNull(done.Version);
    }

    [Fact]
    public async Task Real_student_job_survives_a_restart_of_its_silo_and_resumes_from_its_checkpoint()
    {
        TrainerPipelineTests.EnsureStudentBuilt();
        string cache = TrainerPipelineTests.BuildTinyDataset(_dir, 48);
        // 48 frames, batch 4: 12 steps per epoch; 2 auto-encoder epochs + 1 distillation epoch = 36 steps.
        var job = await Trainer.StartJob(new TrainingJobSpec
        {
            Dataset = Path.Combine(_dir, "ds"), TeachersCache = cache, Epochs = 1,
            TrainArgs = ["--ae-epochs", "2", "--batch", "4"], RunDir = Path.Combine(_dir, "real-run"),
        });
        // The first epoch's end wrote a checkpoint (global step 12) before step 13 ran.
        var running = await WaitFor(job.Id, j => j.GlobalStep > 12, TimeSpan.FromSeconds(60));
        Assert.Equal(TrainingJobState.Running, running.State);
        await _cluster.StopSiloAsync(_cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == running.Silo));
        await _cluster.StartAdditionalSiloAsync();
        var done = await WaitFor(job.Id, j => j.State is not (TrainingJobState.Queued or TrainingJobState.Running), TimeSpan.FromSeconds(80));
        Assert.True(done.State == TrainingJobState.Succeeded, $"{done.State}: {done.Error}");
        Assert.True(done.Restarts >= 1);
        Assert.True(done.ResumedFromStep >= 12, $"resumed from {done.ResumedFromStep}");
        Assert.Equal(done.TotalSteps, done.GlobalStep);
        Assert.Contains(File.ReadAllLines(Path.Combine(_dir, "real-run", "student", "train.log")), l => l.Contains("resumed at"));
        Assert.NotNull(done.Version);
    }

    /// <summary>The fake trainer script, or the real pipelines for a spec with a teacher cache.</summary>
    private sealed class FakeCommands(string dir) : ITrainingCommands
    {
        public IReadOnlyList<TrainingStep> Steps(TrainingJobSpec spec, string runDir) => spec.TeachersCache is not null
            ? new PipelineTrainingCommands().Steps(spec, runDir)
            : [new("student", "bash", [Path.Combine(dir, "fake-trainer.sh"), runDir, spec.TrainArgs[0], Path.Combine(dir, "template")])];

        public string OnnxPath(string runDir) => File.Exists(Path.Combine(runDir, "student.onnx"))
            ? Path.Combine(runDir, "student.onnx") : new PipelineTrainingCommands().OnnxPath(runDir);
    }

    private sealed class ClientStreams : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddMemoryStreams(VadStreams.Provider);
    }

    private sealed class SiloConfig : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            string name = siloBuilder.Configuration["Orleans:Name"]!;
            string dir = siloBuilder.Configuration["VadTestDir"]!;
            var cfg = new VadConfig
            {
                Roles = name == "Primary" ? [SiloRoles.Cpu] : [SiloRoles.Trainer],
                Storage = "Redis",
                Redis = siloBuilder.Configuration["VadTestRedis"]!,
            };
            VadSiloHost.ConfigureSilo(siloBuilder, cfg, clusteringAndEndpoints: false);
            siloBuilder.Services.AddSingleton<IModelRegistry>(_ => new FolderModelRegistry(Path.Combine(dir, "registry")));
            siloBuilder.Services.AddSingleton<ITrainingCommands>(new FakeCommands(dir));
            siloBuilder.Services.Configure<TrainerOptions>(o => o.Heartbeat = TimeSpan.FromMilliseconds(500));
        }
    }
}

/// <summary>The progress parser on the student's own line formats (TrainCommand's step, epoch and resume lines).</summary>
[Trait("Category", "Rollout")]
public sealed class TrainingLogParserTests
{
    [Fact]
    public void Reads_steps_eta_epochs_losses_and_resume_points()
    {
        var job = new TrainingJob();
        TrainingLogParser.Apply(job, "2026-01-01T00:00:00Z resumed at phase 1, epoch 1, step 3 (global 17)");
        Assert.Equal(17, job.ResumedFromStep);
        TrainingLogParser.Apply(job, "2026-01-01T00:00:00Z phase 1 (AE) epoch 2/2 step 5/14 recon 0.01234 | 19/70 | 1.25 it/s | ETA 00:00:44");
        Assert.Equal((19L, 70L, "00:00:44", "phase 1", 2), (job.GlobalStep, job.TotalSteps, job.Eta, job.Phase, job.Epoch));
        Assert.Equal(0.01234, job.Losses["reconstruction"], 6);
        TrainingLogParser.Apply(job, "2026-01-01T00:00:00Z phase 2 epoch 3: KD 0.04500 adversarial 0.6931 discriminator 1.3800 (12 s)");
        Assert.Equal((3, "phase 2"), (job.Epoch, job.Phase));
        Assert.Equal((0.045, 0.6931, 1.38), (job.Losses["kd"], job.Losses["adversarial"], job.Losses["discriminator"]));
        TrainingLogParser.Apply(job, "decoded 16 clips (train), 2550 frames at 256x160 in 4.0 s");
        Assert.Equal(19, job.GlobalStep);
    }
}
