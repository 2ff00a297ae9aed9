using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using OpenCvSharp;
using Spectre.Console;
using TorchSharp;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Objects;
using static TorchSharp.torch;

namespace Vad.Teachers.Teachers;

/// <summary>A normal training object: appearance crop, motion crop and a +-9 frame window of stack crops.</summary>
public sealed record TrainingObject(string Clip, byte[] App, float[] Motion, byte[] Window);

/// <summary>Where a killed training resumes: the phase (0 T1 auto-encoders, 1 T1 classifiers, 2 T2 multi-task) and how many
/// of its epochs are done, with what identifies the training it belongs to.</summary>
public sealed record TeacherCheckpoint(int Phase, int EpochsDone, string Config, int Objects, string ObjectsSha256, string? T1From);

/// <summary>
/// Trains both teachers on normal training clips only. Fitting clips: all but <see cref="TeacherConfig.CalibrationClips"/>;
/// the calibration clips give each raw component's normal mean/std (z-normalisation of the object scores).
/// </summary>
public sealed class TeacherTrainer
{
    public const int WindowHalf = 9;
    private const int AutoEncoderPhase = 0, ClassifierPhase = 1, MultiTaskPhase = 2;
    private static readonly string[] PhaseNames = ["T1 auto-encoders", "T1 classifiers", "T2 multi-task"];
    private readonly TeacherConfig _cfg;
    private readonly Random _rng;
    private readonly string? _checkpointDir;
    private TeacherModels? _models;
    private TeacherCheckpoint? _position;
    private int _checkpointsWritten;
    private string? _resumedDir;

    /// <summary>With <paramref name="checkpointDir"/>, every finished epoch is checkpointed there (weights, optimiser,
    /// position) and a training that finds a checkpoint of the same configuration and objects resumes from it, giving the
    /// weights an uninterrupted training gives: the finished epochs' random draws are replayed, not re-trained.</summary>
    public TeacherTrainer(TeacherConfig cfg, string? checkpointDir = null)
    {
        _cfg = cfg;
        _rng = new Random(cfg.Seed);
        _checkpointDir = checkpointDir;
        Vad.Torch.TorchRuntime.CheckTrainingKernels();
    }

    /// <summary>The checkpoint this training resumed from, null when it started afresh.</summary>
    public TeacherCheckpoint? ResumedFrom { get; private set; }

    /// <summary>Called as soon as a checkpoint is resumed, before any epoch is replayed (progress output).</summary>
    public Action<TeacherCheckpoint>? OnResumed { get; init; }

    /// <summary>Tests: stop (as a kill would) right after this many checkpoints were written.</summary>
    public int? StopAfterCheckpoints { get; init; }

    public static string PhaseName(int phase) => PhaseNames[phase];

    public static List<TrainingObject> CollectObjects(IReadOnlyList<Clip> clips, IObjectDetector detector, int frameStride, int stackMinSide, ProgressContext? ctx,
        bool maskNeighbours = false)
    {
        var background = maskNeighbours ? NeighbourBackground(detector) : null;
        var result = new List<TrainingObject>();
        var task = ctx?.AddTask("objects (decode, detect, flow)", maxValue: clips.Count);
        foreach (var clip in clips)
        {
            var frames = Clips.LoadGray(clip);
            try
            {
                using var motion = ClipMotion.Compute(frames);
                for (int i = 0; i < frames.Length; i += frameStride)
                {
                    var dets = detector.Detect(frames[i]);
                    var boxes = dets.Select(d => d.Box).ToList();
                    for (int k = 0; k < dets.Count; k++)
                    {
                        var o = dets[k];
                        if (ObjectCrops.IsTruncated(o.Box, frames[i].Width, frames[i].Height)) continue;
                        var app = ObjectCrops.AppearanceBytes(frames[i], o.Box, InputSizes.Appearance);
                        var mot = new float[2 * InputSizes.Motion * InputSizes.Motion];
                        ObjectCrops.MotionInto(motion, i, o.Box, mot);
                        var mask = background is null ? null : NeighbourMask.For(background, boxes, o.Box);
                        var win = ObjectCrops.StackBytes(frames, i, o.Box, WindowHalf, 1, InputSizes.Stack, stackMinSide, mask);
                        result.Add(new TrainingObject(clip.Name, app, mot, win));
                    }
                }
            }
            finally { foreach (var f in frames) f.Dispose(); }
            task?.Increment(1);
        }
        return result;
    }

    /// <summary>The background <see cref="TeacherConfig.StackMaskNeighbours"/> paints with: the default detector's.</summary>
    public static Mat NeighbourBackground(IObjectDetector detector) =>
        (detector as BackgroundSubtractionDetector)?.Background
        ?? throw new InvalidOperationException($"masking T2's neighbours needs the background-subtraction detector's background; detector '{detector.Name}' has none");

    public TeacherModels Train(List<TrainingObject> all, ProgressContext ctx, string? t1From = null)
    {
        var fit = all.Where(o => !_cfg.CalibrationClips.Contains(o.Clip)).ToList();
        var cal = all.Where(o => _cfg.CalibrationClips.Contains(o.Clip)).ToList();
        if (fit.Count == 0 || cal.Count == 0) throw new InvalidOperationException($"need objects in both fitting ({fit.Count}) and calibration ({cal.Count}) clips");
        var models = new TeacherModels(_cfg);
        _models = models;
        if (t1From is not null)
        {
            // T1 kept from a trained model directory; only T2 is (re)trained.
            models.LoadT1(t1From);
        }
        if (_checkpointDir is not null)
        {
            _position = new TeacherCheckpoint(-1, 0, JsonSerializer.Serialize(_cfg, TeacherModels.Json), all.Count, ObjectsSha256(all),
                t1From is null ? null : Path.GetFullPath(t1From));
            ResumedFrom = TryResume(models);
            if (ResumedFrom is { } resumed) OnResumed?.Invoke(resumed);
        }
        if (t1From is null)
        {
            TrainAutoEncoders(models, fit, ctx);
            TrainClassifiers(models, fit, ctx);
        }
        TrainMultiTask(models, fit, ctx);
        models.Eval();
        models.Config = _cfg with { Stats = Calibrate(models, cal, ctx) };
        return models;
    }

    /// <summary>sha256 over the training objects (clip, crops, stack window): a checkpoint resumes only the same objects.</summary>
    public static string ObjectsSha256(IReadOnlyList<TrainingObject> objects)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var o in objects)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(o.Clip));
            hash.AppendData(o.App);
            hash.AppendData(MemoryMarshal.AsBytes(o.Motion.AsSpan()));
            hash.AppendData(o.Window);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private TeacherCheckpoint? TryResume(TeacherModels models)
    {
        string dir = Directory.Exists(_checkpointDir) ? _checkpointDir! : Directory.Exists(_checkpointDir + ".old") ? _checkpointDir + ".old" : "";
        string statePath = Path.Combine(dir, "state.json");
        if (dir == "" || !File.Exists(statePath)) return null;
        var saved = JsonSerializer.Deserialize<TeacherCheckpoint>(File.ReadAllText(statePath), TeacherModels.Json)
            ?? throw new InvalidDataException($"{statePath} is empty");
        var differs = new List<string>();
        if (saved.Config != _position!.Config) differs.Add("configuration");
        if (saved.Objects != _position.Objects || saved.ObjectsSha256 != _position.ObjectsSha256) differs.Add($"training objects ({saved.Objects} then, {_position.Objects} now)");
        if (saved.T1From != _position.T1From) differs.Add($"--t1-from ({saved.T1From ?? "none"} then, {_position.T1From ?? "none"} now)");
        if (differs.Count > 0)
            throw new InvalidOperationException($"the checkpoint in {dir} belongs to another training (its {string.Join(", ", differs)} differ): delete it or train into another --out");
        models.LoadWeights(dir);
        _resumedDir = dir;
        return saved;
    }

    /// <summary>Writes the weights, the phase's optimiser state and the position atomically (a new folder renamed over the old).</summary>
    private void SaveCheckpoint(int phase, int epochsDone, TorchSharp.Modules.Adam? opt)
    {
        if (_checkpointDir is null) return;
        string dir = _checkpointDir, tmp = dir + ".tmp", old = dir + ".old";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        _models!.SaveWeights(tmp);
        opt?.save_state_dict(Path.Combine(tmp, OptimizerFile));
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(_position! with { Phase = phase, EpochsDone = epochsDone }, TeacherModels.Json));
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(dir)) Directory.Move(dir, old);
        Directory.Move(tmp, dir);
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (++_checkpointsWritten == StopAfterCheckpoints) throw new OperationCanceledException($"stopped after {_checkpointsWritten} checkpoints");
    }

    private const string OptimizerFile = "adam.bin";

    private const int A = InputSizes.Appearance, M = InputSizes.Motion, S = InputSizes.Stack, F = InputSizes.StackFrames;

    private int[] Shuffled(int n)
    {
        var idx = Enumerable.Range(0, n).ToArray();
        _rng.Shuffle(idx);
        return idx;
    }

    private static float[] AppBatch(IReadOnlyList<TrainingObject> objs, int[] sel, bool[]? flip)
    {
        var x = new float[sel.Length * A * A];
        for (int b = 0; b < sel.Length; b++)
        {
            var px = objs[sel[b]].App;
            bool f = flip?[b] ?? false;
            for (int y = 0; y < A; y++)
                for (int c = 0; c < A; c++)
                    x[b * A * A + y * A + c] = px[y * A + (f ? A - 1 - c : c)] / 255f;
        }
        return x;
    }

    private static float[] MotionBatch(IReadOnlyList<TrainingObject> objs, int[] sel, bool[]? flip)
    {
        int n = 2 * M * M;
        var x = new float[sel.Length * n];
        for (int b = 0; b < sel.Length; b++)
        {
            var m = objs[sel[b]].Motion;
            bool f = flip?[b] ?? false;
            for (int ch = 0; ch < 2; ch++)
                for (int y = 0; y < M; y++)
                    for (int c = 0; c < M; c++)
                        x[b * n + ch * M * M + y * M + c] = m[ch * M * M + y * M + (f ? M - 1 - c : c)];
        }
        return x;
    }

    /// <summary>Stack of frames (middle + o*step, o = -3..3) from the window; reversed order when asked.</summary>
    private static void StackInto(TrainingObject o, int step, bool reverse, Span<float> dst)
    {
        int n = S * S;
        for (int k = 0; k < F; k++)
        {
            int off = k - F / 2;
            int w = WindowHalf + (reverse ? -off : off) * step;
            var src = o.Window.AsSpan(w * n, n);
            for (int p = 0; p < n; p++) dst[k * n + p] = src[p] / 255f;
        }
    }

    /// <summary>
    /// An irregular stack as in the paper's motion-irregularity task: consecutive offsets advance by 1 or 2 frames at
    /// random (at least one skip), centred on the object's frame, in either direction.
    /// </summary>
    private void IrregularStackInto(TrainingObject o, Span<float> dst)
    {
        var steps = new int[F - 1];
        do { for (int k = 0; k < steps.Length; k++) steps[k] = 1 + _rng.Next(2); } while (steps.All(v => v == 1));
        var offsets = new int[F];
        for (int k = 1; k < F; k++) offsets[k] = offsets[k - 1] + steps[k - 1];
        int centre = offsets[F / 2];
        bool reverse = _rng.Next(2) == 1;
        int n = S * S;
        for (int k = 0; k < F; k++)
        {
            int off = offsets[reverse ? F - 1 - k : k] - centre;
            var src = o.Window.AsSpan((WindowHalf + off) * n, n);
            for (int p = 0; p < n; p++) dst[k * n + p] = src[p] / 255f;
        }
    }

    /// <summary>
    /// Runs minibatches of indices into <paramref name="count"/> objects: each epoch a new shuffled order cut into batches
    /// of <paramref name="batch"/> (the last one shorter), one progress task for all. <paramref name="prepare"/> makes a
    /// batch (every random draw happens there), <paramref name="apply"/> trains on it. A phase (0-2) is checkpointed after
    /// each epoch; epochs a resumed checkpoint already holds are only prepared, so the draws after them are the same.
    /// </summary>
    private void ForEachMinibatch<TBatch>(ProgressContext ctx, string description, int phase, TorchSharp.Modules.Adam? opt, int epochs, int count, int batch,
        Func<int[], TBatch> prepare, Action<TBatch> apply)
    {
        int steps = (count + batch - 1) / batch;
        var task = ctx.AddTask(description, maxValue: epochs * steps);
        var resumed = phase >= 0 ? ResumedFrom : null;
        int done = resumed is null ? 0 : resumed.Phase > phase ? epochs : resumed.Phase == phase ? Math.Min(resumed.EpochsDone, epochs) : 0;
        if (opt is not null && resumed?.Phase == phase && done is > 0 && done < epochs) opt.load_state_dict(Path.Combine(_resumedDir!, OptimizerFile));
        for (int e = 0; e < epochs; e++)
        {
            var order = Shuffled(count);
            for (int s = 0; s < steps; s++)
            {
                var prepared = prepare(order.Skip(s * batch).Take(batch).ToArray());
                if (e >= done) apply(prepared);
                task.Increment(1);
            }
            if (e >= done && phase >= 0) SaveCheckpoint(phase, e + 1, opt);
        }
    }

    private void TrainAutoEncoders(TeacherModels m, List<TrainingObject> fit, ProgressContext ctx)
    {
        var opt = torch.optim.Adam(m.AppAe.parameters().Concat(m.MotionAe.parameters()), _cfg.LearningRate);
        int bs = _cfg.BatchSize;
        m.AppAe.train(); m.MotionAe.train();
        ForEachMinibatch(ctx, "T1 auto-encoders", AutoEncoderPhase, opt, _cfg.AutoEncoderEpochs, fit.Count, bs, sel =>
        {
            var flip = sel.Select(_ => _rng.Next(2) == 1).ToArray();
            return (sel.Length, App: AppBatch(fit, sel, flip), Motion: MotionBatch(fit, sel, flip));
        }, p =>
        {
            using var scope = torch.NewDisposeScope();
            var a = torch.tensor(p.App, new long[] { p.Length, 1, A, A });
            var mo = torch.tensor(p.Motion, new long[] { p.Length, 2, M, M });
            var loss = torch.nn.functional.mse_loss(m.AppAe.forward(a), a) + torch.nn.functional.mse_loss(m.MotionAe.forward(mo), mo);
            opt.zero_grad();
            loss.backward();
            opt.step();
        });
        m.AppAe.eval(); m.MotionAe.eval();
    }

    /// <summary>
    /// Appearance pseudo-anomalies: another object's crop upside down, squashed/stretched horizontally (x2), or the
    /// left half of one object joined to the right half of another. Motion pseudo-anomalies: sped-up motion (magnitudes
    /// x2..x4, what skipping frames does to the flow) or past and future motion of two different objects.
    /// </summary>
    private (float[] App, float[] Motion) PseudoAnomalies(List<TrainingObject> fit, int count)
    {
        var app = new float[count * A * A];
        var mot = new float[count * 2 * M * M];
        for (int b = 0; b < count; b++)
        {
            var o1 = fit[_rng.Next(fit.Count)].App;
            var o2 = fit[_rng.Next(fit.Count)].App;
            int kind = _rng.Next(3);
            double factor = _rng.Next(2) == 0 ? 2.0 : 0.5;
            for (int y = 0; y < A; y++)
                for (int x = 0; x < A; x++)
                {
                    byte v = kind switch
                    {
                        0 => o1[(A - 1 - y) * A + x],
                        1 => o1[y * A + Math.Clamp((int)((x - A / 2.0) / factor + A / 2.0), 0, A - 1)],
                        _ => x < A / 2 ? o1[y * A + x] : o2[y * A + x],
                    };
                    app[b * A * A + y * A + x] = v / 255f;
                }
            var m1 = fit[_rng.Next(fit.Count)].Motion;
            var m2 = fit[_rng.Next(fit.Count)].Motion;
            int mk = _rng.Next(3);
            float speed = 2f + 2f * (float)_rng.NextDouble();
            int n = M * M;
            for (int p = 0; p < 2 * n; p++)
                mot[b * 2 * n + p] = mk < 2 ? m1[p] * speed : (p < n ? m1[p] : m2[p]);
        }
        return (app, mot);
    }

    private void TrainClassifiers(TeacherModels m, List<TrainingObject> fit, ProgressContext ctx)
    {
        var opt = torch.optim.Adam(m.AppClassifier.parameters().Concat(m.MotionClassifier.parameters()), _cfg.LearningRate);
        int half = _cfg.BatchSize / 2;
        m.AppClassifier.train(); m.MotionClassifier.train();
        ForEachMinibatch(ctx, "T1 classifiers (normal vs pseudo-abnormal)", ClassifierPhase, opt, _cfg.ClassifierEpochs, fit.Count, half, sel =>
        {
            var flip = sel.Select(_ => _rng.Next(2) == 1).ToArray();
            var (pa, pm) = PseudoAnomalies(fit, sel.Length);
            return (sel.Length, App: AppBatch(fit, sel, flip), Motion: MotionBatch(fit, sel, flip), PseudoApp: pa, PseudoMotion: pm);
        }, p =>
        {
            int n = p.Length;
            using var scope = torch.NewDisposeScope();
            var a = torch.cat(new[] { torch.tensor(p.App, new long[] { n, 1, A, A }), torch.tensor(p.PseudoApp, new long[] { n, 1, A, A }) }, 0);
            var mo = torch.cat(new[] { torch.tensor(p.Motion, new long[] { n, 2, M, M }), torch.tensor(p.PseudoMotion, new long[] { n, 2, M, M }) }, 0);
            var y = torch.cat(new[] { torch.zeros(n), torch.ones(n) }, 0);
            Tensor ar, mr;
            using (torch.no_grad()) { ar = m.AppAe.forward(a); mr = m.MotionAe.forward(mo); }
            var loss = torch.nn.functional.binary_cross_entropy_with_logits(m.AppClassifier.forward(TeacherModels.ClassifierInput(a, ar)), y)
                     + torch.nn.functional.binary_cross_entropy_with_logits(m.MotionClassifier.forward(TeacherModels.ClassifierInput(mo, mr)), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
        });
        m.AppClassifier.eval(); m.MotionClassifier.eval();
    }

    /// <summary>
    /// T2's proxy tasks on normal objects: arrow of time (forward vs reversed stack), motion irregularity (consecutive
    /// frames vs frames skipped with step 2 or 3, either direction) and middle-box prediction (L1).
    /// </summary>
    private void TrainMultiTask(TeacherModels m, List<TrainingObject> fit, ProgressContext ctx)
    {
        var opt = torch.optim.Adam(m.MultiTask.parameters(), _cfg.LearningRate);
        int q = _cfg.BatchSize / 2;
        m.MultiTask.train();
        int n = F * S * S;
        ForEachMinibatch(ctx, "T2 multi-task (arrow of time, irregularity, middle box)", MultiTaskPhase, opt, _cfg.MultiTaskEpochs, fit.Count, q, sel =>
        {
            int b = sel.Length;
            // rows: [0,b) forward consecutive, [b,2b) reversed consecutive, [2b,3b) skipped (random direction)
            var x = new float[3 * b * n];
            var aot = new float[2 * b];
            var irr = new float[3 * b];
            for (int k = 0; k < b; k++)
            {
                var o = fit[sel[k]];
                StackInto(o, 1, false, x.AsSpan(k * n, n));
                StackInto(o, 1, true, x.AsSpan((b + k) * n, n));
                if (_rng.Next(2) == 0) StackInto(o, 2 + _rng.Next(2), _rng.Next(2) == 1, x.AsSpan((2 * b + k) * n, n));
                else IrregularStackInto(o, x.AsSpan((2 * b + k) * n, n));
                aot[b + k] = 1f;
                irr[2 * b + k] = 1f;
            }
            return (Length: b, Stacks: x, ArrowOfTime: aot, Irregularity: irr);
        }, p =>
        {
            int b = p.Length;
            var (x, aot, irr) = (p.Stacks, p.ArrowOfTime, p.Irregularity);
            using var scope = torch.NewDisposeScope();
            var stack = torch.tensor(x, new long[] { 3 * b, F, S, S });
            var (aotL, irrL) = m.MultiTask.forward(stack.unsqueeze(1));
            var fwd = stack.narrow(0, 0, b);
            var (nb, mid) = TeacherModels.SplitStack(fwd);
            var pred = m.MultiTask.PredictMiddle(nb);
            var loss = torch.nn.functional.binary_cross_entropy_with_logits(aotL.narrow(0, 0, 2 * b), torch.tensor(aot))
                     + torch.nn.functional.binary_cross_entropy_with_logits(irrL, torch.tensor(irr))
                     + torch.nn.functional.l1_loss(pred, mid);
            opt.zero_grad();
            loss.backward();
            opt.step();
        });
        m.MultiTask.eval();
    }

    /// <summary>
    /// T2's distillation task (<see cref="Networks.RandomTargetDistillation"/>): the target's feature normalisation from the
    /// fitting objects' appearance crops, then the predictor trained to match it on them (flipped left-right at random, as
    /// the auto-encoders see them) for <see cref="TeacherConfig.DistillationEpochs"/>; the other networks are not touched.
    /// </summary>
    public void TrainDistillation(TeacherModels m, List<TrainingObject> fit, ProgressContext ctx)
    {
        var d = m.Distillation ?? throw new InvalidOperationException("these teachers have no distillation task (t2_distillation off)");
        using (var scope = torch.NewDisposeScope())
            d.FitTargetNormalisation(torch.tensor(AppBatch(fit, Enumerable.Range(0, fit.Count).ToArray(), null), new long[] { fit.Count, 1, A, A }));
        var opt = torch.optim.Adam(d.PredictorParameters(), _cfg.LearningRate);
        int bs = _cfg.BatchSize;
        d.train();
        ForEachMinibatch(ctx, "T2 distillation (random target)", phase: -1, opt: null, _cfg.DistillationEpochs, fit.Count, bs, sel =>
        {
            var flip = sel.Select(_ => _rng.Next(2) == 1).ToArray();
            return (sel.Length, App: AppBatch(fit, sel, flip));
        }, p =>
        {
            using var scope = torch.NewDisposeScope();
            var loss = d.forward(torch.tensor(p.App, new long[] { p.Length, 1, A, A })).mean();
            opt.zero_grad();
            loss.backward();
            opt.step();
        });
        d.eval();
    }

    /// <summary>Normal statistics of one component over the calibration objects (the others' are left as they are).</summary>
    public static ComponentStats CalibrateComponent(TeacherModels m, List<TrainingObject> cal, string component, ProgressContext ctx) =>
        Calibrate(m, cal, ctx)[component];

    private static Dictionary<string, ComponentStats> Calibrate(TeacherModels m, List<TrainingObject> cal, ProgressContext ctx)
    {
        var task = ctx.AddTask("calibration (normal held-out clips)", maxValue: cal.Count);
        var acc = TeacherModels.AllComponents.ToDictionary(c => c, _ => new List<double>());
        int bs = 128;
        for (int s = 0; s < cal.Count; s += bs)
        {
            var sel = Enumerable.Range(s, Math.Min(bs, cal.Count - s)).ToArray();
            var stacks = new float[sel.Length * F * S * S];
            for (int k = 0; k < sel.Length; k++) StackInto(cal[sel[k]], 1, false, stacks.AsSpan(k * F * S * S, F * S * S));
            var raw = m.Raw(sel.Length, AppBatch(cal, sel, null), MotionBatch(cal, sel, null), stacks);
            foreach (var (c, list) in acc) list.AddRange(TeacherModels.Component(raw, c).Select(v => (double)v));
            task.Increment(sel.Length);
        }
        // Speed needs the detector's perspective model, which the training objects are not scored with: the selection
        // calibrates it on the held-out objects (TeacherValidation.WithMissingStats).
        return acc.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv =>
        {
            double mean = kv.Value.Average();
            double sd = Math.Sqrt(kv.Value.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, kv.Value.Count - 1));
            return new ComponentStats(mean, sd);
        });
    }
}
