using System.Diagnostics;
using FFMpegCore;

namespace Vad.Core.Frames;

/// <summary>
/// Any file or URL FFmpeg opens, probed with FFProbe and decoded by FFmpeg (command line built by FFMpegCore) straight
/// to the requested size and pixel format, read from ffmpeg's stdout cut into fixed-size frames. Only the pipe's 1 MiB
/// and the frame being read are buffered, so memory is constant however long the input.
/// </summary>
public sealed class FfmpegFrameSource : FrameSourceBase
{
    // FFmpeg's decoders say these when a frame is damaged (H.264 error concealment, truncated packets, ...).
    private static readonly string[] CorruptionMarkers =
        ["error while decoding", "concealing", "corrupt", "invalid data", "missing picture", "decode_slice", "partial file",
         "truncat", "error count", "error y=", "overread", "invalid", "bad vlc"];

    private readonly bool _isUrl;

    private FfmpegFrameSource(string name, FrameSourceOptions options, bool isUrl, FrameSourceInfo info)
        : base(name, options, info) => _isUrl = isUrl;

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

    protected override IEnumerable<Frame> ReadFramesCore(CancellationToken cancellationToken)
    {
        int channels = PixelFormat.Channels();
        int frameBytes = checked(Width * Height * channels);
        string filters = Width == Info.SourceWidth && Height == Info.SourceHeight
            ? ""
            : $" -vf scale={Width}:{Height}:flags={(Width * Height < Info.SourceWidth * Info.SourceHeight ? "area" : "bicubic")}";
        // FFMpegCore builds the command line; the raw frames come back on ffmpeg's stdout, a pipe enlarged to 1 MiB,
        // which halves the cost of moving frames compared with a default 64 KiB pipe or FFMpegCore's socket sink.
        string arguments = (_isUrl
                ? FFMpegArguments.FromUrlInput(new Uri(Name), o => o.WithCustomArgument(NetworkTimeoutArguments(Name, Options.OpenTimeout)))
                : FFMpegArguments.FromFileInput(Name))
            .OutputToUrl("pipe:1", o => o.WithCustomArgument($"-map 0:v:0 -an -sn -dn{filters} -f rawvideo -pix_fmt {PixelFormat.FfmpegName()}"))
            .Arguments;
        var psi = new ProcessStartInfo(FfmpegBinary(), $"-nostdin -hide_banner -loglevel error {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi) ?? throw new FrameSourceException(Name, "could not start ffmpeg");
        Pipes.TryEnlarge(process.StandardOutput.BaseStream, 1 << 20);

        string? firstCorruption = null;
        long delivered = 0;
        long lastProgress = Stopwatch.GetTimestamp();
        bool stalled = false;
        var stderrTail = new Queue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (stderrTail)
            {
                stderrTail.Enqueue(line);
                if (stderrTail.Count > 20) stderrTail.Dequeue();
            }
            if (!CorruptionMarkers.Any(m => line.Contains(m, StringComparison.OrdinalIgnoreCase))) return;
            ReportCorrupt(new CorruptFrameReport(Interlocked.Read(ref delivered), line.Trim()));
            if (Options.OnCorruptFrame == CorruptFramePolicy.Stop && Interlocked.CompareExchange(ref firstCorruption, line.Trim(), null) is null)
                Kill(process);
        };
        process.BeginErrorReadLine();
        // A stream that stalls longer than the open timeout counts as unreachable, never a hang; cancellation stops ffmpeg.
        using var watchdog = _isUrl
            ? new Timer(_ =>
            {
                if (Stopwatch.GetElapsedTime(Interlocked.Read(ref lastProgress)) <= Options.OpenTimeout) return;
                stalled = true;
                Kill(process);
            }, null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250))
            : null;
        using var cancel = cancellationToken.Register(() => Kill(process));

        var stdout = process.StandardOutput.BaseStream;
        var stopwatch = Stopwatch.StartNew();
        int truncated = 0;
        try
        {
            while (true)
            {
                // Frames are large (LOH): skip zeroing memory that the read overwrites at once.
                var data = GC.AllocateUninitializedArray<byte>(frameBytes);
                int read = stdout.ReadAtLeast(data, frameBytes, throwOnEndOfStream: false);
                Interlocked.Exchange(ref lastProgress, Stopwatch.GetTimestamp());
                cancellationToken.ThrowIfCancellationRequested();
                if (firstCorruption is not null) throw new CorruptFrameException(Name, Interlocked.Read(ref delivered), firstCorruption);
                if (read < frameBytes)
                {
                    truncated = read;
                    break;
                }
                long index = Interlocked.Increment(ref delivered) - 1;
                var timestamp = _isUrl ? stopwatch.Elapsed : TimeSpan.FromSeconds(index / Info.Fps);
                yield return new Frame(index, timestamp, Width, Height, PixelFormat, data);
            }

            process.WaitForExit(); // also drains the stderr events
            cancellationToken.ThrowIfCancellationRequested();
            if (firstCorruption is not null) throw new CorruptFrameException(Name, delivered, firstCorruption);
            string tail;
            lock (stderrTail) tail = stderrTail.LastOrDefault() ?? $"ffmpeg exited with code {process.ExitCode}";
            if (stalled) throw new SourceUnreachableException(Name, $"no frame for {Options.OpenTimeout.TotalSeconds:0.#} s after {delivered} frames");
            bool ok = process.ExitCode == 0;
            if (truncated > 0 && Options.OnCorruptFrame == CorruptFramePolicy.Stop)
                throw new CorruptFrameException(Name, delivered, $"stream ended inside a frame ({truncated} of {frameBytes} bytes)");
            if (!ok && delivered == 0)
            {
                if (_isUrl) throw new SourceUnreachableException(Name, tail);
                throw new NotAVideoException(Name, tail);
            }
            if (!ok && _isUrl) throw new SourceUnreachableException(Name, $"stream ended with an error after {delivered} frames: {tail}");
            if (!ok && Options.OnCorruptFrame == CorruptFramePolicy.Stop) throw new CorruptFrameException(Name, delivered, tail);
            if (delivered == 0) throw new EmptySourceException(Name);
        }
        finally
        {
            // Early exit by the consumer, cancellation or an error: ffmpeg must not outlive the enumeration.
            if (!process.HasExited)
            {
                Kill(process);
                process.WaitForExit(5000);
            }
        }
    }

    private static string FfmpegBinary()
    {
        string folder = GlobalFFOptions.Current.BinaryFolder;
        return string.IsNullOrEmpty(folder) ? "ffmpeg" : Path.Combine(folder, "ffmpeg");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

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
}
