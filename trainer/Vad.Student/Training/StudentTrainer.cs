using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using Vad.Student.Model;
using static TorchSharp.torch;

namespace Vad.Student.Training;

public sealed record TrainOptions
{
    /// <summary>Phase 1: encoder + decoder reconstruct the middle frame.</summary>
    public int Phase1Epochs { get; init; } = 2;
    /// <summary>Phase 2: heads distilled from the teachers (+ adversarial terms).</summary>
    public int Phase2Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 1e-5;
    /// <summary>alpha: weight of the generator's adversarial loss.</summary>
    public double Alpha { get; init; } = 0.1;
    /// <summary>lambda_T per teacher (1 each when null).</summary>
    public double[]? Lambda { get; init; }
    /// <summary>false = plain knowledge distillation (KD), true = KD + adversarial KD (AKD).</summary>
    public bool Adversarial { get; init; } = true;
    public AdversarialMode Mode { get; init; } = AdversarialMode.PerTeacher;
    public int Seed { get; init; } = 42;
    public int CheckpointEverySteps { get; init; } = 10;
    /// <summary>Stop after this many steps in total (tests, smoke runs); null = all epochs.</summary>
    public int? MaxSteps { get; init; }
    /// <summary>Use every k-th training sample per epoch (consecutive frames are nearly identical; 1 = all).</summary>
    public int SampleStep { get; init; } = 1;
    /// <summary>
    /// Decay of an exponential moving average of the student's weights over the distillation steps (null = off). The
    /// average, not the last step's weights, is what gets exported: epoch-to-epoch the student's scores swing widely.
    /// </summary>
    public double? EmaDecay { get; init; }
    /// <summary>
    /// Stochastic weight averaging (Izmailov et al. 2018; null = off): from the end of this distillation epoch (1-based)
    /// on, every epoch's weights join an equal-weight average whose BatchNorm statistics are then recomputed on training
    /// batches; the average is what gets exported. The constant learning rate is SWA's own setting.
    /// </summary>
    public int? SwaFromEpoch { get; init; }
    /// <summary>
    /// Weight w of an extra term on each multi-cell head's maximum, w * sum_T lambda_T sum_r MSE(max S_r, max T_r)
    /// (0 = the paper's loss). The frame score is the mean of the heads' maxima, and the cell-wise MSE spreads an
    /// uncertain peak over its neighbours, lowering it; this term trains the maxima themselves.
    /// </summary>
    public double MaxWeight { get; init; }
    /// <summary>
    /// Left-right mirroring (off = the paper's training): in every epoch of both phases, half of the samples, drawn
    /// by <see cref="MirrorAugmentation.IsMirrored"/>, have their frames and every teacher map mirrored together. A fixed
    /// camera's scene is not symmetric, but its objects walk and ride both ways; mirrored samples show the student objects
    /// at places and in directions its few training clips lack. The teacher maps are max-pooled in bins that are
    /// mirror-symmetric, so a mirrored map is exactly the map of the mirrored boxes.
    /// </summary>
    public bool Mirror { get; init; }
}

/// <summary>Where training stands: the next step to run. Saved with every checkpoint.</summary>
public sealed record TrainState
{
    public int Phase { get; set; } = 1;
    public int Epoch { get; set; }
    public int StepInEpoch { get; set; }
    public long GlobalStep { get; set; }
    public bool Finished { get; set; }
    public List<EpochMetrics> History { get; set; } = new();
    /// <summary>Sums of the running epoch (resumed mid-epoch).</summary>
    public EpochMetrics Running { get; set; } = new();
    /// <summary>Distillation epochs in the weight average (<see cref="TrainOptions.SwaFromEpoch"/>).</summary>
    public int AveragedEpochs { get; set; }
}

public sealed record EpochMetrics
{
    public int Phase { get; set; }
    public int Epoch { get; set; }
    public int Steps { get; set; }
    public double Reconstruction { get; set; }
    public double Distillation { get; set; }
    public double Adversarial { get; set; }
    public double Discriminator { get; set; }
    public double Seconds { get; set; }
}

public readonly record struct LossTerms(double Total, double Reconstruction, double Distillation, double Adversarial, double Discriminator);

/// <summary>One training step's report for progress bars and logs.</summary>
public sealed record StepReport(int Phase, int Epoch, int EpochsInPhase, int StepInEpoch, int StepsPerEpoch, long GlobalStep, long TotalSteps, LossTerms Loss, double StepsPerSecond);

/// <summary>
/// The paper's two-phase training. Phase 1: encoder + transposed-conv decoder, MSE to the middle frame. Phase 2: heads
/// attached, decoder dropped, L = sum_T lambda_T sum_r MSE(S_r, T_r) + alpha sum_T L_adv(D_T(S)), discriminators trained
/// in alternation on (teacher maps = real, detached student maps = fake). Checkpoints resume exactly where a kill left off.
/// </summary>
public sealed class StudentTrainer : IDisposable
{
    private readonly IDistillationData data;
    private readonly string checkpointDir;
    private readonly Adam optPhase1, optPhase2;
    private readonly Adam? optD;
    private readonly float[] inputBuf, middleBuf;
    private readonly float[][][] targetBuf;
    private readonly int batch;
    private readonly int[] sampleIds;

    public StudentConfig Config { get; }
    public TrainOptions Options { get; }
    public StudentNetwork Student { get; }
    public Decoder Decoder { get; }
    public IReadOnlyList<Discriminator> Discriminators { get; }
    /// <summary>The average of the student's weights (with <see cref="TrainOptions.EmaDecay"/> or
    /// <see cref="TrainOptions.SwaFromEpoch"/>), else null.</summary>
    public StudentNetwork? AveragedStudent { get; }
    /// <summary>Set only where there is an <see cref="AveragedStudent"/>: by its first update or a resumed checkpoint.</summary>
    private bool averageStarted;
    // Made once. With two new Scalars per tensor per step one of six averaged runs died natively after ~2500 steps
    // ("Unknown scalar type" in BatchNorm's own add_(1)); the suspected cause is a Scalar finalised by the GC while
    // libtorch still read it, which more garbage makes likelier. The checkpoint resumes such a run.
    private readonly Scalar? averageDecay, averageRate;
    /// <summary>What an export writes: the averaged weights when there are any, else the student's own.</summary>
    public StudentNetwork ExportedStudent => averageStarted ? AveragedStudent! : Student;
    /// <summary>The decay of the average <see cref="ExportedStudent"/> holds, null when it is the student's own weights.</summary>
    public double? ExportedDecay => averageStarted ? Options.EmaDecay : null;
    /// <summary>The epochs in the stochastic weight average <see cref="ExportedStudent"/> holds, null when it holds none.</summary>
    public int? ExportedAveragedEpochs => averageStarted && Options.SwaFromEpoch is not null ? State.AveragedEpochs : null;
    /// <summary>Training batches the BatchNorm statistics of the weight average are recomputed on (or all of an epoch's, if fewer).</summary>
    public const int SwaBatchNormBatches = 50;
    public TrainState State { get; private set; } = new();
    public int StepsPerEpoch { get; }
    public int TeacherCount => data.Teachers.Count;
    public int SamplesPerEpoch => StepsPerEpoch * batch;

    public StudentTrainer(StudentConfig cfg, TrainOptions options, IDistillationData data, string runDir)
    {
        Config = cfg;
        Options = options;
        this.data = data;
        checkpointDir = Path.Combine(runDir, "checkpoint");
        Vad.Torch.TorchRuntime.CheckTrainingKernels();
        torch.manual_seed(options.Seed);
        Student = new StudentNetwork(cfg);
        Decoder = new Decoder(cfg);
        int teachers = data.Teachers.Count;
        Discriminators = !options.Adversarial || teachers == 0 ? []
            : options.Mode switch
            {
                AdversarialMode.PerTeacher => Enumerable.Range(0, teachers).Select(_ => new Discriminator(cfg.HeadResolutions, 1)).ToList(),
                AdversarialMode.TwoBranch => Enumerable.Range(0, teachers).Select(_ => new Discriminator(cfg.HeadResolutions, 2)).ToList(),
                AdversarialMode.ThreeClass => [new Discriminator(cfg.HeadResolutions, teachers + 1)],
                _ => throw new ArgumentOutOfRangeException(nameof(options)),
            };
        if (options.EmaDecay is { } decay)
        {
            if (!(decay is > 0 and < 1)) throw new ArgumentException($"EMA decay must be in (0, 1), got {decay}");
            AveragedStudent = new StudentNetwork(cfg);
            averageDecay = decay;
            averageRate = 1 - decay;
        }
        if (options.SwaFromEpoch is { } from)
        {
            if (options.EmaDecay is not null) throw new ArgumentException("weight averaging: give --ema-decay or --swa-from-epoch, not both");
            if (from < 1 || from > options.Phase2Epochs) throw new ArgumentException($"SWA start epoch must be in 1..{options.Phase2Epochs} (the distillation epochs), got {from}");
            AveragedStudent = new StudentNetwork(cfg);
        }
        optPhase1 = optim.Adam(Student.EncoderParameters().Concat(Decoder.parameters()), options.LearningRate, weight_decay: options.WeightDecay);
        optPhase2 = optim.Adam(Student.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        if (Discriminators.Count > 0)
            optD = optim.Adam(Discriminators.SelectMany(d => d.parameters()), options.LearningRate, weight_decay: options.WeightDecay);
        sampleIds = Enumerable.Range(0, data.Count).Where(i => i % Math.Max(1, options.SampleStep) == 0).ToArray();
        batch = Math.Min(options.BatchSize, sampleIds.Length);
        if (batch < 1) throw new ArgumentException("no training samples");
        StepsPerEpoch = Math.Max(1, sampleIds.Length / batch);
        inputBuf = new float[batch * cfg.InputChannels * cfg.InputHeight * cfg.InputWidth];
        middleBuf = new float[batch * cfg.Channels * cfg.InputHeight * cfg.InputWidth];
        targetBuf = Enumerable.Range(0, teachers).Select(_ => cfg.HeadResolutions.Select(r => new float[batch * r * r]).ToArray()).ToArray();
    }

    public long TotalSteps => (long)(Options.Phase1Epochs + Options.Phase2Epochs) * StepsPerEpoch;

    /// <summary>The samples of step <paramref name="step"/> of an epoch: a fixed-seed permutation per (phase, epoch).</summary>
    public int[] BatchIndices(int phase, int epoch, int step)
    {
        var order = (int[])sampleIds.Clone();
        new Random(Options.Seed * 7919 + phase * 1009 + epoch).Shuffle(order);
        return order.AsSpan(step * batch, batch).ToArray();
    }

    // ------------------------------------------------------------------ steps
    public LossTerms Phase1Step(int[] samples)
    {
        using var scope = NewDisposeScope();
        Student.train();
        Decoder.train();
        data.Fill(samples, inputBuf, middleBuf, null);
        MirrorDrawnSamples(samples, mirrorMiddle: true, mirrorTargets: false);
        var x = InputTensor(samples.Length);
        var target = tensor(middleBuf.AsSpan(0, samples.Length * Config.Channels * Config.InputHeight * Config.InputWidth).ToArray(),
            new long[] { samples.Length, Config.Channels, Config.InputHeight, Config.InputWidth });
        optPhase1.zero_grad();
        var loss = nn.functional.mse_loss(Decoder.call(Student.Encode(x)), target);
        loss.backward();
        ThrowIfNotFinite(1, samples, loss, [x, target], Student.named_parameters().Concat(Decoder.named_parameters()));
        optPhase1.step();
        double l = loss.item<float>();
        return new LossTerms(l, l, 0, 0, 0);
    }

    public LossTerms Phase2Step(int[] samples)
    {
        using var scope = NewDisposeScope();
        Student.train();
        data.Fill(samples, inputBuf, null, targetBuf);
        MirrorDrawnSamples(samples, mirrorMiddle: false, mirrorTargets: true);
        var x = InputTensor(samples.Length);
        var teachers = TargetTensors(samples.Length);
        var maps = Student.call(x);

        double dLoss = 0;
        if (optD is not null)
        {
            foreach (var d in Discriminators) d.train();
            optD.zero_grad();
            var detached = maps.Select(m => m.detach()).ToArray();
            var ld = DiscriminatorLoss(detached, teachers);
            ld.backward();
            optD.step();
            dLoss = ld.item<float>();
        }

        optPhase2.zero_grad();
        var kd = DistillationLoss(maps, teachers);
        Tensor total = kd;
        double adv = 0;
        if (optD is not null)
        {
            var lg = GeneratorLoss(maps);
            total = kd + Options.Alpha * lg;
            adv = lg.item<float>();
        }
        total.backward();
        ThrowIfNotFinite(2, samples, total, [x, .. teachers.SelectMany(t => t), .. maps], Student.named_parameters());
        optPhase2.step();
        UpdateAverage();
        return new LossTerms(total.item<float>(), 0, kd.item<float>(), adv, dLoss);
    }

    /// <summary>
    /// With <see cref="TrainOptions.Mirror"/>: mirrors the drawn samples of the filled batch (for the running phase and
    /// epoch) in place. The SWA BatchNorm recomputation is not mirrored: its statistics are of the camera's own view.
    /// </summary>
    private void MirrorDrawnSamples(int[] samples, bool mirrorMiddle, bool mirrorTargets)
    {
        if (!Options.Mirror) return;
        var mirrored = samples.Select(s => MirrorAugmentation.IsMirrored(Options.Seed, State.Phase, State.Epoch, s)).ToArray();
        MirrorAugmentation.Apply(Config, mirrored, inputBuf, mirrorMiddle ? middleBuf : null, mirrorTargets ? targetBuf : null);
    }

    /// <summary>
    /// average = decay x average + (1 - decay) x weights, for parameters and floating-point buffers (BatchNorm statistics);
    /// the first distillation step starts the average at the student's weights.
    /// </summary>
    private void UpdateAverage()
    {
        if (AveragedStudent is null || Options.EmaDecay is null) return;
        using var noGrad = torch.no_grad();
        foreach (var (avg, w) in AveragedStudent.parameters().Concat(AveragedStudent.buffers()).Zip(Student.parameters().Concat(Student.buffers())))
        {
            if (averageStarted && avg.is_floating_point()) avg.mul_(averageDecay!).add_(w, alpha: averageRate!);
            else avg.copy_(w);
        }
        averageStarted = true;
    }

    /// <summary>
    /// SWA at the end of distillation epoch <paramref name="epoch"/> (0-based): average += (weights - average) / (n + 1)
    /// over the parameters, then the average's BatchNorm statistics are recomputed, because the running statistics of
    /// averaged weights are not the average of the running statistics.
    /// </summary>
    private void UpdateEpochAverage(int epoch)
    {
        var average = AveragedStudent!;
        int n = State.AveragedEpochs;
        using (var noGrad = torch.no_grad())
        using (var scope = NewDisposeScope())
            foreach (var (avg, w) in average.parameters().Zip(Student.parameters()))
            {
                if (n == 0) avg.copy_(w);
                else avg.add_((w - avg).div_(n + 1));
            }
        int batches = Math.Min(StepsPerEpoch, SwaBatchNormBatches);
        RecomputeBatchNormStatistics(average, Enumerable.Range(0, batches).Select(step =>
        {
            var samples = BatchIndices(2, epoch, step);
            data.Fill(samples, inputBuf, null, null);
            return InputTensor(samples.Length);
        }), x => average.call(x));
        State.AveragedEpochs = n + 1;
        averageStarted = true;
    }

    /// <summary>
    /// Resets every BatchNorm's running statistics in <paramref name="net"/> and sets them to the equal-weight mean of the
    /// batch statistics over <paramref name="batches"/> (momentum 1/(k+1) at batch k), by forward passes in training mode.
    /// Returns the number of batches used; the net is left in eval mode.
    /// </summary>
    public static int RecomputeBatchNormStatistics(nn.Module net, IEnumerable<Tensor> batches, Action<Tensor> forward)
    {
        var norms = net.modules().OfType<TorchSharp.Modules.BatchNorm2d>().ToList();
        if (norms.Count == 0) return 0;
        var momenta = norms.Select(b => b.momentum).ToList();
        foreach (var b in norms) b.reset_running_stats();
        int k = 0;
        net.train();
        using (var noGrad = torch.no_grad())
            foreach (var x in batches)
            {
                using var scope = NewDisposeScope();
                foreach (var b in norms) b.momentum = 1.0 / (k + 1);
                forward(x);
                x.Dispose();
                k++;
            }
        for (int i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
        net.eval();
        return k;
    }

    /// <summary>
    /// Stops before the optimiser step when the loss or a gradient is not finite, so no checkpoint ever holds NaN weights,
    /// and says where: the batch's samples, which of the step's tensors (inputs, targets, outputs) and which parameters
    /// or gradients are not finite.
    /// </summary>
    private void ThrowIfNotFinite(int phase, int[] samples, Tensor loss, Tensor[] tensors, IEnumerable<(string Name, Parameter Param)> parameters)
    {
        static bool Finite(Tensor t) => isfinite(t).all().item<bool>();
        var badGradients = parameters.Where(p => p.Param.grad is { } g && !Finite(g)).Select(p => p.Name).ToList();
        if (Finite(loss) && badGradients.Count == 0) return;
        var badParameters = parameters.Where(p => !Finite(p.Param)).Select(p => p.Name).ToList();
        var badTensors = tensors.Select((t, i) => (t, i)).Where(ti => !Finite(ti.t)).Select(ti => ti.i).ToList();
        throw new NonFiniteTrainingException(
            $"phase {phase}, global step {State.GlobalStep}: loss {loss.item<float>()}; " +
            $"non-finite step tensors (index into inputs, targets, outputs): [{string.Join(", ", badTensors)}]; " +
            $"non-finite parameters: [{string.Join(", ", badParameters)}]; non-finite gradients: [{string.Join(", ", badGradients.Take(12))}]" +
            $"{(badGradients.Count > 12 ? $" and {badGradients.Count - 12} more" : "")}; batch: {string.Join("; ", samples.Select(data.Describe))}. " +
            "The checkpoint holds the weights before this step.");
    }

    private Tensor InputTensor(int n) =>
        tensor(inputBuf.AsSpan(0, n * Config.InputChannels * Config.InputHeight * Config.InputWidth).ToArray(),
            new long[] { n, Config.InputChannels, Config.InputHeight, Config.InputWidth });

    private Tensor[][] TargetTensors(int n) => targetBuf.Select(perHead => perHead.Select((buf, h) =>
    {
        int r = Config.HeadResolutions[h];
        return tensor(buf.AsSpan(0, n * r * r).ToArray(), new long[] { n, 1, r, r });
    }).ToArray()).ToArray();

    /// <summary>sum_T lambda_T sum_r MSE(S_r, T_r) (+ the maxima term of <see cref="TrainOptions.MaxWeight"/>).</summary>
    public Tensor DistillationLoss(Tensor[] student, Tensor[][] teachers)
    {
        Tensor total = zeros(1);
        long[] cells = [2, 3];
        for (int t = 0; t < teachers.Length; t++)
        {
            double lambda = Options.Lambda is { } l ? l[t] : 1.0;
            for (int h = 0; h < student.Length; h++)
            {
                total = total + lambda * nn.functional.mse_loss(student[h], teachers[t][h]);
                // A 1x1 head's cell is its maximum: the term would only re-weight it.
                if (Options.MaxWeight > 0 && Config.HeadResolutions[h] > 1)
                    total = total + lambda * Options.MaxWeight * nn.functional.mse_loss(student[h].amax(cells), teachers[t][h].amax(cells));
            }
        }
        return total.squeeze();
    }

    private Tensor Logit(Discriminator d, Tensor[] maps)
    {
        var o = d.call(maps);
        // Two output branches merged by element-wise max (the paper's third multi-teacher variant).
        return Options.Mode == AdversarialMode.TwoBranch ? o.amax(new long[] { 1 }, keepdim: true) : o;
    }

    /// <summary>
    /// Real = each teacher's maps, fake = the student's maps. The student maps must be detached by the caller;
    /// D itself is not, so the fake term trains D (the authors' code detached it).
    /// </summary>
    public Tensor DiscriminatorLoss(Tensor[] studentDetached, Tensor[][] teachers)
    {
        if (Options.Mode == AdversarialMode.ThreeClass)
        {
            var d = Discriminators[0];
            long n = studentDetached[0].shape[0];
            Tensor loss = nn.functional.cross_entropy(d.call(studentDetached), full(n, (long)teachers.Length, dtype: ScalarType.Int64));
            for (int t = 0; t < teachers.Length; t++)
                loss = loss + nn.functional.cross_entropy(d.call(teachers[t]), full(n, (long)t, dtype: ScalarType.Int64));
            return loss;
        }
        Tensor total = zeros(1);
        for (int t = 0; t < teachers.Length; t++)
        {
            var real = Logit(Discriminators[t], teachers[t]);
            var fake = Logit(Discriminators[t], studentDetached);
            total = total + nn.functional.binary_cross_entropy_with_logits(real, ones_like(real))
                          + nn.functional.binary_cross_entropy_with_logits(fake, zeros_like(fake));
        }
        return total.squeeze();
    }

    /// <summary>The student (generator) wants every discriminator to call its maps a teacher's.</summary>
    public Tensor GeneratorLoss(Tensor[] student)
    {
        if (Options.Mode == AdversarialMode.ThreeClass)
        {
            var logits = Discriminators[0].call(student);
            long teachers = logits.shape[1] - 1;
            // -log P(any teacher class) = logsumexp(all) - logsumexp(teacher classes)
            return (logits.logsumexp(1) - logits.narrow(1, 0, teachers).logsumexp(1)).mean();
        }
        Tensor total = zeros(1);
        foreach (var d in Discriminators)
        {
            var fake = Logit(d, student);
            total = total + nn.functional.binary_cross_entropy_with_logits(fake, ones_like(fake));
        }
        return total.squeeze();
    }

    // ------------------------------------------------------------------ loop
    /// <summary>Runs (or resumes) both phases. <paramref name="onStep"/> sees every step; <paramref name="onEpoch"/> every finished epoch.</summary>
    public void Run(Action<StepReport>? onStep = null, Action<EpochMetrics>? onEpoch = null, CancellationToken ct = default)
    {
        // A finished run asked for more distillation epochs continues from where it stopped.
        if (State.Finished && State.Phase == 2 && State.Epoch < Options.Phase2Epochs) State.Finished = false;
        var sw = Stopwatch.StartNew();
        long stepsThisRun = 0;
        var epochClock = Stopwatch.StartNew();
        while (!State.Finished)
        {
            int epochs = State.Phase == 1 ? Options.Phase1Epochs : Options.Phase2Epochs;
            if (State.Phase == 2 && TeacherCount == 0 && Options.Phase2Epochs > 0)
            {
                SaveCheckpoint();
                break; // phase 2 waits for the teacher maps; a later run resumes here
            }
            if (State.Epoch >= epochs)
            {
                if (State.Phase == 1) { State.Phase = 2; State.Epoch = 0; State.StepInEpoch = 0; continue; }
                State.Finished = true;
                SaveCheckpoint();
                break;
            }
            if (Options.MaxSteps is int max && State.GlobalStep >= max) break;
            ct.ThrowIfCancellationRequested();

            var samples = BatchIndices(State.Phase, State.Epoch, State.StepInEpoch);
            var loss = State.Phase == 1 ? Phase1Step(samples) : Phase2Step(samples);
            var r = State.Running;
            r.Phase = State.Phase; r.Epoch = State.Epoch; r.Steps++;
            r.Reconstruction += loss.Reconstruction; r.Distillation += loss.Distillation;
            r.Adversarial += loss.Adversarial; r.Discriminator += loss.Discriminator;
            r.Seconds += epochClock.Elapsed.TotalSeconds;
            epochClock.Restart();
            State.StepInEpoch++;
            State.GlobalStep++;
            stepsThisRun++;
            onStep?.Invoke(new StepReport(State.Phase, State.Epoch, epochs, State.StepInEpoch, StepsPerEpoch, State.GlobalStep, TotalSteps, loss,
                stepsThisRun / Math.Max(1e-9, sw.Elapsed.TotalSeconds)));

            bool epochDone = State.StepInEpoch >= StepsPerEpoch;
            if (epochDone)
            {
                var m = r with
                {
                    Reconstruction = r.Reconstruction / r.Steps, Distillation = r.Distillation / r.Steps,
                    Adversarial = r.Adversarial / r.Steps, Discriminator = r.Discriminator / r.Steps,
                };
                State.History.Add(m);
                State.Running = new EpochMetrics();
                State.Epoch++;
                State.StepInEpoch = 0;
                if (State.Phase == 2 && Options.SwaFromEpoch is { } from && m.Epoch + 1 >= from) UpdateEpochAverage(m.Epoch);
                onEpoch?.Invoke(m);
            }
            if (epochDone || State.GlobalStep % Options.CheckpointEverySteps == 0) SaveCheckpoint();
        }
    }

    // ------------------------------------------------------------------ checkpoints
    private static readonly JsonSerializerOptions StateJson = new() { WriteIndented = true };
    /// <summary>The averaged weights in a checkpoint folder (only with <see cref="TrainOptions.EmaDecay"/> or
    /// <see cref="TrainOptions.SwaFromEpoch"/>).</summary>
    public const string AveragedStudentFile = "student_ema.bin";

    /// <summary>Writes weights, optimiser states and the position atomically (a new folder renamed over the old).</summary>
    public void SaveCheckpoint()
    {
        string tmp = checkpointDir + ".tmp", old = checkpointDir + ".old";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        Student.save(Path.Combine(tmp, "student.bin"));
        Decoder.save(Path.Combine(tmp, "decoder.bin"));
        for (int i = 0; i < Discriminators.Count; i++) Discriminators[i].save(Path.Combine(tmp, $"discriminator{i}.bin"));
        if (averageStarted) AveragedStudent!.save(Path.Combine(tmp, AveragedStudentFile));
        optPhase1.save_state_dict(Path.Combine(tmp, "adam_phase1.bin"));
        optPhase2.save_state_dict(Path.Combine(tmp, "adam_phase2.bin"));
        optD?.save_state_dict(Path.Combine(tmp, "adam_discriminators.bin"));
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(State, StateJson));
        File.WriteAllText(Path.Combine(tmp, "config.json"), Config.ToJson());
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(checkpointDir)) Directory.Move(checkpointDir, old);
        Directory.Move(tmp, checkpointDir);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    /// <summary>Loads the last checkpoint of the run folder if there is one. Returns whether it resumed.</summary>
    public bool TryResume()
    {
        string dir = Directory.Exists(checkpointDir) ? checkpointDir
            : Directory.Exists(checkpointDir + ".old") ? checkpointDir + ".old" : "";
        if (dir == "" || !File.Exists(Path.Combine(dir, "state.json"))) return false;
        var saved = StudentConfig.FromJson(File.ReadAllText(Path.Combine(dir, "config.json")));
        if (saved.ToJson() != Config.ToJson())
            throw new InvalidOperationException($"checkpoint {dir} was made with a different student config; use a new run folder");
        Student.load(Path.Combine(dir, "student.bin"));
        Decoder.load(Path.Combine(dir, "decoder.bin"));
        // A phase-1 checkpoint made before the teacher maps existed has no discriminators yet: they start fresh.
        for (int i = 0; i < Discriminators.Count; i++)
            if (File.Exists(Path.Combine(dir, $"discriminator{i}.bin"))) Discriminators[i].load(Path.Combine(dir, $"discriminator{i}.bin"));
        // A run given --ema-decay only when it is continued starts its average at its first continued step (and one given
        // --swa-from-epoch at its first continued epoch end, if that is past the start).
        if (AveragedStudent is not null && File.Exists(Path.Combine(dir, AveragedStudentFile)))
        {
            AveragedStudent.load(Path.Combine(dir, AveragedStudentFile));
            averageStarted = true;
        }
        optPhase1.load_state_dict(Path.Combine(dir, "adam_phase1.bin"));
        optPhase2.load_state_dict(Path.Combine(dir, "adam_phase2.bin"));
        if (optD is not null && File.Exists(Path.Combine(dir, "adam_discriminators.bin")))
            optD.load_state_dict(Path.Combine(dir, "adam_discriminators.bin"));
        State = JsonSerializer.Deserialize<TrainState>(File.ReadAllText(Path.Combine(dir, "state.json")), StateJson)
            ?? throw new InvalidDataException($"{dir}/state.json is empty");
        return true;
    }

    public void Dispose()
    {
        Student.Dispose();
        AveragedStudent?.Dispose();
        averageDecay?.Dispose();
        averageRate?.Dispose();
        Decoder.Dispose();
        foreach (var d in Discriminators) d.Dispose();
        optPhase1.Dispose();
        optPhase2.Dispose();
        optD?.Dispose();
    }
}

/// <summary>A training step produced a NaN or infinite loss or gradient; thrown before the optimiser applies it.</summary>
public sealed class NonFiniteTrainingException(string message) : Exception(message);
