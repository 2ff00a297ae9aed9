using Vad.Core.Datasets;
using Vad.Core.Frames;
using Vad.Core.Maps;
using Vad.Student.Model;

namespace Vad.Student.Training;

/// <summary>A clip decoded once at the student's input size (row-major, interleaved channels).</summary>
public sealed record ClipFrames(string Name, int Width, int Height, int Channels, IReadOnlyList<byte[]> Frames);

/// <summary>Builds the student's input: frames x(i-t), x(i), x(i+t) (edges clamped) stacked on channels, pixel/255.</summary>
public static class StudentInput
{
    /// <summary>Indices of the frames stacked for frame i, in channel order (the same at training and test time).</summary>
    public static int[] FrameIndices(int i, int count, StudentConfig cfg) => cfg.Frames == 1
        ? [i]
        : [Math.Max(0, i - cfg.StrideT), i, Math.Min(count - 1, i + cfg.StrideT)];

    /// <summary>Writes the [F*C, H, W] input of frame <paramref name="i"/> of <paramref name="clip"/> into <paramref name="dst"/>.</summary>
    public static void Fill(ClipFrames clip, int i, StudentConfig cfg, Span<float> dst)
    {
        var idx = FrameIndices(i, clip.Frames.Count, cfg);
        for (int f = 0; f < idx.Length; f++) FillFrame(clip.Frames[idx[f]], clip.Width, clip.Height, cfg.Channels, dst[(f * cfg.Channels * clip.Width * clip.Height)..]);
    }

    /// <summary>HWC bytes -> CHW floats in [0, 1].</summary>
    public static void FillFrame(byte[] hwc, int width, int height, int channels, Span<float> dst)
    {
        int plane = width * height;
        const float inv = 1f / 255f;
        if (channels == 1)
        {
            for (int p = 0; p < plane; p++) dst[p] = hwc[p] * inv;
            return;
        }
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < channels; c++)
                dst[c * plane + p] = hwc[p * channels + c] * inv;
    }

    /// <summary>The clip played <paramref name="factor"/> times faster (<see cref="PlaybackSpeed"/>; 1: the clip itself).</summary>
    public static ClipFrames SpedUp(ClipFrames clip, double factor) =>
        factor == 1 ? clip : clip with { Frames = PlaybackSpeed.Apply(clip.Frames, factor) };

    /// <summary>The clip played <paramref name="factor"/> times faster in <paramref name="region"/> only (<see cref="PlaybackSpeed"/>).</summary>
    public static ClipFrames SpedUp(ClipFrames clip, double factor, SpeedRegion region) => region == SpeedRegion.Frame || factor == 1
        ? SpedUp(clip, factor)
        : clip with { Frames = PlaybackSpeed.Apply(clip.Frames, factor, region, (fast, normal) => PlaybackSpeed.CompositeRows(fast, normal, clip.Width * clip.Channels, region)) };

    public static ClipFrames Decode(DatasetVideo video, StudentConfig cfg)
    {
        var options = new FrameSourceOptions
        {
            Width = cfg.InputWidth,
            Height = cfg.InputHeight,
            PixelFormat = cfg.Channels == 1 ? FramePixelFormat.Gray8 : FramePixelFormat.Rgb24,
        };
        using var source = FrameSource.Open(video.Source, options);
        var frames = source.ReadFrames().Select(f => f.Data).ToList();
        return new ClipFrames(video.Name, cfg.InputWidth, cfg.InputHeight, cfg.Channels, frames);
    }
}

/// <summary>Left-right mirroring of training samples (<see cref="Training.TrainOptions.Mirror"/>).</summary>
public static class MirrorAugmentation
{
    /// <summary>
    /// Whether <paramref name="sample"/> is mirrored in (<paramref name="phase"/>, <paramref name="epoch"/>): a fixed
    /// draw (probability 1/2) from a hash of the four numbers, so it does not depend on which batch the sample is in, and a
    /// resumed run draws what the interrupted one would have.
    /// </summary>
    public static bool IsMirrored(int seed, int phase, int epoch, int sample)
    {
        // SplitMix64's finaliser over the packed numbers: every input bit reaches the top bit.
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)phase << 56) ^ ((ulong)(uint)epoch << 32) ^ (uint)sample;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 63) != 0;
    }

    /// <summary>Reverses every row (of <paramref name="width"/> values) of a row-major block in place.</summary>
    public static void MirrorRows(Span<float> block, int width)
    {
        if (width <= 0 || block.Length % width != 0) throw new ArgumentException($"a block of {block.Length} values is not rows of {width}");
        for (int row = 0; row < block.Length; row += width) block.Slice(row, width).Reverse();
    }

    /// <summary>
    /// Mirrors batch entry b where <paramref name="mirrored"/>[b]: its input frames ([F*C, H, W]), its middle frame
    /// ([C, H, W]) and every teacher's map at every head ([r, r]), in the buffers' layouts of <see cref="IDistillationData.Fill"/>.
    /// </summary>
    public static void Apply(StudentConfig cfg, IReadOnlyList<bool> mirrored, float[] input, float[]? middle, float[][][]? targets)
    {
        int frameSize = cfg.InputChannels * cfg.InputHeight * cfg.InputWidth, plane = cfg.Channels * cfg.InputHeight * cfg.InputWidth;
        for (int b = 0; b < mirrored.Count; b++)
        {
            if (!mirrored[b]) continue;
            MirrorRows(input.AsSpan(b * frameSize, frameSize), cfg.InputWidth);
            if (middle is not null) MirrorRows(middle.AsSpan(b * plane, plane), cfg.InputWidth);
            if (targets is null) continue;
            foreach (var perHead in targets)
                for (int h = 0; h < cfg.HeadResolutions.Length; h++)
                {
                    int r = cfg.HeadResolutions[h];
                    MirrorRows(perHead[h].AsSpan(b * r * r, r * r), r);
                }
        }
    }
}

/// <summary>Training samples for both phases: inputs, the middle frame (phase 1) and every teacher's maps (phase 2).</summary>
public interface IDistillationData
{
    StudentConfig Config { get; }
    int Count { get; }
    IReadOnlyList<string> Teachers { get; }
    /// <summary>input: B*F*C*H*W; middle: B*C*H*W; targets[teacher][head]: B*r*r (null when only phase 1 is needed).</summary>
    void Fill(ReadOnlySpan<int> samples, float[] input, float[]? middle, float[][][]? targets);
    /// <summary>Where sample <paramref name="sample"/> comes from, for error messages.</summary>
    string Describe(int sample) => $"sample {sample}";
}

/// <summary>The normal training clips of a dataset with the teachers' cached maps of the same frames.</summary>
public sealed class CachedDistillationData : IDistillationData
{
    private readonly List<ClipFrames> clips;
    private readonly List<string> clipSplits;
    private readonly List<(int Clip, int Frame)> samples = new();
    // maps[teacher][clip] -> cached file
    private readonly AnomalyMapFile[][] maps;
    private readonly int[][] headIndex;

    public StudentConfig Config { get; }
    public int Count => samples.Count;
    public IReadOnlyList<string> Teachers { get; }
    /// <summary>Per teacher: the divisor applied to its maps (a high percentile of its training frame scores) so both teachers' targets share a scale.</summary>
    public IReadOnlyDictionary<string, float> TeacherScales { get; }
    /// <summary>
    /// Per teacher: the floor subtracted from its scaled maps (a quantile of its scaled training frame scores; empty
    /// when off). A target cell becomes max(0, v - floor): objects as odd as a typical normal frame's most anomalous
    /// one become 0, so the maps say "anomalous" rather than "an object is here". Not stretched back to [0, 1]: the
    /// teachers keep the relative weight their scales give them.
    /// </summary>
    public IReadOnlyDictionary<string, float> TeacherFloors { get; }
    public IReadOnlyDictionary<string, string> TeacherHashes { get; }

    public CachedDistillationData(StudentConfig cfg, IReadOnlyList<ClipFrames> clips, string? teachersRoot, string split,
        IReadOnlyList<string>? teachers = null, double scalePercentile = 0.99, double? floorQuantile = null)
        : this(cfg, clips.Select(c => (c, split)).ToList(), teachersRoot, teachers, scalePercentile, floorQuantile) { }

    /// <summary>Clips from one or more splits, each with the teachers' maps of its split (labels are never read).</summary>
    public CachedDistillationData(StudentConfig cfg, IReadOnlyList<(ClipFrames Clip, string Split)> splitClips, string? teachersRoot,
        IReadOnlyList<string>? teachers = null, double scalePercentile = 0.99, double? floorQuantile = null)
    {
        if (floorQuantile is { } fq && !(fq is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(floorQuantile), fq, "a quantile in [0, 1)");
        var clips = splitClips.Select(c => c.Clip).ToList();
        Config = cfg;
        this.clips = clips.ToList();
        clipSplits = splitClips.Select(c => c.Split).ToList();
        for (int c = 0; c < clips.Count; c++)
            for (int f = 0; f < clips[c].Frames.Count; f++) samples.Add((c, f));
        if (teachersRoot is null)
        {
            Teachers = [];
            maps = [];
            headIndex = [];
            TeacherScales = new Dictionary<string, float>();
            TeacherFloors = new Dictionary<string, float>();
            TeacherHashes = new Dictionary<string, string>();
            return;
        }
        string mapsRoot = Path.Combine(teachersRoot, "maps");
        if (!Directory.Exists(mapsRoot)) throw new AnomalyMapCacheException($"no teacher map cache under {mapsRoot}");
        Teachers = teachers ?? Directory.GetDirectories(mapsRoot).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        if (Teachers.Count == 0) throw new AnomalyMapCacheException($"no teachers in {mapsRoot}");
        maps = new AnomalyMapFile[Teachers.Count][];
        headIndex = new int[Teachers.Count][];
        var scales = new Dictionary<string, float>();
        var floors = new Dictionary<string, float>();
        var hashes = new Dictionary<string, string>();
        for (int t = 0; t < Teachers.Count; t++)
        {
            string dir = AnomalyMapCache.TeacherDir(teachersRoot, Teachers[t]);
            try { hashes[Teachers[t]] = AnomalyMapCache.ReadManifest(dir).WeightsSha256; }
            catch (AnomalyMapCacheException) { hashes[Teachers[t]] = "unknown (no manifest)"; }
            maps[t] = new AnomalyMapFile[clips.Count];
            for (int c = 0; c < clips.Count; c++)
            {
                string split = splitClips[c].Split;
                string path = AnomalyMapCache.VideoPath(teachersRoot, Teachers[t], split, clips[c].Name);
                if (!File.Exists(path)) throw new AnomalyMapCacheException($"teacher {Teachers[t]}: no cached maps for {split}/{clips[c].Name} ({path})");
                var file = AnomalyMapCache.Read(path);
                if (file.Frames.Count != clips[c].Frames.Count)
                    throw new AnomalyMapCacheException($"{path}: {file.Frames.Count} frames cached, the clip has {clips[c].Frames.Count}");
                maps[t][c] = file;
            }
            var header = maps[t][0].Header;
            headIndex[t] = cfg.HeadResolutions.Select(r =>
            {
                int k = Array.IndexOf(header.Resolutions, r);
                if (k < 0) throw new AnomalyMapCacheException($"teacher {Teachers[t]} caches resolutions {string.Join(",", header.Resolutions)}, the student needs {r}");
                return k;
            }).ToArray();
            // The scale comes from the training split's frames only (all clips when none is from it).
            // A clip listed more than once (repeated per epoch) counts once.
            var scaleClips = Enumerable.Range(0, clips.Count).Where(c => splitClips[c].Split == "train")
                .DistinctBy(c => (clips[c].Name, splitClips[c].Split)).DefaultIfEmpty(-1).ToList();
            var scores = (scaleClips[0] < 0 ? maps[t] : scaleClips.Select(c => maps[t][c]))
                .SelectMany(m => m.Frames.Select(f => f.Score)).Order().ToArray();
            float q = Quantile(scores, scalePercentile, 1f);
            scales[Teachers[t]] = q > 1e-6f ? q : 1f;
            if (floorQuantile is { } fq2) floors[Teachers[t]] = Quantile(scores, fq2, 0f) / scales[Teachers[t]];
        }
        TeacherScales = scales;
        TeacherFloors = floors;
        TeacherHashes = hashes;
    }

    /// <summary>The value at quantile <paramref name="q"/> of sorted <paramref name="sorted"/> (<paramref name="empty"/> when there is none).</summary>
    private static float Quantile(float[] sorted, double q, float empty) =>
        sorted.Length == 0 ? empty : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    public string Describe(int sample) => $"{clipSplits[samples[sample].Clip]}/{clips[samples[sample].Clip].Name} frame {samples[sample].Frame}";

    public void Fill(ReadOnlySpan<int> batch, float[] input, float[]? middle, float[][][]? targets)
    {
        var cfg = Config;
        int frameSize = cfg.InputChannels * cfg.InputHeight * cfg.InputWidth;
        int plane = cfg.Channels * cfg.InputHeight * cfg.InputWidth;
        for (int b = 0; b < batch.Length; b++)
        {
            var (c, f) = samples[batch[b]];
            var clip = clips[c];
            StudentInput.Fill(clip, f, cfg, input.AsSpan(b * frameSize, frameSize));
            if (middle is not null) StudentInput.FillFrame(clip.Frames[f], clip.Width, clip.Height, cfg.Channels, middle.AsSpan(b * plane, plane));
            if (targets is null) continue;
            for (int t = 0; t < maps.Length; t++)
            {
                float inv = 1f / TeacherScales[Teachers[t]];
                float floor = TeacherFloors.GetValueOrDefault(Teachers[t]);
                var fm = maps[t][c].Frames[f];
                for (int h = 0; h < cfg.HeadResolutions.Length; h++)
                {
                    int rr = cfg.HeadResolutions[h] * cfg.HeadResolutions[h];
                    var src = fm.Maps[headIndex[t][h]];
                    var dst = targets[t][h].AsSpan(b * rr, rr);
                    for (int k = 0; k < rr; k++) dst[k] = Math.Max(0f, src[k] * inv - floor);
                }
            }
        }
    }
}

/// <summary>Random frames with targets that are a fixed function of the input (block brightness), for tests and smoke runs.</summary>
public sealed class SyntheticDistillationData : IDistillationData
{
    private readonly float[][] inputs;

    public StudentConfig Config { get; }
    public int Count => inputs.Length;
    public IReadOnlyList<string> Teachers { get; }

    public SyntheticDistillationData(StudentConfig cfg, int count, int teachers, int seed)
    {
        Config = cfg;
        Teachers = Enumerable.Range(1, teachers).Select(i => $"t{i}").ToList();
        var rng = new Random(seed);
        int size = cfg.InputChannels * cfg.InputHeight * cfg.InputWidth;
        inputs = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, size).Select(_ => (float)rng.NextDouble()).ToArray()).ToArray();
    }

    public void Fill(ReadOnlySpan<int> batch, float[] input, float[]? middle, float[][][]? targets)
    {
        var cfg = Config;
        int size = cfg.InputChannels * cfg.InputHeight * cfg.InputWidth, plane = cfg.Channels * cfg.InputHeight * cfg.InputWidth;
        int mid = cfg.Frames == 1 ? 0 : cfg.Channels * cfg.InputHeight * cfg.InputWidth;
        for (int b = 0; b < batch.Length; b++)
        {
            var x = inputs[batch[b]];
            x.CopyTo(input.AsSpan(b * size));
            if (middle is not null) x.AsSpan(mid, plane).CopyTo(middle.AsSpan(b * plane));
            if (targets is null) continue;
            for (int t = 0; t < Teachers.Count; t++)
                for (int h = 0; h < cfg.HeadResolutions.Length; h++)
                {
                    int r = cfg.HeadResolutions[h];
                    for (int i = 0; i < r; i++)
                        for (int j = 0; j < r; j++)
                        {
                            int y = Math.Min(cfg.InputHeight - 1, i * cfg.InputHeight / r), xx = Math.Min(cfg.InputWidth - 1, j * cfg.InputWidth / r);
                            targets[t][h][b * r * r + i * r + j] = x[mid + y * cfg.InputWidth + xx] * (t + 1) * 0.5f;
                        }
                }
        }
    }
}
