using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Vad.Torch;

/// <summary>
/// Makes TorchSharp load on hosts whose libstdc++ is older than the one libLibTorchSharp.so was linked against
/// (Debian 12 stops at GLIBCXX_3.4.30; TorchSharp 0.107.0 asks for GLIBCXX_3.4.32 for one link anchor symbol).
/// Call <see cref="EnsureLoaded"/> before the first <c>torch</c> call.
/// </summary>
public static class TorchRuntime
{
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";
    public const string NativeLibraryName = "libLibTorchSharp.so";

    private static readonly object Gate = new();
    private static bool _done;

    /// <summary>What <see cref="EnsureLoaded"/> did (for logs and tests).</summary>
    public static string Status { get; private set; } = "not run";

    /// <summary>
    /// When the running libstdc++ lacks <see cref="RequiredGlibcxx"/>, marks that version requirement weak in the
    /// copies of libLibTorchSharp.so next to the program; otherwise does nothing. Idempotent and thread-safe.
    /// </summary>
    /// <param name="training">
    /// A training process: also caps oneDNN's instruction set (<see cref="TrainingSafeOneDnnIsa"/>) before libtorch
    /// runs its first kernel; inference keeps every instruction set (oneDNN's forward passes were right with all).
    /// </param>
    public static void EnsureLoaded(bool training = false)
    {
        lock (Gate)
        {
            if (_done) return;
            if (!OperatingSystem.IsLinux())
            {
                Status = "not Linux: nothing to do";
                _done = true;
                return;
            }
            Status = PatchIfNeeded(FindRunningLibStdCxx(), CandidateLibraryPaths()) + (training ? "; " + CapOneDnnIsa() : "");
            _done = true;
        }
    }

    /// <summary>
    /// The decision and the patch, separated from process state so both paths are testable: when
    /// <paramref name="libstdcxx"/> provides <see cref="RequiredGlibcxx"/>, leaves every library untouched.
    /// </summary>
    public static string PatchIfNeeded(string? libstdcxx, IEnumerable<string> libraries)
    {
        if (libstdcxx is not null && FileContainsAscii(libstdcxx, RequiredGlibcxx))
            return $"{libstdcxx} provides {RequiredGlibcxx}: nothing to do";
        var patched = new List<string>();
        foreach (string candidate in libraries)
        {
            if (!File.Exists(candidate)) continue;
            int n = ElfVersionPatcher.MarkVersionRequirementWeak(candidate, RequiredGlibcxx);
            patched.Add($"{candidate} ({(n > 0 ? "patched" : "already weak")})");
        }
        return patched.Count == 0
            ? $"libstdc++ lacks {RequiredGlibcxx} but no {NativeLibraryName} was found next to the program"
            : $"libstdc++ ({libstdcxx ?? "unknown"}) lacks {RequiredGlibcxx}; marked it weak in " + string.Join(", ", patched);
    }

    private static IEnumerable<string> CandidateLibraryPaths()
    {
        string baseDir = AppContext.BaseDirectory;
        yield return Path.Combine(baseDir, NativeLibraryName);
        yield return Path.Combine(baseDir, "runtimes", "linux-x64", "native", NativeLibraryName);
        // TorchSharp also probes next to its own assembly.
        string? torchDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchDir) && !string.Equals(Path.GetFullPath(torchDir).TrimEnd('/'),
                Path.GetFullPath(baseDir).TrimEnd('/'), StringComparison.Ordinal))
            yield return Path.Combine(torchDir, NativeLibraryName);
    }

    /// <summary>The libstdc++ mapped into this process, else the one the dynamic loader would pick.</summary>
    public static string? FindRunningLibStdCxx()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash < 0) continue;
                string path = line[slash..].Trim();
                if (Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal) && File.Exists(path))
                    return path;
            }
        }
        catch (IOException) { }
        foreach (string dir in new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
        {
            string p = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>The environment variable oneDNN reads, once, for the highest instruction set its kernels may use.</summary>
    public const string OneDnnIsaVariable = "ONEDNN_MAX_CPU_ISA";
    /// <summary>
    /// The cap <see cref="EnsureLoaded"/> sets for training when the variable is unset. On a 2-core AMD EPYC VM (AVX-512, 2026-11-30)
    /// the oneDNN 3.7.1 inside libtorch 2.10 CPU returned wrong convolution input gradients (NaN, or off by up to 0.3)
    /// in 30-48% of small random 2D cases and 59 of 200 3D ones with its AVX-512 kernels and 2 of 100 with AVX2; with
    /// SSE4.1 kernels none of 1000 2D and 200 3D cases were wrong, at ~0.6x the AVX-512 speed (native kernels: ~0.3x).
    /// Forward passes were right with every ISA.
    /// </summary>
    public const string TrainingSafeOneDnnIsa = "SSE41";

    /// <summary>What <see cref="CheckTrainingKernels"/> found (for run logs).</summary>
    public static string TrainingKernels { get; private set; } = "not checked";

    private static string CapOneDnnIsa()
    {
        if (GetEnv(OneDnnIsaVariable) != IntPtr.Zero) return $"{OneDnnIsaVariable} set by the caller";
        // Environment.SetEnvironmentVariable does not reach the native environment that oneDNN reads: libc's setenv does.
        SetEnv(OneDnnIsaVariable, TrainingSafeOneDnnIsa, 0);
        return $"oneDNN capped at {TrainingSafeOneDnnIsa} ({OneDnnIsaVariable})";
    }

    /// <summary>
    /// Every training path calls this before its first step: checks that convolution input gradients (2D and 3D, the
    /// small shapes where oneDNN went wrong) equal the transposed convolution that defines them; if any is wrong (the
    /// ISA cap came too late, or a CPU where the capped kernels fail too), turns oneDNN and NNPACK off so libtorch's
    /// native kernels run, and checks again. Throws if the gradients are still wrong. Idempotent.
    /// </summary>
    public static string CheckTrainingKernels()
    {
        lock (Gate)
        {
            if (TrainingKernels != "not checked") return TrainingKernels;
            int wrong = WrongConvolutionGradients();
            if (wrong == 0) return TrainingKernels = $"convolution gradients checked: 0 of 140 wrong (oneDNN {(OneDnnEnabled ? "on" : "off")})";
            try { SetUserEnabledMkldnn(GlobalContext(), false); SetUserEnabledNnpack(GlobalContext(), false); }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                throw new InvalidOperationException($"{wrong} of 140 convolution input gradients wrong and libtorch's oneDNN cannot be turned off ({e.Message})", e);
            }
            int still = WrongConvolutionGradients();
            if (still > 0) throw new InvalidOperationException($"{still} of 140 convolution input gradients wrong even with libtorch's native kernels: training would be wrong");
            return TrainingKernels = $"oneDNN gave {wrong} of 140 wrong convolution input gradients: turned off, native kernels (0 of 140 wrong)";
        }
    }

    /// <summary>
    /// How many of 100 small 2D and 40 3D random convolutions get an input gradient off by more than 1e-4 from the
    /// transposed convolution of ones (the gradient of their sum). <paramref name="seed"/> draws the inputs; the
    /// modules' initial weights draw from the global generator, so trainers check before seeding it.
    /// </summary>
    public static int WrongConvolutionGradients(int seed = 7)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        int wrong = 0;
        foreach (var (cin, cout, h, w) in Enumerable.Repeat(new[] { (8, 1, 6, 4), (8, 8, 6, 4), (16, 1, 10, 16), (1, 8, 6, 4), (64, 1, 10, 16) }, 20).SelectMany(s => s))
        {
            var conv = TorchSharp.torch.nn.Conv2d(cin, cout, 3, padding: 1);
            var x = TorchSharp.torch.rand(new long[] { 4, cin, h, w }, generator: generator).requires_grad_();
            conv.call(x).sum().backward();
            var expected = TorchSharp.torch.nn.functional.conv_transpose2d(TorchSharp.torch.ones(4, cout, h, w), conv.weight!.detach(), padding: new long[] { 1, 1 });
            if (!((x.grad! - expected).abs().max().item<float>() <= 1e-4f)) wrong++;
        }
        foreach (var (cin, cout) in Enumerable.Repeat(new[] { (1, 8), (8, 16), (16, 1), (8, 8), (32, 2) }, 8).SelectMany(s => s))
        {
            var conv = TorchSharp.torch.nn.Conv3d(cin, cout, 3, padding: 1);
            var x = TorchSharp.torch.rand(new long[] { 2, cin, 5, 8, 8 }, generator: generator).requires_grad_();
            conv.call(x).sum().backward();
            var expected = TorchSharp.torch.nn.functional.conv_transpose3d(TorchSharp.torch.ones(new long[] { 2, cout, 5, 8, 8 }), conv.weight!.detach(), padding: new long[] { 1, 1, 1 });
            if (!((x.grad! - expected).abs().max().item<float>() <= 1e-4f)) wrong++;
        }
        return wrong;
    }

    /// <summary>Whether libtorch will use its oneDNN (mkldnn) kernels where it can.</summary>
    public static bool OneDnnEnabled => UserEnabledMkldnn(GlobalContext());

    [DllImport("libc.so.6", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);
    [DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    // at::globalContext(), at::Context::setUserEnabledMkldnn/NNPACK(bool), at::Context::userEnabledMkldnn() const: exported
    // C++ symbols of libtorch_cpu.so (the instance TorchSharp loads); a member function takes `this` first on x64 Linux.
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
    [DllImport("libtorch_cpu", EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    public static bool FileContainsAscii(string path, string text)
    {
        byte[] needle = Encoding.ASCII.GetBytes(text + "\0");
        byte[] data = File.ReadAllBytes(path);
        return data.AsSpan().IndexOf(needle) >= 0;
    }
}

/// <summary>Thrown when a file is not the ELF64 little-endian shared object the patcher expects.</summary>
public sealed class ElfFormatException(string message) : Exception(message);

/// <summary>
/// Edits the GNU version-needs table (<c>.gnu.version_r</c>, SHT_GNU_verneed) of an ELF64 little-endian file:
/// setting VER_FLG_WEAK on a Vernaux entry makes the dynamic loader accept a library that lacks that version
/// (it then only warns under LD_DEBUG) instead of refusing to load.
/// </summary>
public static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    public const ushort VerFlgWeak = 0x2;

    /// <summary>Every Vernaux entry: the needed file, the version name and its flags.</summary>
    public static IReadOnlyList<(string File, string Version, ushort Flags)> ReadVersionNeeds(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        var result = new List<(string, string, ushort)>();
        foreach (var e in Walk(data, path)) result.Add((e.File, e.Version, e.Flags));
        return result;
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/>. Returns how many entries changed
    /// (0 when already weak or absent). The file is rewritten atomically (temp file + rename) only when it changes.
    /// </summary>
    public static int MarkVersionRequirementWeak(string path, string version)
    {
        byte[] data = File.ReadAllBytes(path);
        int changed = 0;
        foreach (var e in Walk(data, path))
        {
            if (e.Version != version || (e.Flags & VerFlgWeak) != 0) continue;
            WriteU16(data, e.FlagsOffset, (ushort)(e.Flags | VerFlgWeak));
            changed++;
        }
        if (changed == 0) return 0;
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(tmp, data);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(tmp, File.GetUnixFileMode(path));
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
        return changed;
    }

    private readonly record struct VernauxEntry(string File, string Version, ushort Flags, int FlagsOffset);

    private static IEnumerable<VernauxEntry> Walk(byte[] d, string path)
    {
        if (d.Length < 64 || d[0] != 0x7f || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F')
            throw new ElfFormatException($"{path}: not an ELF file");
        if (d[4] != 2) throw new ElfFormatException($"{path}: not ELF64 (EI_CLASS={d[4]})");
        if (d[5] != 1) throw new ElfFormatException($"{path}: not little-endian (EI_DATA={d[5]})");
        ulong shoff = ReadU64(d, 0x28, path);
        int shentsize = ReadU16(d, 0x3A, path);
        int shnum = ReadU16(d, 0x3C, path);
        if (shoff == 0 || shnum == 0) throw new ElfFormatException($"{path}: no section headers");
        if (shentsize < 64) throw new ElfFormatException($"{path}: bad section header size {shentsize}");

        var list = new List<VernauxEntry>();
        for (int i = 0; i < shnum; i++)
        {
            int sh = Checked(shoff + (ulong)(i * shentsize), 64, d, path);
            if (ReadU32(d, sh + 4, path) != ShtGnuVerneed) continue;
            int off = Checked(ReadU64(d, sh + 0x18, path), 0, d, path);
            ulong size = ReadU64(d, sh + 0x20, path);
            Checked((ulong)off, (long)size, d, path);
            int link = (int)ReadU32(d, sh + 0x28, path);
            int count = (int)ReadU32(d, sh + 0x2C, path);
            if (link >= shnum) throw new ElfFormatException($"{path}: verneed sh_link {link} out of range");
            int strSh = Checked(shoff + (ulong)(link * shentsize), 64, d, path);
            int strOff = Checked(ReadU64(d, strSh + 0x18, path), 0, d, path);
            int strSize = (int)ReadU64(d, strSh + 0x20, path);

            int vn = off;
            for (int k = 0; k < count; k++)
            {
                Checked((ulong)vn, 16, d, path);
                int vnCnt = ReadU16(d, vn + 2, path);
                string file = ReadString(d, strOff, strSize, ReadU32(d, vn + 4, path), path);
                int aux = vn + (int)ReadU32(d, vn + 8, path);
                for (int a = 0; a < vnCnt; a++)
                {
                    Checked((ulong)aux, 16, d, path);
                    ushort flags = ReadU16(d, aux + 4, path);
                    string name = ReadString(d, strOff, strSize, ReadU32(d, aux + 8, path), path);
                    list.Add(new VernauxEntry(file, name, flags, aux + 4));
                    uint next = ReadU32(d, aux + 12, path);
                    if (next == 0) break;
                    aux += (int)next;
                }
                uint vnNext = ReadU32(d, vn + 12, path);
                if (vnNext == 0) break;
                vn += (int)vnNext;
            }
        }
        return list;
    }

    private static int Checked(ulong offset, long length, byte[] d, string path)
    {
        if (offset > (ulong)d.Length || (ulong)length > (ulong)d.Length - offset)
            throw new ElfFormatException($"{path}: truncated or corrupt (offset {offset} + {length} beyond {d.Length} bytes)");
        return (int)offset;
    }

    private static string ReadString(byte[] d, int strOff, int strSize, uint index, string path)
    {
        if (index >= strSize) throw new ElfFormatException($"{path}: string index {index} outside the string table");
        int start = strOff + (int)index;
        int end = Array.IndexOf(d, (byte)0, start, strOff + strSize - start);
        if (end < 0) throw new ElfFormatException($"{path}: unterminated string in the string table");
        return Encoding.ASCII.GetString(d, start, end - start);
    }

    private static ushort ReadU16(byte[] d, int o, string path) { Checked((ulong)o, 2, d, path); return BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(o)); }
    private static uint ReadU32(byte[] d, int o, string path) { Checked((ulong)o, 4, d, path); return BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(o)); }
    private static ulong ReadU64(byte[] d, int o, string path) { Checked((ulong)o, 8, d, path); return BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(o)); }
    private static void WriteU16(byte[] d, int o, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(o), v);
}
