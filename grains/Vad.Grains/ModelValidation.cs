using Vad.Contracts;
using Vad.Core.Models;

namespace Vad.Grains;

/// <summary>
/// Checks a loaded runner against its manifest before it may serve: input size and channels, the heads, and, when the
/// manifest carries one, the golden score (the frame score of a fixed synthetic triple).
/// </summary>
public static class ModelValidation
{
    /// <summary>Deterministic triple of the model's size: a bright square moving 6 px right over a gradient.</summary>
    public static TripleRequest GoldenTriple(ModelInfo model)
    {
        byte[] Frame(int shift)
        {
            int w = model.InputWidth, h = model.InputHeight, c = model.Channels;
            var px = new byte[w * h * c];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    bool square = x - shift >= w / 3 && x - shift < w / 3 + h / 4 && y >= h / 3 && y < h / 3 + h / 4;
                    byte v = square ? (byte)230 : (byte)((x * 3 + y * 5) % 128);
                    for (int k = 0; k < c; k++) px[(y * w + x) * c + k] = v;
                }
            return px;
        }
        return new TripleRequest
        {
            CameraId = "golden", Width = model.InputWidth, Height = model.InputHeight, Format = model.Format,
            Previous = Frame(0), Center = Frame(3), Next = Frame(6),
        };
    }

    public static float GoldenScore(ModelRunner runner)
    {
        runner.Stage(0, GoldenTriple(runner.Info));
        runner.Run(1);
        return runner.Score(0);
    }

    /// <summary>Throws <see cref="ModelRejectedException"/> with the first mismatch.</summary>
    public static void Validate(ModelRunner runner, StudentManifest manifest, string version)
    {
        var info = runner.Info;
        string v = version[..Math.Min(12, version.Length)];
        if (!string.Equals(info.Version, version, StringComparison.OrdinalIgnoreCase))
            throw new ModelRejectedException($"version {v}: the ONNX bytes hash to {info.Version}");
        if (info.InputWidth != manifest.InputWidth || info.InputHeight != manifest.InputHeight || info.Channels != manifest.Channels)
            throw new ModelRejectedException(
                $"version {v}: graph input {info.InputWidth}x{info.InputHeight}x{info.Channels}, manifest {manifest.InputWidth}x{manifest.InputHeight}x{manifest.Channels}");
        if (!info.Heads.SequenceEqual(manifest.Heads.Order()))
            throw new ModelRejectedException($"version {v}: graph heads [{string.Join(',', info.Heads)}], manifest [{string.Join(',', manifest.Heads)}]");
        if (manifest.GoldenScore is double golden)
        {
            double got = GoldenScore(runner);
            if (!double.IsFinite(got) || Math.Abs(got - golden) > 1e-3 + 1e-2 * Math.Abs(golden))
                throw new ModelRejectedException($"version {v}: golden triple scores {got:G6}, manifest says {golden:G6}");
        }
    }

    /// <summary>Validates a runner against the shape the serving version takes (cameras send triples of that size).</summary>
    public static void CompatibleWith(ModelInfo candidate, ModelInfo serving)
    {
        if (candidate.InputWidth != serving.InputWidth || candidate.InputHeight != serving.InputHeight || candidate.Channels != serving.Channels)
            throw new ModelRejectedException(
                $"version {candidate.Version[..12]} takes {candidate.InputWidth}x{candidate.InputHeight}x{candidate.Channels}, cameras send {serving.InputWidth}x{serving.InputHeight}x{serving.Channels} (the serving version's input)");
    }
}
