using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Vad.Core.Models;

/// <summary>
/// The manifest <c>X.json</c> written next to a student <c>X.onnx</c> (snake_case JSON). The ONNX contract: input
/// <c>input</c> float32 [N, Frames*Channels, InputHeight, InputWidth] (pixel/255, frames x(i-t), x(i), x(i+t) stacked on
/// channels in that order); outputs <c>head_r</c> float32 [N, 1, r, r] for each r in <see cref="Heads"/>.
/// </summary>
public sealed record StudentManifest
{
    /// <summary>sha256 hex of the ONNX bytes: a version is immutable.</summary>
    public string Version { get; init; } = "";
    public int InputWidth { get; init; }
    public int InputHeight { get; init; }
    /// <summary>1 = gray, 3 = RGB.</summary>
    public int Channels { get; init; } = 1;
    public int Frames { get; init; } = 3;
    public int StrideT { get; init; } = 3;
    public string Normalisation { get; init; } = "pixel/255";
    public int[] Heads { get; init; } = [1, 4, 16];
    public string Profile { get; init; } = "";
    public DateTime CreatedUtc { get; init; }
    public string TrainingData { get; init; } = "";
    public Dictionary<string, string> TeacherHashes { get; init; } = new();
    public Dictionary<string, double> Metrics { get; init; } = new();
    /// <summary>The command that trained the model (empty for models exported before it was recorded).</summary>
    public string TrainCommand { get; init; } = "";
    /// <summary>The run's training options as the trainer resolved them (epochs, batch, learning rate, loss weights such
    /// as alpha, lambda and max_weight, seed, weight averaging); null for models exported before they were recorded.</summary>
    public JsonObject? TrainOptions { get; init; }
    /// <summary>Optional: the frame score of the golden triple (Vad.Grains.ModelValidation.GoldenTriple); a rollout checks it on every inference grain.</summary>
    public double? GoldenScore { get; init; }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The manifest path that goes with an ONNX path (<c>X.onnx</c> -> <c>X.json</c>).</summary>
    public static string PathFor(string onnxPath) => Path.ChangeExtension(onnxPath, ".json");

    public static StudentManifest Load(string jsonPath)
    {
        var m = JsonSerializer.Deserialize<StudentManifest>(File.ReadAllText(jsonPath), JsonOptions)
            ?? throw new InvalidDataException($"{jsonPath}: empty manifest");
        if (m.InputWidth <= 0 || m.InputHeight <= 0 || m.Channels is not (1 or 3) || m.Frames <= 0 || m.StrideT <= 0)
            throw new InvalidDataException(
                $"{jsonPath}: invalid manifest (input {m.InputWidth}x{m.InputHeight}, channels {m.Channels}, frames {m.Frames}, stride_t {m.StrideT})");
        return m;
    }

    public void Save(string jsonPath) => File.WriteAllText(jsonPath, JsonSerializer.Serialize(this, JsonOptions));

    /// <summary>sha256 hex of a file's bytes (the version of an ONNX model).</summary>
    public static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }
}
