using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vad.Core.Maps;

/// <summary>Header of one cached video: which teacher, split, video, frame size and head resolutions.</summary>
public sealed record AnomalyMapHeader
{
    public required string Teacher { get; init; }
    public required string Split { get; init; }
    public required string Video { get; init; }
    public required int FrameWidth { get; init; }
    public required int FrameHeight { get; init; }
    /// <summary>Head resolutions r: each frame stores an r x r max-pooled map per entry, in this order.</summary>
    public required int[] Resolutions { get; init; }
    public int FrameCount { get; init; }
    public string? WeightsSha256 { get; init; }
}

/// <summary>One frame of a cached video: the frame score (= full-resolution map maximum) and the pooled maps.</summary>
public sealed class FrameMaps
{
    public FrameMaps(float score, float[][] maps)
    {
        Score = score;
        Maps = maps;
    }

    public float Score { get; }
    /// <summary>Maps[k] is the r_k x r_k map (row-major) for <see cref="AnomalyMapHeader.Resolutions"/>[k].</summary>
    public float[][] Maps { get; }
}

/// <summary>A whole cached video.</summary>
public sealed record AnomalyMapFile(AnomalyMapHeader Header, IReadOnlyList<FrameMaps> Frames)
{
    /// <summary>The r x r map of frame <paramref name="frame"/> for resolution r (must be one of the header's).</summary>
    public float[] Map(int frame, int resolution)
    {
        int k = Array.IndexOf(Header.Resolutions, resolution);
        if (k < 0) throw new ArgumentException($"resolution {resolution} is not cached (have {string.Join(",", Header.Resolutions)})");
        return Frames[frame].Maps[k];
    }
}

/// <summary>The manifest of a cache directory for one teacher (<c>manifest.json</c>).</summary>
public sealed record AnomalyMapManifest
{
    public required string Teacher { get; init; }
    public required string WeightsSha256 { get; init; }
    public required string Dataset { get; init; }
    public required int[] Resolutions { get; init; }
    public Dictionary<string, string> Config { get; init; } = new();
    public string CreatedUtc { get; init; } = DateTime.UtcNow.ToString("O");
}

public sealed class AnomalyMapCacheException(string message) : Exception(message);

/// <summary>
/// Teacher anomaly-map cache: ONE compact file per (teacher, split, video) at
/// <c>&lt;root&gt;/maps/&lt;teacher&gt;/&lt;split&gt;/&lt;video&gt;.maps</c>, plus <c>&lt;root&gt;/maps/&lt;teacher&gt;/manifest.json</c>.
/// File layout (little-endian): magic "VADMAPS1", int32 n, n bytes of UTF-8 JSON header (snake_case
/// <see cref="AnomalyMapHeader"/>), then for every frame: float32 score, then for each resolution r: r*r float32
/// (row-major, y then x). Maps are max-pooled like torch's AdaptiveMaxPool2d from the full-resolution map.
/// </summary>
public static class AnomalyMapCache
{
    public static readonly byte[] Magic = "VADMAPS1"u8.ToArray();
    public static readonly int[] DefaultResolutions = [1, 4, 16];
    public const string ManifestFileName = "manifest.json";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string TeacherDir(string root, string teacher) => Path.Combine(root, "maps", teacher);
    public static string VideoPath(string root, string teacher, string split, string video) =>
        Path.Combine(root, "maps", teacher, split, video + ".maps");

    public static void Write(string path, AnomalyMapHeader header, IReadOnlyList<FrameMaps> frames)
    {
        header = header with { FrameCount = frames.Count };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var bw = new BinaryWriter(fs))
        {
            bw.Write(Magic);
            bw.Write(json.Length);
            bw.Write(json);
            for (int f = 0; f < frames.Count; f++)
            {
                var fm = frames[f];
                if (fm.Maps.Length != header.Resolutions.Length)
                    throw new AnomalyMapCacheException($"frame {f}: {fm.Maps.Length} maps for {header.Resolutions.Length} resolutions");
                bw.Write(fm.Score);
                for (int k = 0; k < fm.Maps.Length; k++)
                {
                    int r = header.Resolutions[k];
                    if (fm.Maps[k].Length != r * r)
                        throw new AnomalyMapCacheException($"frame {f}: map {k} has {fm.Maps[k].Length} values, expected {r}x{r}");
                    bw.Write(MemoryMarshal.AsBytes(fm.Maps[k].AsSpan()));
                }
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static AnomalyMapHeader ReadHeader(string path)
    {
        using var fs = File.OpenRead(path);
        return ReadHeader(fs, path);
    }

    public static AnomalyMapFile Read(string path)
    {
        using var fs = File.OpenRead(path);
        var header = ReadHeader(fs, path);
        int perFrame = 1 + header.Resolutions.Sum(r => r * r);
        long expected = (long)perFrame * 4 * header.FrameCount;
        if (fs.Length - fs.Position != expected)
            throw new AnomalyMapCacheException($"{path}: {fs.Length - fs.Position} data bytes, expected {expected} for {header.FrameCount} frames");
        var buf = new byte[perFrame * 4];
        var frames = new List<FrameMaps>(header.FrameCount);
        for (int f = 0; f < header.FrameCount; f++)
        {
            fs.ReadExactly(buf);
            var floats = MemoryMarshal.Cast<byte, float>(buf.AsSpan());
            float score = floats[0];
            var maps = new float[header.Resolutions.Length][];
            int o = 1;
            for (int k = 0; k < maps.Length; k++)
            {
                int n = header.Resolutions[k] * header.Resolutions[k];
                maps[k] = floats.Slice(o, n).ToArray();
                o += n;
            }
            frames.Add(new FrameMaps(score, maps));
        }
        return new AnomalyMapFile(header, frames);
    }

    private static AnomalyMapHeader ReadHeader(Stream fs, string path)
    {
        Span<byte> magic = stackalloc byte[8];
        if (fs.Read(magic) != 8 || !magic.SequenceEqual(Magic))
            throw new AnomalyMapCacheException($"{path}: not an anomaly-map cache file (bad magic)");
        Span<byte> len = stackalloc byte[4];
        fs.ReadExactly(len);
        int n = BinaryPrimitives.ReadInt32LittleEndian(len);
        if (n <= 0 || n > 1 << 20) throw new AnomalyMapCacheException($"{path}: bad header length {n}");
        var json = new byte[n];
        fs.ReadExactly(json);
        return JsonSerializer.Deserialize<AnomalyMapHeader>(json, Json)
               ?? throw new AnomalyMapCacheException($"{path}: empty header");
    }

    public static void WriteManifest(string teacherDir, AnomalyMapManifest manifest)
    {
        Directory.CreateDirectory(teacherDir);
        var opts = new JsonSerializerOptions(Json) { WriteIndented = true };
        File.WriteAllText(Path.Combine(teacherDir, ManifestFileName), JsonSerializer.Serialize(manifest, opts), new UTF8Encoding(false));
    }

    public static AnomalyMapManifest ReadManifest(string teacherDir)
    {
        string p = Path.Combine(teacherDir, ManifestFileName);
        if (!File.Exists(p)) throw new AnomalyMapCacheException($"no {ManifestFileName} in {teacherDir}");
        return JsonSerializer.Deserialize<AnomalyMapManifest>(File.ReadAllText(p), Json)
               ?? throw new AnomalyMapCacheException($"{p}: empty manifest");
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
    public static string Sha256OfFile(string path) => Sha256Hex(File.ReadAllBytes(path));
}

/// <summary>A detected object's box (pixels, full frame) with its anomaly score.</summary>
public readonly record struct ScoredBox(int X, int Y, int Width, int Height, float Score);

/// <summary>Paints boxes into a full-resolution anomaly map and max-pools it to head resolutions.</summary>
public static class AnomalyMapPainter
{
    /// <summary>Full-resolution map: every pixel holds the max score of the boxes covering it, 0 elsewhere.</summary>
    public static float[] Paint(int width, int height, IEnumerable<ScoredBox> boxes)
    {
        var map = new float[width * height];
        foreach (var b in boxes)
        {
            int x0 = Math.Clamp(b.X, 0, width), x1 = Math.Clamp(b.X + b.Width, 0, width);
            int y0 = Math.Clamp(b.Y, 0, height), y1 = Math.Clamp(b.Y + b.Height, 0, height);
            for (int y = y0; y < y1; y++)
            {
                var row = map.AsSpan(y * width + x0, x1 - x0);
                for (int x = 0; x < row.Length; x++)
                    if (b.Score > row[x]) row[x] = b.Score;
            }
        }
        return map;
    }

    /// <summary>
    /// r x r max pooling with torch AdaptiveMaxPool2d bins: cell i covers rows [floor(i*H/r), ceil((i+1)*H/r)).
    /// </summary>
    public static float[] MaxPool(float[] map, int width, int height, int r)
    {
        if (map.Length != width * height) throw new ArgumentException("map size does not match width x height");
        var pooled = new float[r * r];
        for (int i = 0; i < r; i++)
        {
            int y0 = i * height / r, y1 = ((i + 1) * height + r - 1) / r;
            for (int j = 0; j < r; j++)
            {
                int x0 = j * width / r, x1 = ((j + 1) * width + r - 1) / r;
                float m = float.NegativeInfinity;
                for (int y = y0; y < y1; y++)
                {
                    var row = map.AsSpan(y * width + x0, x1 - x0);
                    foreach (float v in row) if (v > m) m = v;
                }
                pooled[i * r + j] = m;
            }
        }
        return pooled;
    }

    /// <summary>The cached form of one frame: paint, score = map max (0 with no boxes), pool to each resolution.</summary>
    public static FrameMaps FrameFromBoxes(int width, int height, IReadOnlyCollection<ScoredBox> boxes, int[] resolutions)
    {
        var full = Paint(width, height, boxes);
        float score = 0f;
        foreach (float v in full) if (v > score) score = v;
        var maps = new float[resolutions.Length][];
        for (int k = 0; k < resolutions.Length; k++) maps[k] = MaxPool(full, width, height, resolutions[k]);
        return new FrameMaps(score, maps);
    }
}
