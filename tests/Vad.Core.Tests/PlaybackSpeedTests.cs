using Vad.Core.Frames;
using Xunit;

namespace Vad.Core.Tests;

public sealed class PlaybackSpeedTests
{
    [Fact]
    public void Kept_frames_advance_by_the_factor_on_average()
    {
        Assert.Equal(new[] { 0, 2, 4, 6, 8 }, PlaybackSpeed.Indices(10, 2));
        Assert.Equal(new[] { 0, 2, 4, 6, 8 }, PlaybackSpeed.Indices(9, 2));
        Assert.Equal(new[] { 0, 1, 3, 4, 6 }, PlaybackSpeed.Indices(7, 1.5));
        // 1.25: exactly every 5th frame dropped (the teachers' validation copy)
        Assert.Equal(Enumerable.Range(0, 20).Where(i => i % 5 != 4), PlaybackSpeed.Indices(20, 1.25));
        Assert.Equal(Enumerable.Range(0, 4), PlaybackSpeed.Indices(4, 1));
        Assert.Empty(PlaybackSpeed.Indices(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlaybackSpeed.Indices(10, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlaybackSpeed.Indices(10, double.NaN));
    }

    [Fact]
    public void A_sped_up_split_name_round_trips()
    {
        Assert.Equal("train", PlaybackSpeed.SplitName("train", 1));
        Assert.Equal("train-x2", PlaybackSpeed.SplitName("train", 2));
        Assert.Equal("train-x1.5", PlaybackSpeed.SplitName("train", 1.5));
        Assert.True(PlaybackSpeed.TryParseSplit("train-x1.5", out var split, out var f));
        Assert.Equal(("train", 1.5), (split, f));
        Assert.False(PlaybackSpeed.TryParseSplit("train", out _, out _));
        Assert.False(PlaybackSpeed.TryParseSplit("train-x1", out _, out _));
        Assert.False(PlaybackSpeed.TryParseSplit("train-xfast", out _, out _));
        Assert.False(PlaybackSpeed.TryParseSplit("-x2", out _, out _));
    }

    [Fact]
    public void A_half_frame_copy_takes_that_half_from_the_fast_frame_and_the_rest_from_the_normal_one()
    {
        // 6 frames of 4 rows x 2 bytes; every byte of frame i is i
        var frames = Enumerable.Range(0, 6).Select(i => Enumerable.Repeat((byte)i, 8).ToArray()).ToList();
        var top = PlaybackSpeed.Apply(frames, 2, SpeedRegion.Top, (fast, normal) => PlaybackSpeed.CompositeRows(fast, normal, 2, SpeedRegion.Top));
        Assert.Equal(3, top.Count); // as long as the whole-frame copy
        Assert.Equal(new byte[] { 4, 4, 4, 4, 2, 2, 2, 2 }, top[2]); // rows 0-1 from frame 4, rows 2-3 from frame 2
        var bottom = PlaybackSpeed.Apply(frames, 2, SpeedRegion.Bottom, (fast, normal) => PlaybackSpeed.CompositeRows(fast, normal, 2, SpeedRegion.Bottom));
        Assert.Equal(new byte[] { 1, 1, 1, 1, 2, 2, 2, 2 }, bottom[1]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, frames[0]); // inputs untouched
        Assert.Same(frames[4], PlaybackSpeed.Apply(frames, 2, SpeedRegion.Frame, (_, _) => throw new InvalidOperationException())[2]);
        Assert.Throws<ArgumentException>(() => PlaybackSpeed.CompositeRows(new byte[8], new byte[6], 2, SpeedRegion.Top));
    }

    [Fact]
    public void A_half_frame_split_name_round_trips_and_whole_frame_parsing_is_unchanged()
    {
        Assert.Equal("train-x2-top", PlaybackSpeed.SplitName("train", 2, SpeedRegion.Top));
        Assert.Equal("train-x2", PlaybackSpeed.SplitName("train", 2, SpeedRegion.Frame));
        Assert.True(PlaybackSpeed.TryParseSplit("train-x1.5-bottom", out var split, out var f, out var region));
        Assert.Equal(("train", 1.5, SpeedRegion.Bottom), (split, f, region));
        Assert.True(PlaybackSpeed.TryParseSplit("train-x2", out _, out _, out region));
        Assert.Equal(SpeedRegion.Frame, region);
        Assert.False(PlaybackSpeed.TryParseSplit("train-x2-top", out _, out _)); // the whole-frame parser does not take halves
        Assert.False(PlaybackSpeed.TryParseSplit("train-top", out _, out _, out _));
        Assert.Equal(SpeedRegion.Top, PlaybackSpeed.ParseRegion("top"));
        Assert.Throws<ArgumentException>(() => PlaybackSpeed.ParseRegion("left"));
    }
}
