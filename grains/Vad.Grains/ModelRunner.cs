using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Vad.Contracts;
using Vad.Core.Models;

namespace Vad.Grains;

/// <summary>
/// One loaded student: an ONNX Runtime session created once, with input and output tensors bound to pooled buffers
/// sized for the largest batch, so scoring a batch allocates nothing per frame but its result messages.
/// Not thread-safe: one batching loop owns it. A swap replaces the whole runner between two batches.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _input;
    private readonly float[][] _headOutputs;
    private readonly string[] _outputNames;
    private readonly string[] _inputNames = ["input"];
    // OrtValues over the pooled buffers, one per batch size (created on first use, then reused).
    private readonly OrtValue?[] _inputValues;
    private readonly OrtValue?[][] _outputValues;
    private readonly int _mapHead;
    private readonly int _frameBytes;

    public ModelInfo Info { get; }
    public string Provider { get; }
    public int MaxBatchSize { get; }
    public int FrameBytes => _frameBytes;

    private ModelRunner(InferenceSession session, ModelInfo info, string provider, int maxBatchSize)
    {
        _session = session;
        Info = info;
        Provider = provider;
        MaxBatchSize = maxBatchSize;
        int planes = 3 * info.Channels;
        _frameBytes = info.InputWidth * info.InputHeight * info.Channels;
        _input = new float[maxBatchSize * planes * info.InputWidth * info.InputHeight];
        _outputNames = info.Heads.Select(r => $"head_{r}").ToArray();
        _headOutputs = info.Heads.Select(r => new float[maxBatchSize * r * r]).ToArray();
        _inputValues = new OrtValue?[maxBatchSize + 1];
        _outputValues = new OrtValue?[maxBatchSize + 1][];
        // The map sent back to cameras: the 16x16 head when present, else the finest head.
        int idx = Array.IndexOf(info.Heads, 16);
        _mapHead = idx >= 0 ? idx : Array.IndexOf(info.Heads, info.Heads.Max());
    }

    /// <summary>
    /// Loads <paramref name="onnxPath"/> (+ manifest next to it when present), tries CUDA on <paramref name="cudaDevice"/>
    /// and falls back to CPU with a log line, and validates the graph against the student contract with one dry run.
    /// </summary>
    public static ModelRunner Load(string onnxPath, int? cudaDevice, int maxBatchSize, int intraOpThreads, ILogger logger)
    {
        if (!File.Exists(onnxPath))
            throw new FileNotFoundException($"student model not found: {onnxPath}", onnxPath);
        string version = StudentManifest.HashFile(onnxPath);
        StudentManifest? manifest = null;
        string manifestPath = StudentManifest.PathFor(onnxPath);
        if (File.Exists(manifestPath))
        {
            manifest = StudentManifest.Load(manifestPath);
            string declared = manifest.Version.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) ? manifest.Version[7..] : manifest.Version;
            if (!string.IsNullOrEmpty(declared) && !string.Equals(declared, version, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{manifestPath}: version {manifest.Version} does not match the sha256 of {onnxPath} ({version})");
        }

        string provider = "CPU";
        InferenceSession? session = null;
        if (cudaDevice is int device)
        {
            try
            {
                using var gpuOptions = MakeOptions(intraOpThreads);
                gpuOptions.AppendExecutionProvider_CUDA(device);
                session = new InferenceSession(onnxPath, gpuOptions);
                provider = $"CUDA:{device}";
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
            {
                logger.LogWarning("CUDA execution provider unavailable on device {Device} ({Error}); falling back to CPU",
                    device, e.Message.Split('\n')[0]);
                provider = $"CPU (CUDA:{device} unavailable)";
            }
        }
        if (session is null)
        {
            using var cpuOptions = MakeOptions(intraOpThreads);
            session = new InferenceSession(onnxPath, cpuOptions);
        }

        try
        {
            var info = Describe(session, manifest, onnxPath, version);
            var runner = new ModelRunner(session, info, provider, maxBatchSize);
            runner.DryRun();
            logger.LogInformation("Loaded student {Path} version {Version} ({W}x{H}, {C} channel(s), stride {T}, heads {Heads}) on {Provider}",
                onnxPath, version[..12], info.InputWidth, info.InputHeight, info.Channels, info.StrideT, string.Join(",", info.Heads), provider);
            return runner;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static SessionOptions MakeOptions(int intraOpThreads)
    {
        var o = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads > 0) o.IntraOpNumThreads = intraOpThreads;
        return o;
    }

    private static ModelInfo Describe(InferenceSession session, StudentManifest? manifest, string path, string version)
    {
        if (!session.InputMetadata.TryGetValue("input", out var input))
            throw new InvalidDataException($"{path}: the student graph has no input named 'input' (has {string.Join(", ", session.InputMetadata.Keys)})");
        int[] dims = input.Dimensions;
        if (dims.Length != 4)
            throw new InvalidDataException($"{path}: input must be [N, 3*C, H, W], got rank {dims.Length}");
        int planes = dims[1], h = dims[2], w = dims[3];
        // Symbolic spatial sizes: the manifest says what the student was trained at.
        if (h <= 0 || w <= 0)
        {
            if (manifest is null)
                throw new InvalidDataException($"{path}: the input size is symbolic and there is no manifest {StudentManifest.PathFor(path)}");
            (h, w) = (manifest.InputHeight, manifest.InputWidth);
        }
        if (planes <= 0 && manifest is not null) planes = 3 * manifest.Channels;
        int frames = manifest?.Frames ?? 3;
        if (frames != 3)
            throw new InvalidDataException($"{path}: the cluster serves 3-frame triples, the manifest says {frames} frames");
        if (planes is not (3 or 9))
            throw new InvalidDataException($"{path}: input channels must be 3 (gray) or 9 (RGB) for a triple, got {planes}");
        if (manifest is not null && (manifest.InputWidth != w || manifest.InputHeight != h || manifest.Channels * 3 != planes))
            throw new InvalidDataException($"{path}: manifest says {manifest.InputWidth}x{manifest.InputHeight}x{manifest.Channels}, graph input is {w}x{h} with {planes} planes");
        var heads = session.OutputMetadata.Keys
            .Where(k => k.StartsWith("head_", StringComparison.Ordinal))
            .Select(k => int.TryParse(k.AsSpan(5), out int r) ? r : throw new InvalidDataException($"{path}: bad head name {k}"))
            .Order().ToArray();
        if (heads.Length == 0)
            throw new InvalidDataException($"{path}: the student graph has no head_<r> outputs (has {string.Join(", ", session.OutputMetadata.Keys)})");
        return new ModelInfo
        {
            Version = version,
            InputWidth = w,
            InputHeight = h,
            Channels = planes / 3,
            StrideT = manifest?.StrideT ?? 3,
            Heads = heads,
            Path = Path.GetFullPath(path),
        };
    }

    private void DryRun()
    {
        Array.Clear(_input, 0, _input.Length / MaxBatchSize);
        Run(1);
        foreach (var (r, buffer) in Info.Heads.Zip(_headOutputs))
            if (!float.IsFinite(buffer[0]))
                throw new InvalidDataException($"{Info.Path}: head_{r} gives a non-finite value on a blank triple");
    }

    /// <summary>Writes triple <paramref name="slot"/> of the next batch into the pooled input (pixel/255, planes prev|centre|next).</summary>
    public void Stage(int slot, TripleRequest t)
    {
        int plane = Info.InputWidth * Info.InputHeight;
        int c = Info.Channels;
        var span = _input.AsSpan(slot * 3 * c * plane, 3 * c * plane);
        WriteFrame(t.Previous, span[..(c * plane)], c, plane);
        WriteFrame(t.Center, span.Slice(c * plane, c * plane), c, plane);
        WriteFrame(t.Next, span.Slice(2 * c * plane, c * plane), c, plane);
    }

    private static void WriteFrame(byte[] pixels, Span<float> dest, int channels, int plane)
    {
        const float scale = 1f / 255f;
        if (channels == 1)
        {
            for (int i = 0; i < plane; i++) dest[i] = pixels[i] * scale;
            return;
        }
        // Interleaved RGB bytes -> planar R, G, B.
        for (int i = 0, p = 0; i < plane; i++, p += 3)
        {
            dest[i] = pixels[p] * scale;
            dest[plane + i] = pixels[p + 1] * scale;
            dest[2 * plane + i] = pixels[p + 2] * scale;
        }
    }

    /// <summary>Runs the first <paramref name="n"/> staged triples.</summary>
    public void Run(int n)
    {
        if (n < 1 || n > MaxBatchSize) throw new ArgumentOutOfRangeException(nameof(n));
        var input = _inputValues[n] ??= OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, n * 3 * Info.Channels * Info.InputWidth * Info.InputHeight),
            [n, 3 * Info.Channels, Info.InputHeight, Info.InputWidth]);
        var outputs = _outputValues[n] ??= Info.Heads.Select((r, i) => (OrtValue?)OrtValue.CreateTensorValueFromMemory(
            OrtMemoryInfo.DefaultInstance, _headOutputs[i].AsMemory(0, n * r * r), [n, 1, r, r])).ToArray();
        _session.Run(_runOptions, _inputNames, [input], _outputNames, outputs!);
    }

    /// <summary>Frame score of slot <paramref name="slot"/>: mean over heads of each map's maximum.</summary>
    public float Score(int slot)
    {
        float sum = 0;
        for (int h = 0; h < Info.Heads.Length; h++)
        {
            int rr = Info.Heads[h] * Info.Heads[h];
            var map = _headOutputs[h].AsSpan(slot * rr, rr);
            float max = float.NegativeInfinity;
            foreach (float v in map) if (v > max) max = v;
            sum += max;
        }
        return sum / Info.Heads.Length;
    }

    public int MapSize => Info.Heads[_mapHead];

    public float[] CopyMap(int slot)
    {
        int r = MapSize;
        return _headOutputs[_mapHead].AsSpan(slot * r * r, r * r).ToArray();
    }

    public void Dispose()
    {
        foreach (var v in _inputValues) v?.Dispose();
        foreach (var arr in _outputValues) if (arr is not null) foreach (var v in arr) v?.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
