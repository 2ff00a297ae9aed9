using System.Diagnostics;

namespace Vad.Core.Tests;

/// <summary>Real media made by the ffmpeg binary for the tests, in a temporary folder removed at dispose.</summary>
public sealed class TestMedia : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("vad-media-").FullName;

    /// <summary>Encodes ffmpeg's testsrc2 pattern: <paramref name="seconds"/> at <paramref name="fps"/>.</summary>
    public string MakeVideo(string name, int width, int height, double seconds, int fps = 25, string codec = "mpeg4")
    {
        string path = Path.Combine(Folder, name);
        Ffmpeg($"-f lavfi -i testsrc2=size={width}x{height}:rate={fps} -t {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} -c:v {codec} -pix_fmt yuv420p \"{path}\"");
        return path;
    }

    public static void Ffmpeg(string arguments)
    {
        var psi = new ProcessStartInfo("ffmpeg", $"-v error -y {arguments}") { RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
        string err = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(); throw new TimeoutException("ffmpeg " + arguments); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {arguments} failed: {err}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
