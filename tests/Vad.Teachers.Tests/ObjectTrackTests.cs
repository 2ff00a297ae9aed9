using OpenCvSharp;
using Vad.Teachers.Teachers;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary>Smoothing of object scores along IoU-linked tracks (what keeps crowded normal frames from scoring high by chance).</summary>
public sealed class ObjectTrackTests
{
    // One walker moving 2 px per frame (always linked) and, from frame 3 on, a second object far away.
    private static List<IReadOnlyList<Rect>> Boxes(int frames) => Enumerable.Range(0, frames)
        .Select(f => (IReadOnlyList<Rect>)(f < 3
            ? [new Rect(10 + 2 * f, 20, 12, 30)]
            : [new Rect(10 + 2 * f, 20, 12, 30), new Rect(200, 100, 20, 20)]))
        .ToList();

    [Fact]
    public void A_one_frame_spike_is_removed_by_the_median_and_diluted_by_the_mean()
    {
        var boxes = Boxes(7);
        var scores = boxes.Select(b => b.Select(_ => 0.1f).ToArray()).ToList();
        scores[3][0] = 0.9f; // walker spikes in frame 3 only
        var median = ObjectTracks.Smooth(boxes, scores, new TrackSmoothing("median", 2));
        Assert.Equal(0.1f, median[3][0], 6);
        var mean = ObjectTracks.Smooth(boxes, scores, new TrackSmoothing("mean", 2));
        Assert.Equal((0.9f + 4 * 0.1f) / 5, mean[3][0], 6);
        // the far object has no link to the walker: its own scores stay 0.1
        Assert.All(Enumerable.Range(3, 4), f => Assert.Equal(0.1f, mean[f][1], 6));
    }

    [Fact]
    public void A_consistently_anomalous_object_keeps_its_score_and_window_zero_is_the_identity()
    {
        var boxes = Boxes(7);
        var scores = boxes.Select(b => b.Select((_, k) => k == 1 ? 0.8f : 0.2f).ToArray()).ToList();
        var smoothed = ObjectTracks.Smooth(boxes, scores, new TrackSmoothing("median", 3));
        Assert.All(Enumerable.Range(3, 4), f => Assert.Equal(0.8f, smoothed[f][1], 6));
        var none = ObjectTracks.Smooth(boxes, scores, TrackSmoothing.None);
        Assert.Equal(scores.SelectMany(s => s), none.SelectMany(s => s));
    }

    [Fact]
    public void Chains_stop_at_frames_without_a_link_and_at_the_clip_ends()
    {
        // frame 2 is empty: frames 0-1 and 3-4 are separate tracks
        var boxes = new List<IReadOnlyList<Rect>>
        {
            new[] { new Rect(0, 0, 10, 10) }, new[] { new Rect(1, 0, 10, 10) }, Array.Empty<Rect>(),
            new[] { new Rect(2, 0, 10, 10) }, new[] { new Rect(3, 0, 10, 10) },
        };
        var scores = new List<float[]> { new[] { 1f }, new[] { 3f }, Array.Empty<float>(), new[] { 10f }, new[] { 20f } };
        var mean = ObjectTracks.Smooth(boxes, scores, new TrackSmoothing("mean", 5));
        Assert.Equal(2f, mean[0][0], 6);
        Assert.Equal(2f, mean[1][0], 6);
        Assert.Empty(mean[2]);
        Assert.Equal(15f, mean[4][0], 6);
    }

    [Fact]
    public void Objects_a_teacher_does_not_score_stay_unscored_and_chains_pass_through_them()
    {
        // frame 1's object touches the frame edge and is not scored by this teacher (NaN)
        var boxes = new List<IReadOnlyList<Rect>> { new[] { new Rect(0, 5, 10, 10) }, new[] { new Rect(0, 6, 10, 10) }, new[] { new Rect(1, 6, 10, 10) } };
        var scores = new List<float[]> { new[] { 0.2f }, new[] { float.NaN }, new[] { 0.6f } };
        var mean = ObjectTracks.Smooth(boxes, scores, new TrackSmoothing("mean", 2));
        Assert.True(float.IsNaN(mean[1][0]));
        Assert.Equal(0.4f, mean[0][0], 6);
        Assert.Equal(0.4f, mean[2][0], 6);
    }

    [Fact]
    public void Bad_settings_fail_clearly()
    {
        var boxes = Boxes(2);
        var scores = boxes.Select(b => new float[b.Count]).ToList();
        Assert.Throws<ArgumentException>(() => ObjectTracks.Smooth(boxes, scores, new TrackSmoothing("max", 1)));
        Assert.Throws<ArgumentException>(() => ObjectTracks.Smooth(boxes, scores, new TrackSmoothing("mean", -1)));
        Assert.Throws<ArgumentException>(() => ObjectTracks.Smooth(boxes, scores.Take(1).ToList(), new TrackSmoothing("mean", 1)));
    }

    [Fact]
    public void Iou_of_identical_disjoint_and_half_overlapping_boxes()
    {
        Assert.Equal(1.0, Vad.Teachers.Detection.BoxOverlap.Iou(new Rect(0, 0, 10, 10), new Rect(0, 0, 10, 10)), 9);
        Assert.Equal(0.0, Vad.Teachers.Detection.BoxOverlap.Iou(new Rect(0, 0, 10, 10), new Rect(10, 0, 10, 10)), 9);
        Assert.Equal(50.0 / 150, Vad.Teachers.Detection.BoxOverlap.Iou(new Rect(0, 0, 10, 10), new Rect(5, 0, 10, 10)), 9);
    }
}
