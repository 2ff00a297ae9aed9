using Vad.Core.Evaluation;
using Vad.Core.Frames;
using OpenCvSharp;
using Spectre.Console;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Objects;

namespace Vad.Teachers.Teachers;

/// <summary>A scored stretch of validation footage, a label per frame: 0 normal, 1 abnormal, null context (not counted).</summary>
public sealed record ValidationSequence(FrameObjects[] Frames, int?[] Labels)
{
    public static ValidationSequence Whole(FrameObjects[] frames, int label) => new(frames, [.. frames.Select(_ => (int?)label)]);
}

/// <summary>
/// Model selection on training data only: the held-out normal calibration clips (negatives) against the same clips
/// played faster, every <see cref="TeacherConfig.ValidationDropEvery"/>-th frame dropped (positives: objects moving
/// faster and irregularly, the "sped-up" pseudo-anomaly of both papers). 2x speed saturated every rule near AUC 1 and
/// 1.5x left the top dozen rules within 0.004 AUC (no real choice), so the default is 1.25x (drop every 5th frame). Each candidate combination rule (scale x non-empty subset of a teacher's components) gets the
/// frame-level AUC of its frame scores (max over objects); the best rule per teacher is kept. With
/// <see cref="TeacherConfig.InContextValidation"/> the positives are instead the clips with one object at a time sped up
/// or turned upside down (<see cref="InContextPseudoAnomalies"/>).
/// </summary>
public static class TeacherValidation
{
    /// <summary>Candidate rules: each scale x each non-empty subset of the components, or (<paramref name="allComponents"/>,
    /// the paper's combination) each scale with every component.</summary>
    public static IEnumerable<ScoreRule> Candidates(string[] components, bool allComponents = false)
    {
        foreach (var scale in new[] { "probability", "z" })
            for (int mask = allComponents ? (1 << components.Length) - 1 : 1; mask < 1 << components.Length; mask++)
                yield return new ScoreRule(scale, components.Where((_, i) => (mask >> i & 1) == 1).ToArray());
    }

    public static TeacherConfig Select(TeacherModels models, IObjectDetector detector, IReadOnlyList<Clip> clips, ProgressContext? ctx)
    {
        // Rules are chosen on unsmoothed scores of the objects away from the frame edge (all objects when
        // ScoreTruncatedObjects), then per teacher the smoothing and whether to score edge objects too. Group windows
        // enter the rule choice uncalibrated (the calibration clips hold almost none) and the smoothing choice as scored.
        var unsmoothed = models.Config with
        {
            T1Smoothing = TrackSmoothing.None, T2Smoothing = TrackSmoothing.None, ScoreTruncatedObjects = true, TruncatedScoredBy = [],
        };
        var saved = models.Config;
        models.Config = unsmoothed;
        var scorer = new TeacherScorer(models, detector);
        bool inContext = saved.Validation == TeacherConfig.InContextValidation;
        var sequences = new List<ValidationSequence>();
        var task = ctx?.AddTask(inContext ? "validation (held-out clips vs in-context pseudo-anomalies)" : "validation (held-out clips vs sped-up copies)", maxValue: clips.Count);
        using var wholeObjects = inContext ? WholeObjectDetector(detector) : null;
        try
        {
            foreach (var clip in clips)
            {
                var all = Clips.LoadGray(clip);
                try
                {
                    sequences.Add(ValidationSequence.Whole(scorer.ScoreFrames(all, true, true), 0));
                    if (inContext)
                    {
                        foreach (var (seg, _) in InContextPseudoAnomalies.MakeEveryKind(clip.Name, all, wholeObjects!, saved.InContextSegmentsPerClip, saved.InContextEdgeObjects,
                                     InContextPseudoAnomalies.ParseKinds(saved.InContextKinds)))
                            using (seg)
                                sequences.Add(new ValidationSequence(scorer.ScoreFrames(seg.Frames, true, true), [.. seg.Abnormal.Select(a => a == true ? 1 : (int?)null)]));
                    }
                    else
                    {
                        int drop = models.Config.ValidationDropEvery;
                        var fast = PlaybackSpeed.Apply(all, drop / (drop - 1.0)); // drops exactly every drop-th frame
                        sequences.Add(ValidationSequence.Whole(scorer.ScoreFrames(fast, true, true), 1));
                    }
                }
                finally { foreach (var f in all) f.Dispose(); }
                task?.Increment(1);
            }
        }
        finally { models.Config = saved; }
        bool allObjects = saved.ScoreTruncatedObjects;
        var frames = sequences.SelectMany(s => s.Frames.Select((fo, i) => (fo, Label: s.Labels[i])))
            .Where(f => f.Label is not null)
            .Select(f => (Raw: f.fo.Raw.Where((_, k) => allObjects || !f.fo.Truncated[k]).ToArray(), Label: f.Label!.Value)).ToList();
        var labels = frames.Select(f => f.Label).ToArray();
        models.Config = models.Config with { Stats = WithMissingStats(models.Config.Stats, frames.Where(f => f.Label == 0).SelectMany(f => f.Raw)) };
        // Edge objects' own statistics (normal held-out objects touching the frame edge), used when they are scored.
        var normalEdgeObjects = sequences.SelectMany(s => s.Frames.Where((_, i) => s.Labels[i] == 0))
            .SelectMany(fo => fo.Raw.Where((_, k) => fo.Truncated[k])).ToList();
        models.Config = models.Config with
        {
            // With ScoreTruncatedObjects all objects are one population, as before edge statistics existed.
            TruncatedStats = !allObjects && normalEdgeObjects.Count >= 20 ? WithMissingStats([], normalEdgeObjects) : [],
        };
        var aucs = new Dictionary<string, double>();
        ScoreRule Best(string[] comps, bool allComponents = false)
        {
            ScoreRule? best = null;
            double bestAuc = -1;
            foreach (var rule in Candidates(comps, allComponents))
            {
                var scores = frames.Select(f => f.Raw.Length == 0 ? 0.0 : f.Raw.Max(r => (double)models.Score(rule, r))).ToArray();
                double auc = Auc(scores, labels);
                aucs[rule.ToString()] = Math.Round(auc, 4);
                if (auc > bestAuc + 1e-9) { bestAuc = auc; best = rule; }
            }
            return best!;
        }
        var t1Motion = Best([.. TeacherModels.T1Components.Where(models.Config.Stats.ContainsKey)]);
        var t2 = Best(models.T2ComponentsInUse, models.Config.T2PaperCombination);
        // The sped-up validation holds motion anomalies only, so appearance components cannot win there. The appearance
        // validation ranks them on their own; with T1AppearancePart, T1 is the paper's sum of an appearance part (chosen
        // there) and the motion part (chosen above). On by default since v14 (the sped-up validation is blind to appearance).
        var appearance = AppearanceValidation(models, detector, clips, ctx);
        var appLabels = appearance.Select(o => o.Label).ToArray();
        ScoreRule? appRule = null;
        double appBest = -1;
        foreach (var rule in Candidates(AppearanceComponents).Where(r => r.Scale == t1Motion.Scale))
        {
            double auc = Auc(appearance.Select(o => (double)models.Score(rule, o.Raw)).ToArray(), appLabels);
            aucs["appearance " + rule] = Math.Round(auc, 4);
            if (auc > appBest + 1e-9) { appBest = auc; appRule = rule; }
        }
        var t1 = t1Motion;
        // The in-context validation holds appearance positives (objects turned upside down): there the rule over all of T1's
        // components is the validation's own choice and no part is forced on.
        if (models.Config.T1AppearancePart && !inContext && appRule is not null && !t1Motion.Components.Intersect(AppearanceComponents).Any())
        {
            t1 = new ScoreRule(t1Motion.Scale, [.. appRule.Components, .. t1Motion.Components]);
            aucs[t1.ToString()] = Math.Round(Auc(frames.Select(f => f.Raw.Length == 0 ? 0.0 : f.Raw.Max(r => (double)models.Score(t1, r))).ToArray(), labels), 4);
            aucs["appearance " + t1] = Math.Round(Auc(appearance.Select(o => (double)models.Score(t1, o.Raw)).ToArray(), appLabels), 4);
        }
        var (t1Smoothing, t1Truncated) = BestTrackSetting(t1, "t1");
        var (t2Smoothing, t2Truncated) = BestTrackSetting(t2, "t2");
        string[] truncatedBy = [.. new[] { ("t1", t1Truncated), ("t2", t2Truncated) }.Where(t => t.Item2 && !allObjects).Select(t => t.Item1)];
        return models.Config with
        {
            T1Rule = t1, T2Rule = t2, T1Smoothing = t1Smoothing, T2Smoothing = t2Smoothing, TruncatedScoredBy = truncatedBy, ValidationAuc = aucs,
        };

        (TrackSmoothing, bool) BestTrackSetting(ScoreRule rule, string teacher) =>
            BestSmoothing(models, rule, sequences, teacher, aucs, allObjects ? [true] : [false, true]);
    }

    /// <summary>
    /// <see cref="TeacherConfig.GroupStats"/>: the raw components of the group windows (away from the frame edge) in every
    /// frame of the given normal clips. Null when fewer than 20 (nothing to calibrate on).
    /// </summary>
    public static Dictionary<string, ComponentStats>? GroupWindowStats(TeacherModels models, IObjectDetector detector, IReadOnlyList<Clip> clips, ProgressContext? ctx)
    {
        var scorer = new TeacherScorer(models, detector);
        var windows = new List<float[]>();
        var task = ctx?.AddTask("group windows of the training clips", maxValue: clips.Count);
        foreach (var clip in clips)
        {
            var all = Clips.LoadGray(clip);
            try
            {
                foreach (var fo in scorer.ScoreFrames(all, true, true))
                    windows.AddRange(fo.Raw.Where((_, k) => !fo.Truncated[k] && fo.Objects[k].IsGroupWindow));
            }
            finally { foreach (var f in all) f.Dispose(); }
            task?.Increment(1);
        }
        return windows.Count >= 20 ? WithMissingStats([], windows) : null;
    }

    /// <summary>The default detector without its group splitting: whole blobs, to track and cut objects by.</summary>
    public static BackgroundSubtractionDetector WholeObjectDetector(IObjectDetector detector) =>
        detector is BackgroundSubtractionDetector bs ? new BackgroundSubtractionDetector(bs.Background.Clone())
            : throw new InvalidOperationException($"the in-context validation cuts objects with the background model; detector '{detector.Name}' has none");

    /// <summary>Windows tried for track smoothing (frames each way).</summary>
    public static readonly int[] SmoothingWindows = [1, 2, 3, 5, 8];

    /// <summary>
    /// Track smoothing of a chosen rule's object scores and whether edge-touching objects are scored: every statistic x
    /// window (and no smoothing) x truncated option on the same validation. The best AUC defines a band of
    /// <see cref="SmoothingTolerance"/> (the 1.25x validation nears AUC 1 with long windows, so the best alone would always
    /// pick the longest); within it, scoring edge objects is preferred (the validation gives them no special role,
    /// and a teacher blind at the edges misses anomalies entering the scene), then the smallest window, then the AUC.
    /// </summary>
    public static (TrackSmoothing Smoothing, bool ScoreTruncated) BestSmoothing(TeacherModels models, ScoreRule rule,
        IReadOnlyList<ValidationSequence> sequences, string teacher, Dictionary<string, double> aucs, bool[] truncatedOptions)
    {
        var labels = sequences.SelectMany(s => s.Labels.Where(l => l is not null).Select(l => l!.Value)).ToArray();
        var links = sequences.Select(s => ObjectTracks.Link(s.Frames.Select(fo => (IReadOnlyList<Rect>)fo.Objects.Select(o => o.Box).ToList()).ToList())).ToList();
        double AucOf(TrackSmoothing sm, bool truncated)
        {
            var scores = new List<double>();
            for (int q = 0; q < sequences.Count; q++)
            {
                var ruleScores = sequences[q].Frames
                    .Select(fo => fo.Raw.Select((r, k) => !fo.Truncated[k] || truncated
                        ? models.Score(rule, models.Calibrated(r, fo.Truncated[k], fo.Objects[k].IsGroupWindow))
                        : float.NaN).ToArray()).ToList();
                // Context frames (label null) carry the track chains but are not counted.
                scores.AddRange(ObjectTracks.Smooth(links[q], ruleScores, sm).Where((_, i) => sequences[q].Labels[i] is not null)
                    .Select(TeacherScorer.FrameScore));
            }
            double auc = Auc([.. scores], labels);
            aucs[$"{teacher} smoothing {rule} {sm}{(truncated && truncatedOptions.Length > 1 ? " +truncated" : "")}"] = Math.Round(auc, 4);
            return auc;
        }
        var smoothings = SmoothingWindows.SelectMany(w => TrackSmoothing.Statistics.Select(stat => new TrackSmoothing(stat, w))).Prepend(TrackSmoothing.None);
        var results = (from tr in truncatedOptions from sm in smoothings select (Sm: sm, Truncated: tr, Auc: AucOf(sm, tr))).ToList();
        double best = results.Max(r => r.Auc);
        var pick = results.Where(r => r.Auc >= best - SmoothingTolerance)
            .OrderByDescending(r => r.Truncated).ThenBy(r => r.Sm.Window).ThenByDescending(r => r.Auc).First();
        return (pick.Sm, pick.Truncated);
    }

    public const double SmoothingTolerance = 0.002;

    public static readonly string[] AppearanceComponents = ["app_error", "app_logit"];

    /// <summary>
    /// Object-level appearance validation: the non-truncated objects of every 3rd frame of the held-out normal clips
    /// (negatives) against the same crops turned by 90 degrees (positives: an object of a shape never seen upright,
    /// like a bicycle or cart seen side-on; a pseudo-anomaly the classifier was not trained on, which uses upside-down,
    /// squashed or stretched and half-and-half crops). Only the appearance components differ between the two.
    /// </summary>
    public static List<(float[] Raw, int Label)> AppearanceValidation(TeacherModels models, IObjectDetector detector, IReadOnlyList<Clip> clips, ProgressContext? ctx)
    {
        const int A = InputSizes.Appearance;
        var crops = new List<byte[]>();
        var task = ctx?.AddTask("appearance validation (held-out objects vs turned crops)", maxValue: clips.Count);
        foreach (var clip in clips)
        {
            var all = Clips.LoadGray(clip);
            try
            {
                for (int i = 0; i < all.Length; i += 3)
                    foreach (var o in detector.Detect(all[i]))
                        if (!ObjectCrops.IsTruncated(o.Box, all[i].Width, all[i].Height))
                            crops.Add(ObjectCrops.AppearanceBytes(all[i], o.Box, A));
            }
            finally { foreach (var f in all) f.Dispose(); }
            task?.Increment(1);
        }
        var result = new List<(float[], int)>();
        const int bs = 256;
        for (int s = 0; s < crops.Count; s += bs)
        {
            var sel = crops.Skip(s).Take(bs).ToList();
            foreach (int label in new[] { 0, 1 })
            {
                var app = new float[sel.Count * A * A];
                for (int b = 0; b < sel.Count; b++)
                    for (int y = 0; y < A; y++)
                        for (int x = 0; x < A; x++)
                            app[b * A * A + y * A + x] = (label == 0 ? sel[b][y * A + x] : sel[b][x * A + (A - 1 - y)]) / 255f;
                var raw = TeacherModels.PerObject(models.Raw(sel.Count, app, new float[sel.Count * 2 * InputSizes.Motion * InputSizes.Motion], [], t1: true, t2: false), sel.Count);
                result.AddRange(raw.Select(r => (r, label)));
            }
        }
        return result;
    }

    /// <summary>
    /// Teachers trained before a component existed have no calibration statistics for it: they are computed here from
    /// the normal objects of the held-out clips (the same clips training calibrates on). Existing statistics are kept.
    /// </summary>
    public static Dictionary<string, ComponentStats> WithMissingStats(Dictionary<string, ComponentStats> stats, IEnumerable<float[]> normalObjects)
    {
        var result = new Dictionary<string, ComponentStats>(stats);
        var objs = normalObjects.ToList();
        for (int c = 0; c < TeacherModels.AllComponents.Length; c++)
        {
            string name = TeacherModels.AllComponents[c];
            if (result.ContainsKey(name)) continue;
            var v = objs.Select(o => (double)o[c]).Where(x => !double.IsNaN(x)).ToArray();
            // No perspective model, or no distillation task: not a candidate.
            if (v.Length == 0 && (TeacherModels.PerspectiveComponents.Contains(name) || name == TeacherModels.DistillationComponent)) continue;
            if (v.Length < 2) throw new InvalidOperationException($"too few normal objects ({v.Length}) to calibrate {name}");
            double mean = v.Average(), sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
            result[name] = new ComponentStats(mean, sd);
        }
        return result;
    }

    /// <summary>Frame-level AUC (<see cref="FrameAuc"/>: exact, ties count one half); NaN when one class is missing.</summary>
    public static double Auc(double[] scores, int[] labels) => FrameAuc.Compute(scores, labels) ?? double.NaN;
}
