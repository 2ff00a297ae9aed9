using System.Diagnostics;
using System.Threading.Channels;
using FFMpegCore;
using FFMpegCore.Pipes;

namespace Vad.Core.Frames;

/// <summary>
/// Any file or URL FFmpeg opens, decoded by FFmpeg (through FFMpegCore) straight to the requested size and pixel format,
/// read from a raw-video pipe cut into fixed-size frames. At most <see cref="FrameSourceOptions.ReadAhead"/> frames are
/// buffered, so memory is constant however long the input.
/// </summary>
public sealed class FfmpegFrameSource : IFrameSource
{
    // FFmpeg's decoders say these when a frame is damaged (H.264 error concealment, truncated packets, ...).
    private static readonly string[] CorruptionMarkers =
        ["error while decoding", "concealing", "corrupt", "invalid data", "missing picture", "decode_slice", "partial file",
         "truncat", "error count", "error y=", "overread", "invalid", "bad vlc"];

    private readonly FrameSourceOptions _options;
    private readonly bool _isUrl;
    private readonly List<CorruptFrameReport> _corrupt = new();
    private int _enumerated;

    public string Name { get; }
    public FrameSourceInfo Info { get; }
    public int Width { get; }
    public int Height { get; }
    public FramePixelFormat PixelFormat => _options.PixelFormat;
    public IReadOnlyList<CorruptFrameReport> CorruptFrames { get { lock (_corrupt) return _corrupt.ToList(); } }

    private FfmpegFrameSource(string name, FrameSourceOptions options, bool isUrl, FrameSourceInfo info)
    {
        Name = name;
        _options = options;
        _isUrl = isUrl;
        Info = info;
        (Width, Height) = FrameSource.OutputSize(info.SourceWidth, info.SourceHeight, options);
    }

    public static FfmpegFrameSource Open(string source, FrameSourceOptions options)
    {
        bool isUrl = FrameSource.IsUrl(source);
        if (!isUrl && !File.Exists(source)) throw new SourceNotFoundException(source);
        if (!isUrl && new FileInfo(source).Length == 0) throw new EmptySourceException(source);

        IMediaAnalysis analysis;
        using (var probeTimeout = new CancellationTokenSource(options.OpenTimeout))
        {
            try
            {
                var task = isUrl
                    ? FFProbe.AnalyseAsync(new Uri(source), null, NetworkTimeoutArguments(source, options.OpenTimeout), probeTimeout.Token)
                    : FFProbe.AnalyseAsync(source, null, null, probeTimeout.Token);
                // FFProbe honours the token, but a wedged child must never hang us: bound the wait as well.
                if (!task.Wait(options.OpenTimeout + TimeSpan.FromSeconds(2)))
                    throw new OperationCanceledException();
                analysis = task.Result;
            }
            catch (Exception e) when (Unwrap(e) is OperationCanceledException)
            {
                if (isUrl) throw new SourceUnreachableException(source, $"no answer within {options.OpenTimeout.TotalSeconds:0.#} s");
                throw new NotAVideoException(source, $"probing took longer than {options.OpenTimeout.TotalSeconds:0.#} s");
            }
            catch (Exception e)
            {
                string detail = FirstLine(Unwrap(e).Message);
                if (isUrl) throw new SourceUnreachableException(source, detail, e);
                throw new NotAVideoException(source, detail, e);
            }
        }

        var video = analysis.PrimaryVideoStream;
        if (video is null || video.Width is not > 0 || video.Height is not > 0)
            throw new NotAVideoException(source, "no video stream");
        double fps = video.AverageFrameRate > 0 && double.IsFinite(video.AverageFrameRate) ? video.AverageFrameRate
            : video.RealFrameRate > 0 && double.IsFinite(video.RealFrameRate) ? video.RealFrameRate : 25;
        long? frameCount = null;
        var duration = video.Duration > TimeSpan.Zero ? video.Duration : analysis.Duration;
        if (!isUrl && duration > TimeSpan.Zero) frameCount = (long)Math.Round(duration.TotalSeconds * fps);
        var info = new FrameSourceInfo(video.Width.Value, video.Height.Value, fps, frameCount, isUrl ? "stream" : "video");
        return new FfmpegFrameSource(source, options, isUrl, info);
    }

    public IEnumerable<Frame> ReadFrames(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
            throw new InvalidOperationException($"{Name}: a frame source can be read once; open it again to re-read");
        return ReadFramesCore(cancellationToken);
    }

    private IEnumerable<Frame> ReadFramesCore(CancellationToken cancellationToken)
    {
        int channels = PixelFormat.Channels();
        int frameBytes = checked(Width * Height * channels);
        var frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Math.Max(1, _options.ReadAhead))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string? firstCorruption = null;
        long delivered = 0;
        var stderrTail = new Queue<string>();

        var sink = new RawVideoPipeSink(frameBytes, PixelFormat.FfmpegName(), frames.Writer);
        string filters = Width == Info.SourceWidth && Height == Info.SourceHeight
            ? ""
            : $"-vf scale={Width}:{Height}:flags={(Width * Height < Info.SourceWidth * Info.SourceHeight ? "area" : "bicubic")} ";
        var arguments = (_isUrl
                ? FFMpegArguments.FromUrlInput(new Uri(Name), o => o.WithCustomArgument(NetworkTimeoutArguments(Name, _options.OpenTimeout)))
                : FFMpegArguments.FromFileInput(Name))
            .OutputToPipe(sink, o => o.WithCustomArgument($"-map 0:v:0 -an -sn -dn {filters}".TrimEnd()))
            .WithLogLevel(FFMpegCore.Enums.FFMpegLogLevel.Error)
            .NotifyOnStandardError(line =>
            {
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    if (stderrTail.Count > 20) stderrTail.Dequeue();
                }
                if (!CorruptionMarkers.Any(m => line.Contains(m, StringComparison.OrdinalIgnoreCase))) return;
                long at = Interlocked.Read(ref delivered);
                lock (_corrupt) _corrupt.Add(new CorruptFrameReport(at, line.Trim()));
                if (_options.OnCorruptFrame == CorruptFramePolicy.Stop)
                {
                    Interlocked.CompareExchange(ref firstCorruption, line.Trim(), null);
                    stop.Cancel();
                }
            })
            .CancellableThrough(stop.Token, TimeSpan.Zero);

        var stopwatch = Stopwatch.StartNew();
        var process = Task.Run(async () =>
        {
            try
            {
                var result = await arguments.ProcessAsynchronously(throwOnError: false);
                return result;
            }
            finally
            {
                frames.Writer.TryComplete();
            }
        });

        try
        {
            while (true)
            {
                byte[] data;
                try
                {
                    // A network stream that stalls longer than the open timeout counts as unreachable, never a hang.
                    var read = frames.Reader.WaitToReadAsync(stop.Token).AsTask();
                    bool ready = _isUrl
                        ? read.Wait(_options.OpenTimeout + TimeSpan.FromSeconds(1)) ? read.Result
                            : throw new SourceUnreachableException(Name, $"no frame for {_options.OpenTimeout.TotalSeconds:0.#} s")
                        : read.GetAwaiter().GetResult();
                    if (!ready) break;
                    if (!frames.Reader.TryRead(out var next)) continue;
                    data = next;
                }
                catch (Exception e) when (Unwrap(e) is OperationCanceledException)
                {
                    if (firstCorruption is not null) throw new CorruptFrameException(Name, Interlocked.Read(ref delivered), firstCorruption);
                    cancellationToken.ThrowIfCancellationRequested();
                    throw;
                }
                if (firstCorruption is not null) throw new CorruptFrameException(Name, Interlocked.Read(ref delivered), firstCorruption);
                long index = Interlocked.Increment(ref delivered) - 1;
                var timestamp = _isUrl ? stopwatch.Elapsed : TimeSpan.FromSeconds(index / Info.Fps);
                yield return new Frame(index, timestamp, Width, Height, PixelFormat, data);
            }

            bool ok;
            try { ok = process.GetAwaiter().GetResult().Success; }
            catch (Exception e) when (Unwrap(e) is OperationCanceledException) { ok = false; }
            if (firstCorruption is not null) throw new CorruptFrameException(Name, delivered, firstCorruption);
            if (sink.TruncatedBytes > 0 && _options.OnCorruptFrame == CorruptFramePolicy.Stop)
                throw new CorruptFrameException(Name, delivered, $"stream ended inside a frame ({sink.TruncatedBytes} of {frameBytes} bytes)");
            string tail;
            lock (stderrTail) tail = stderrTail.LastOrDefault() ?? "ffmpeg failed";
            if (!ok && delivered == 0)
            {
                if (_isUrl) throw new SourceUnreachableException(Name, tail);
                throw new NotAVideoException(Name, tail);
            }
            if (!ok && _isUrl) throw new SourceUnreachableException(Name, $"stream ended with an error after {delivered} frames: {tail}");
            if (!ok && _options.OnCorruptFrame == CorruptFramePolicy.Stop)
                throw new CorruptFrameException(Name, delivered, tail);
            if (delivered == 0) throw new EmptySourceException(Name);
        }
        finally
        {
            // Early exit by the consumer (or an error): stop ffmpeg and drain so its writer can finish.
            if (!process.IsCompleted)
            {
                stop.Cancel();
                while (frames.Reader.TryRead(out _)) { }
                try { process.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            }
        }
    }

    public void Dispose() { }

    private static string NetworkTimeoutArguments(string url, TimeSpan timeout)
    {
        long micros = (long)timeout.TotalMicroseconds;
        // rtsp's socket timeout is "-timeout"; the generic protocol read/write timeout covers http, tcp, ...
        return url.StartsWith("rtsp", StringComparison.OrdinalIgnoreCase)
            ? $"-rtsp_transport tcp -timeout {micros}"
            : $"-rw_timeout {micros}";
    }

    private static Exception Unwrap(Exception e) =>
        e is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0]) : e;

    private static string FirstLine(string s)
    {
        var line = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? s;
        return line.Length > 300 ? line[..300] : line;
    }

    /// <summary>Cuts FFmpeg's raw-video output into frames of exactly <c>frameBytes</c> bytes.</summary>
    private sealed class RawVideoPipeSink(int frameBytes, string pixelFormat, ChannelWriter<byte[]> writer) : IPipeSink
    {
        public int TruncatedBytes { get; private set; }

        public string GetStreamArguments() => $"-f rawvideo -pix_fmt {pixelFormat}";

        public async Task ReadAsync(Stream inputStream, CancellationToken cancellationToken)
        {
            while (true)
            {
                var buffer = new byte[frameBytes];
                int read = await inputStream.ReadAtLeastAsync(buffer, frameBytes, throwOnEndOfStream: false, cancellationToken);
                if (read < frameBytes)
                {
                    TruncatedBytes = read;
                    return;
                }
                await writer.WriteAsync(buffer, cancellationToken);
            }
        }
    }
}
