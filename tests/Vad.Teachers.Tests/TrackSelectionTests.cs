using OpenCvSharp;
using Vad.Teachers.Detection;
using Vad.Teachers.Teachers;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary>The validation's choice of track smoothing and of scoring edge objects, on synthetic object scores.</summary>
public sealed class TrackSelectionTests
{
    private static readonly ScoreRule Energy = new("probability", ["motion_energy"]);

    private static float[] Raw(float energy)
    {
        var r = new float[TeacherModels.AllComponents.Length];
        r[Array.IndexOf(TeacherModels.AllComponents, "motion_energy")] = energy;
        return r;
    }

    // One walker (away from the edge) per frame plus one object touching the left edge.
    private static ValidationSequence Sequence(int label, Func<int, float> walker, float edge) =>
        ValidationSequence.Whole(Enumerable.Range(0, 20).Select(f => new FrameObjects(
            [new DetectedObject(new Rect(100 + f, 50, 20, 40), 1, "object"), new DetectedObject(new Rect(0, 60, 15, 30), 1, "object")],
            [false, true], [Raw(walker(f)), Raw(edge)], [], [])).ToArray(), label);

    private static (TrackSmoothing, bool) Choose(float edgeInNormal)
    {
        using var models = new TeacherModels(new TeacherConfig { Stats = new() { ["motion_energy"] = new ComponentStats(0, 1) } });
        // normal: -1 with a one-frame spike to 3 every 4th frame; sped up: a steady 1
        var sequences = new[] { Sequence(0, f => f % 4 == 0 ? 3 : -1, edgeInNormal), Sequence(1, _ => 1, -5) };
        var aucs = new Dictionary<string, double>();
        var choice = TeacherValidation.BestSmoothing(models, Energy, sequences, "t1", aucs, [false, true]);
        Assert.Equal(0.75, aucs["t1 smoothing probability(motion_energy) none"], 4); // spikes beat a quarter of the positives' frames
        return choice;
    }

    [Fact]
    public void The_smallest_window_that_removes_one_frame_spikes_is_chosen_and_harmless_edge_objects_are_scored()
    {
        var (smoothing, truncated) = Choose(edgeInNormal: -5);
        Assert.Equal(new TrackSmoothing("mean", 1), smoothing);
        Assert.True(truncated);
    }

    [Fact]
    public void Edge_objects_that_lower_the_validation_stay_unscored()
    {
        var (smoothing, truncated) = Choose(edgeInNormal: 5); // a normal edge object above every positive
        Assert.False(truncated);
        Assert.Equal(1, smoothing.Window);
    }
}
