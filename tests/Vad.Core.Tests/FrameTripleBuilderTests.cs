using Vad.Core.Frames;
using Xunit;

namespace Vad.Core.Tests;

public sealed class FrameTripleBuilderTests
{
    private static Frame F(long i) => new(i, TimeSpan.FromSeconds(i / 25.0), 2, 2, FramePixelFormat.Gray8, [(byte)i, 0, 0, 0]);

    private static List<(long, long, long)> Run(int count, int t)
    {
        var builder = new FrameTripleBuilder(t);
        var triples = new List<FrameTriple>();
        for (int i = 0; i < count; i++)
        {
            if (builder.Push(F(i)) is { } triple) triples.Add(triple);
            Assert.True(builder.Buffered <= 2 * t + 1);
        }
        triples.AddRange(builder.Complete());
        return triples.Select(x => (x.Past.Index, x.Middle.Index, x.Future.Index)).ToList();
    }

    [Fact]
    public void Interior_frames_get_i_minus_t_i_i_plus_t()
    {
        var triples = Run(20, 3);
        Assert.Equal((2L, 5L, 8L), triples[5]);
        Assert.Equal((13L, 16L, 19L), triples[16]);
    }

    [Fact]
    public void Every_frame_gets_exactly_one_triple_in_order_with_edges_clamped()
    {
        var triples = Run(20, 3);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), triples.Select(t => t.Item2));
        // first t frames: the past is frame 0
        Assert.Equal((0L, 0L, 3L), triples[0]);
        Assert.Equal((0L, 2L, 5L), triples[2]);
        Assert.Equal((0L, 3L, 6L), triples[3]);
        // last t frames: the future is the last frame
        Assert.Equal((14L, 17L, 19L), triples[17]);
        Assert.Equal((16L, 19L, 19L), triples[19]);
    }

    [Fact]
    public void The_triple_of_frame_i_is_sent_when_frame_i_plus_t_arrives()
    {
        var builder = new FrameTripleBuilder(3);
        for (int i = 0; i < 3; i++) Assert.Null(builder.Push(F(i)));
        var first = builder.Push(F(3));
        Assert.NotNull(first);
        Assert.Equal(0, first!.Index);
        Assert.Equal(1, builder.Push(F(4))!.Index);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Streams_shorter_than_the_stride_still_score_every_frame(int count)
    {
        var triples = Run(count, 3);
        Assert.Equal(count, triples.Count);
        Assert.All(triples, t => Assert.Equal(0L, t.Item1));
        Assert.All(triples, t => Assert.Equal(Math.Min(t.Item2 + 3, count - 1), t.Item3));
    }

    [Fact]
    public void Reset_starts_a_new_stream()
    {
        var builder = new FrameTripleBuilder(1);
        builder.Push(F(0));
        builder.Push(F(1));
        builder.Reset();
        Assert.Equal(0, builder.Buffered);
        Assert.Null(builder.Push(F(7)));
        Assert.Equal(7, builder.Push(F(8))!.Past.Index);
    }

    [Fact]
    public void Stride_must_be_positive() => Assert.Throws<ArgumentOutOfRangeException>(() => new FrameTripleBuilder(0));
}
