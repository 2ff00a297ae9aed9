using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Vad.Core.Frames;

/// <summary>Linux pipe tuning: a larger pipe means fewer wake-ups per frame between ffmpeg and us.</summary>
internal static class Pipes
{
    private const int F_SETPIPE_SZ = 1031;

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int cmd, int arg);

    /// <summary>Best effort: keeps the default size where the OS refuses (not Linux, or above pipe-max-size).</summary>
    public static void TryEnlarge(Stream pipe, int bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        SafeHandle? handle = pipe switch
        {
            FileStream fs => fs.SafeFileHandle,
            PipeStream ps => ps.SafePipeHandle,
            _ => null,
        };
        if (handle is null || handle.IsInvalid) return;
        _ = fcntl((int)handle.DangerousGetHandle(), F_SETPIPE_SZ, bytes);
    }
}
