using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Vad.Core.Frames;
using Xunit;

namespace Vad.Core.Tests;

public sealed class FrameSourceTests : IDisposable
{
    private readonly TestMedia _media = new();

    public void Dispose() => _media.Dispose();

    private static string? Ped2() => TestPaths.Ped2();

    [Fact]
    public void Ped2_test_clip_folder_decodes_every_frame_in_order_with_index_and_timestamp()
    {
        string? ped2 = Ped2();
        Assert.NotNull(ped2);
        string folder = Path.Combine(ped2!, "testing", "frames", "01");
        using var source = FrameSource.Open(folder);
        Assert.Equal("folder", source.Info.Kind);
        Assert.Equal(360, source.Width);
        Assert.Equal(240, source.Height);
        var frames = source.ReadFrames().ToList();
        Assert.Equal(180, frames.Count);
        Assert.Equal(Enumerable.Range(0, 180).Select(i => (long)i), frames.Select(f => f.Index));
        Assert.All(frames, f => Assert.Equal(360 * 240, f.Data.Length));
        Assert.Equal(TimeSpan.FromSeconds(10 / 25.0), frames[10].Timestamp);
        // real content: not a flat image, and consecutive frames differ (people walk)
        Assert.True(frames[0].Data.Distinct().Count() > 50);
        Assert.NotEqual(frames[0].Data, frames[30].Data);
    }

    [Fact]
    public void Folder_frames_match_ffmpeg_decode_of_the_same_jpeg()
    {
        string? ped2 = Ped2();
        Assert.NotNull(ped2);
        string file = Path.Combine(ped2!, "testing", "frames", "01", "000.jpg");
        string raw = Path.Combine(_media.Folder, "f.gray");
        TestMedia.Ffmpeg($"-i \"{file}\" -f rawvideo -pix_fmt gray \"{raw}\"");
        byte[] reference = File.ReadAllBytes(raw);
        using var source = FrameSource.Open(Path.GetDirectoryName(file)!);
        byte[] ours = source.ReadFrames().First().Data;
        Assert.Equal(reference.Length, ours.Length);
        double meanAbs = reference.Zip(ours, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanAbs < 2.0, $"mean |ffmpeg - ours| = {meanAbs}");
    }

    [Theory]
    [InlineData("a.mp4", "mpeg4")]
    [InlineData("a.avi", "mjpeg")]
    [InlineData("a.mkv", "libx264")]
    public void Video_files_decode_to_the_requested_size_and_format(string name, string codec)
    {
        string video = _media.MakeVideo(name, 320, 240, 2, 25, codec);
        using var gray = FrameSource.Open(video, new FrameSourceOptions { Width = 160, Height = 96 });
        Assert.Equal(320, gray.Info.SourceWidth);
        Assert.Equal(25, gray.Info.Fps, 3);
        var frames = gray.ReadFrames().ToList();
        Assert.Equal(50, frames.Count);
        Assert.All(frames, f => Assert.Equal(160 * 96, f.Data.Length));
        Assert.Equal(TimeSpan.FromSeconds(49 / 25.0), frames[^1].Timestamp);

        using var rgb = FrameSource.Open(video, new FrameSourceOptions { PixelFormat = FramePixelFormat.Rgb24 });
        var first = rgb.ReadFrames().First();
        Assert.Equal(FramePixelFormat.Rgb24, first.PixelFormat);
        Assert.Equal(320 * 240 * 3, first.Data.Length);
    }

    [Fact]
    public void A_real_camera_video_streams_and_an_early_stop_ends_ffmpeg()
    {
        const string vtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
        Assert.True(File.Exists(vtest), "opencv-doc's vtest.avi is installed by ./vad test");
        using var source = FrameSource.Open(vtest, new FrameSourceOptions { Width = 384, Height = 288 });
        Assert.Equal(768, source.Info.SourceWidth);
        var sw = Stopwatch.StartNew();
        var first = source.ReadFrames().Take(20).ToList();
        Assert.Equal(20, first.Count);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void Memory_stays_constant_however_long_the_input()
    {
        // 1500 frames of 640x360 RGB = 1 GB if anything held on to them.
        string video = _media.MakeVideo("long.mp4", 640, 360, 60, 25);
        using var source = FrameSource.Open(video, new FrameSourceOptions { PixelFormat = FramePixelFormat.Rgb24 });
        long peak = 0, count = 0;
        foreach (var frame in source.ReadFrames())
        {
            if (++count % 100 == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
        }
        Assert.Equal(1500, count);
        Assert.True(peak < 200L * 1024 * 1024, $"managed heap peaked at {peak / 1048576} MB");
    }

    [Fact]
    public void Missing_file_is_a_typed_error_naming_it()
    {
        var e = Assert.Throws<SourceNotFoundException>(() => FrameSource.Open("/nonexistent/clip.mp4"));
        Assert.Contains("/nonexistent/clip.mp4", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_video_is_a_typed_error()
    {
        string path = Path.Combine(_media.Folder, "notes.mp4");
        File.WriteAllText(path, "this is not a video at all\n");
        var e = Assert.Throws<NotAVideoException>(() => FrameSource.Open(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Zero_frames_is_a_typed_error()
    {
        string empty = Path.Combine(_media.Folder, "empty.mp4");
        File.WriteAllBytes(empty, []);
        Assert.Throws<EmptySourceException>(() => FrameSource.Open(empty));
        string folder = Directory.CreateDirectory(Path.Combine(_media.Folder, "no-frames")).FullName;
        File.WriteAllText(Path.Combine(folder, "readme.txt"), "x");
        Assert.Throws<EmptySourceException>(() => FrameSource.Open(folder));
        // an audio-only file has no video stream
        string audio = Path.Combine(_media.Folder, "tone.wav");
        TestMedia.Ffmpeg($"-f lavfi -i sine=frequency=440:duration=1 \"{audio}\"");
        Assert.Throws<NotAVideoException>(() => FrameSource.Open(audio));
    }

    [Fact]
    public void Unreachable_urls_fail_within_the_timeout_and_never_hang()
    {
        var options = new FrameSourceOptions { OpenTimeout = TimeSpan.FromSeconds(2) };
        // nothing listens on this port: refused at once
        int closedPort = FreePort();
        var sw = Stopwatch.StartNew();
        var refused = Assert.Throws<SourceUnreachableException>(() => FrameSource.Open($"http://127.0.0.1:{closedPort}/cam.mp4", options));
        Assert.Contains($"127.0.0.1:{closedPort}", refused.Message);

        // a server that accepts and then says nothing: bounded by the timeout
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        int port = ((IPEndPoint)silent.LocalEndpoint).Port;
        sw.Restart();
        Assert.Throws<SourceUnreachableException>(() => FrameSource.Open($"rtsp://127.0.0.1:{port}/stream", options));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(8), $"took {sw.Elapsed}");
    }

    [Fact]
    public void Corrupt_image_in_a_folder_stops_or_is_reported_and_skipped()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_media.Folder, "frames")).FullName;
        TestMedia.Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 6 -start_number 0 \"{Path.Combine(folder, "%d.png")}\"");
        File.WriteAllText(Path.Combine(folder, "3.png"), "garbage, not a png");

        using (var stop = FrameSource.Open(folder))
        {
            var seen = new List<long>();
            var e = Assert.Throws<CorruptFrameException>(() => { foreach (var f in stop.ReadFrames()) seen.Add(f.Index); });
            Assert.Equal(3, e.Index);
            Assert.Contains("3.png", e.Message);
            Assert.Equal([0L, 1, 2], seen);
        }
        using var go = FrameSource.Open(folder, new FrameSourceOptions { OnCorruptFrame = CorruptFramePolicy.Continue });
        var indices = go.ReadFrames().Select(f => f.Index).ToList();
        Assert.Equal([0L, 1, 2, 4, 5], indices);
        var report = Assert.Single(go.CorruptFrames);
        Assert.Equal(3, report.Index);
    }

    [Fact]
    public void Corrupt_frame_mid_video_stops_or_is_reported_and_skipped()
    {
        string video = _media.MakeVideo("c.avi", 160, 120, 4, 25, "mjpeg");
        byte[] bytes = File.ReadAllBytes(video);
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 3000; i += 7) bytes[i] ^= 0xFF;
        string damaged = Path.Combine(_media.Folder, "damaged.avi");
        File.WriteAllBytes(damaged, bytes);

        using (var stop = FrameSource.Open(damaged))
        {
            long delivered = 0;
            var e = Assert.Throws<CorruptFrameException>(() => { foreach (var _ in stop.ReadFrames()) delivered++; });
            Assert.Contains(damaged, e.Message);
            Assert.InRange(delivered, 1, 99);
        }
        using var go = FrameSource.Open(damaged, new FrameSourceOptions { OnCorruptFrame = CorruptFramePolicy.Continue });
        int count = go.ReadFrames().Count();
        Assert.InRange(count, 90, 100);
        Assert.NotEmpty(go.CorruptFrames);
    }

    [Fact]
    public void Natural_sort_puts_2_before_10()
    {
        var names = new[] { "10.jpg", "2.jpg", "frame_001.png", "1.jpg", "frame_10.png", "frame_9.png" };
        var sorted = names.OrderBy(n => n, NaturalStringComparer.Instance).ToArray();
        Assert.Equal(["1.jpg", "2.jpg", "10.jpg", "frame_001.png", "frame_9.png", "frame_10.png"], sorted);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
