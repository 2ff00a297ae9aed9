using OpenCvSharp;
using Vad.Core.Maps;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Objects;

namespace Vad.Teachers.Teachers;

/// <summary>
/// Scored objects of one frame: boxes (Truncated: touching the frame edge) with each teacher's object score; NaN where
/// a teacher does not score the object (a truncated object the teacher's config leaves out). Raw: the components with
/// the configured nuisance trends removed (<see cref="TeacherModels.NuisanceAdjusted"/>).
/// </summary>
public sealed record FrameObjects(IReadOnlyList<DetectedObject> Objects, bool[] Truncated, float[][] Raw, float[] T1, float[] T2);

/// <summary>Detects, builds object inputs and scores every frame of a clip with T1 and/or T2 (object scores smoothed
/// along tracks as the teachers' config says).</summary>
public sealed class TeacherScorer(TeacherModels models, IObjectDetector detector)
{
    private const int BatchObjects = 256;
    private readonly PersonHeightModel? _perspective = (detector as BackgroundSubtractionDetector)?.PersonHeight;

    public FrameObjects[] ScoreFrames(IReadOnlyList<Mat> frames, bool t1, bool t2, Action<int>? onFrame = null)
    {
        using var motion = t1 ? ClipMotion.Compute(frames) : null;
        var dets = new List<DetectedObject>[frames.Count];
        var truncated = new bool[frames.Count][];
        var refs = new List<(int Frame, int Obj)>();
        bool t1Truncated = t1 && models.Config.ScoresTruncated("t1"), t2Truncated = t2 && models.Config.ScoresTruncated("t2");
        // The objects (and so the tracks that smooth the scores) do not depend on which teachers are asked for.
        bool keepTruncated = models.Config.ScoresTruncated("t1") || models.Config.ScoresTruncated("t2");
        // Every detection is a neighbour to mask, scored or not (as in training).
        var neighbourBoxes = new IReadOnlyList<Rect>[frames.Count];
        var background = t2 && models.Config.StackMaskNeighbours ? TeacherTrainer.NeighbourBackground(detector) : null;
        for (int i = 0; i < frames.Count; i++)
        {
            int w = frames[i].Width, h = frames[i].Height;
            var all = detector.Detect(frames[i]);
            if (background is not null) neighbourBoxes[i] = all.Select(o => o.Box).ToList();
            dets[i] = all.Where(o => keepTruncated || !ObjectCrops.IsTruncated(o.Box, w, h)).ToList();
            truncated[i] = dets[i].Select(o => ObjectCrops.IsTruncated(o.Box, w, h)).ToArray();
            for (int k = 0; k < dets[i].Count; k++) refs.Add((i, k));
        }
        var raws = dets.Select(d => new float[d.Count][]).ToArray();
        var boxes = dets.Select(d => (IReadOnlyList<Rect>)d.Select(o => o.Box).ToList()).ToArray();
        var s1 = dets.Select(d => new float[d.Count]).ToArray();
        var s2 = dets.Select(d => new float[d.Count]).ToArray();
        int a = InputSizes.Appearance * InputSizes.Appearance, m = 2 * InputSizes.Motion * InputSizes.Motion;
        int st = InputSizes.StackFrames * InputSizes.Stack * InputSizes.Stack;
        int done = 0;
        // T2's distillation task sees the appearance crop
        bool needApp = t1 || (t2 && models.T2MemberModels.Prepend(models).Any(n => n.Distillation is not null));
        for (int start = 0; start < refs.Count; start += BatchObjects)
        {
            var batch = refs.Skip(start).Take(BatchObjects).ToList();
            var app = new float[needApp ? batch.Count * a : 0];
            var mot = new float[t1 ? batch.Count * m : 0];
            var stack = new float[t2 ? batch.Count * st : 0];
            var heights = t1 && _perspective is { } ph ? batch.Select(r => (float)ph.At(dets[r.Frame][r.Obj].Box.Bottom)).ToArray() : null;
            for (int b = 0; b < batch.Count; b++)
            {
                var (f, k) = batch[b];
                var box = dets[f][k].Box;
                if (needApp) ObjectCrops.AppearanceInto(frames[f], box, InputSizes.Appearance, app.AsSpan(b * a, a));
                if (t1) ObjectCrops.MotionInto(motion!, f, box, mot.AsSpan(b * m, m));
                if (t2)
                {
                    var mask = background is null ? null : NeighbourMask.For(background, neighbourBoxes[f], box);
                    var bytes = ObjectCrops.StackBytes(frames, f, box, InputSizes.StackFrames / 2, 1, InputSizes.Stack, models.Config.StackMinSide, mask);
                    for (int p = 0; p < st; p++) stack[b * st + p] = bytes[p] / 255f;
                }
            }
            var raw = TeacherModels.PerObject(models.Raw(batch.Count, app, mot, stack, t1, t2, heights), batch.Count);
            var memberRaw = t2 ? models.T2MemberModels.Select(n => TeacherModels.PerObject(n.Raw(batch.Count, app, mot, stack, t1: false, t2: true), batch.Count)).ToArray() : [];
            for (int b = 0; b < batch.Count; b++)
            {
                var (f, k) = batch[b];
                raws[f][k] = models.NuisanceAdjusted(raw[b], boxes[f], k);
                var forScore = models.Calibrated(raws[f][k], truncated[f][k], dets[f][k].IsGroupWindow);
                if (t1) s1[f][k] = truncated[f][k] && !t1Truncated ? float.NaN : models.Score(models.Config.T1Rule, forScore);
                if (t2) s2[f][k] = truncated[f][k] && !t2Truncated ? float.NaN : T2Score(models.Score(models.Config.T2Rule, forScore), memberRaw, b, boxes[f], k, truncated[f][k], dets[f][k].IsGroupWindow);
            }
            int upTo = start + batch.Count < refs.Count ? refs[start + batch.Count].Frame : frames.Count;
            if (upTo > done) { onFrame?.Invoke(upTo - done); done = upTo; }
        }
        if (done < frames.Count) onFrame?.Invoke(frames.Count - done);
        var links = ObjectTracks.Link(boxes);
        if (t1) s1 = ObjectTracks.Smooth(links, s1, models.Config.T1Smoothing);
        if (t2) s2 = ObjectTracks.Smooth(links, s2, models.Config.T2Smoothing);
        return Enumerable.Range(0, frames.Count).Select(i => new FrameObjects(dets[i], truncated[i], raws[i], s1[i], s2[i])).ToArray();
    }

    /// <summary>T2's object score: this T2's, or with a seed ensemble the mean of its and each member's (each member's
    /// own nuisance trends, edge/group mappings, statistics and rule on its own raw components).</summary>
    private float T2Score(float own, float[][][] memberRaw, int b, IReadOnlyList<Rect> boxes, int k, bool truncated, bool groupWindow)
    {
        if (memberRaw.Length == 0) return own;
        double sum = own;
        for (int n = 0; n < memberRaw.Length; n++)
        {
            var member = models.T2MemberModels[n];
            var forScore = member.Calibrated(member.NuisanceAdjusted(memberRaw[n][b], boxes, k), truncated, groupWindow);
            sum += member.Score(member.Config.T2Rule, forScore);
        }
        return (float)(sum / (memberRaw.Length + 1));
    }

    /// <summary>The frame score the maps give: the highest object score, 0 without scored objects (NaN: not scored).</summary>
    public static double FrameScore(float[] objectScores) =>
        objectScores.Where(s => !float.IsNaN(s)).Select(s => (double)s).DefaultIfEmpty(0).Max();

    public static List<FrameMaps> Maps(FrameObjects[] frames, string teacher, int width, int height, int[] resolutions) =>
        frames.Select(fo =>
        {
            var scores = teacher == "t1" ? fo.T1 : fo.T2;
            var boxes = fo.Objects.Select((o, k) => new ScoredBox(o.Box.X, o.Box.Y, o.Box.Width, o.Box.Height, scores[k]))
                .Where(b => !float.IsNaN(b.Score)).ToList();
            return AnomalyMapPainter.FrameFromBoxes(width, height, boxes, resolutions);
        }).ToList();
}
