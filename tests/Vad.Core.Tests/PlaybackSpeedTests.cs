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
}
