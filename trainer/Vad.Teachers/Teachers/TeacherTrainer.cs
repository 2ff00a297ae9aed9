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

/// <summary>
/// Trains both teachers on normal training clips only. Fitting clips: all but <see cref="TeacherConfig.CalibrationClips"/>;
/// the calibration clips give each raw component's normal mean/std (z-normalisation of the object scores).
/// </summary>
public sealed class TeacherTrainer
{
    public const int WindowHalf = 9;
    private readonly TeacherConfig _cfg;
    private readonly Random _rng;

    public TeacherTrainer(TeacherConfig cfg)
    {
        _cfg = cfg;
        _rng = new Random(cfg.Seed);
        Vad.Torch.TorchRuntime.CheckTrainingKernels();
    }

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
        if (t1From is not null)
        {
            // T1 kept from a trained model directory; only T2 is (re)trained.
            models.LoadT1(t1From);
        }
        else
        {
            TrainAutoEncoders(models, fit, ctx);
            TrainClassifiers(models, fit, ctx);
        }
        TrainMultiTask(models, fit, ctx);
        models.Eval();
        models.Config = _cfg with { Stats = Calibrate(models, cal, ctx) };
        return models;
    }

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
    /// Runs <paramref name="step"/> on minibatches of indices into <paramref name="count"/> objects: each epoch a new
    /// shuffled order cut into batches of <paramref name="batch"/> (the last one shorter), one progress task for all.
    /// </summary>
    private void ForEachMinibatch(ProgressContext ctx, string description, int epochs, int count, int batch, Action<int[]> step)
    {
        int steps = (count + batch - 1) / batch;
        var task = ctx.AddTask(description, maxValue: epochs * steps);
        for (int e = 0; e < epochs; e++)
        {
            var order = Shuffled(count);
            for (int s = 0; s < steps; s++)
            {
                step(order.Skip(s * batch).Take(batch).ToArray());
                task.Increment(1);
            }
        }
    }

    private void TrainAutoEncoders(TeacherModels m, List<TrainingObject> fit, ProgressContext ctx)
    {
        var opt = torch.optim.Adam(m.AppAe.parameters().Concat(m.MotionAe.parameters()), _cfg.LearningRate);
        int bs = _cfg.BatchSize;
        m.AppAe.train(); m.MotionAe.train();
        ForEachMinibatch(ctx, "T1 auto-encoders", _cfg.AutoEncoderEpochs, fit.Count, bs, sel =>
        {
            var flip = sel.Select(_ => _rng.Next(2) == 1).ToArray();
            using var scope = torch.NewDisposeScope();
            var a = torch.tensor(AppBatch(fit, sel, flip), new long[] { sel.Length, 1, A, A });
            var mo = torch.tensor(MotionBatch(fit, sel, flip), new long[] { sel.Length, 2, M, M });
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
        ForEachMinibatch(ctx, "T1 classifiers (normal vs pseudo-abnormal)", _cfg.ClassifierEpochs, fit.Count, half, sel =>
        {
            var flip = sel.Select(_ => _rng.Next(2) == 1).ToArray();
            var (pa, pm) = PseudoAnomalies(fit, sel.Length);
            using var scope = torch.NewDisposeScope();
            var a = torch.cat(new[] { torch.tensor(AppBatch(fit, sel, flip), new long[] { sel.Length, 1, A, A }), torch.tensor(pa, new long[] { sel.Length, 1, A, A }) }, 0);
            var mo = torch.cat(new[] { torch.tensor(MotionBatch(fit, sel, flip), new long[] { sel.Length, 2, M, M }), torch.tensor(pm, new long[] { sel.Length, 2, M, M }) }, 0);
            var y = torch.cat(new[] { torch.zeros(sel.Length), torch.ones(sel.Length) }, 0);
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
        ForEachMinibatch(ctx, "T2 multi-task (arrow of time, irregularity, middle box)", _cfg.MultiTaskEpochs, fit.Count, q, sel =>
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
        ForEachMinibatch(ctx, "T2 distillation (random target)", _cfg.DistillationEpochs, fit.Count, bs, sel =>
        {
            var flip = sel.Select(_ => _rng.Next(2) == 1).ToArray();
            using var scope = torch.NewDisposeScope();
            var loss = d.forward(torch.tensor(AppBatch(fit, sel, flip), new long[] { sel.Length, 1, A, A })).mean();
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
