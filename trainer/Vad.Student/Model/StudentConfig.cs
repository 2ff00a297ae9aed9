using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vad.Student.Model;

/// <summary>The MLP of a CvT block: the paper's two pointwise convolutions, or per-token fully-connected layers.</summary>
public enum MlpKind { Pointwise, FullyConnected }

/// <summary>Normalisation inside a CvT block: the paper's BatchNorm after the attention skip, or the authors' LayerNorm pre-norm.</summary>
public enum NormKind { BatchNorm, LayerNormPreNorm }

/// <summary>Non-linearity of the downsampling block and the MLP: the paper's ReLU or the authors' GELU.</summary>
public enum ActivationKind { ReLU, Gelu }

/// <summary>How the multi-teacher adversarial distillation is set up (paper, ablation of the discriminators).</summary>
public enum AdversarialMode
{
    /// <summary>One binary discriminator per teacher (the paper's default).</summary>
    PerTeacher,
    /// <summary>One discriminator with three classes: teacher 1, teacher 2, student.</summary>
    ThreeClass,
    /// <summary>One discriminator per teacher with two output branches merged by element-wise max.</summary>
    TwoBranch,
}

public sealed class StudentConfigException(string message) : Exception(message);

/// <summary>
/// Every hyper-parameter of the student (paper, section 3). Symbols follow the paper: m CvT blocks, s heads,
/// d projection size per head, c channels of the token map.
/// </summary>
public sealed record StudentConfig
{
    public string Profile { get; init; } = "custom";
    public int InputWidth { get; init; } = 256;
    public int InputHeight { get; init; } = 160;
    /// <summary>Channels per frame: 1 gray, 3 RGB.</summary>
    public int Channels { get; init; } = 1;
    /// <summary>Frames stacked on channels: 3 = [x(i-t), x(i), x(i+t)], 1 = x(i) only.</summary>
    public int Frames { get; init; } = 3;
    /// <summary>t, the temporal stride of the triple.</summary>
    public int StrideT { get; init; } = 3;
    /// <summary>Filters of the downsampling block's conv layers (the last is c).</summary>
    public int[] DownsamplingFilters { get; init; } = [16, 32, 64, 128, 256];
    public int FirstKernel { get; init; } = 7;
    /// <summary>Authors' code: first conv stride 1 with reflection padding (paper: stride 2, no padding).</summary>
    public bool AuthorsFirstConv { get; init; }
    /// <summary>m.</summary>
    public int Blocks { get; init; } = 5;
    /// <summary>s.</summary>
    public int Heads { get; init; } = 5;
    /// <summary>d.</summary>
    public int HeadDim { get; init; } = 64;
    public int MlpRatio { get; init; } = 4;
    public MlpKind Mlp { get; init; } = MlpKind.Pointwise;
    public NormKind Norm { get; init; } = NormKind.BatchNorm;
    public ActivationKind Activation { get; init; } = ActivationKind.ReLU;
    /// <summary>Anomaly-map resolutions r of the heads (each head outputs r x r).</summary>
    public int[] HeadResolutions { get; init; } = [1, 4, 16];
    public int HeadHidden { get; init; } = 64;

    /// <summary>c.</summary>
    [JsonIgnore] public int C => DownsamplingFilters[^1];
    [JsonIgnore] public int InputChannels => Frames * Channels;

    /// <summary>Height and width of the token map the CvT blocks see.</summary>
    [JsonIgnore]
    public (int Height, int Width) TokenMap
    {
        get
        {
            int h = InputHeight, w = InputWidth;
            // The authors' first conv (stride 1, reflection padding) keeps the size; the paper's (stride 2, no padding) does not.
            if (!AuthorsFirstConv) { h = (h - FirstKernel) / 2 + 1; w = (w - FirstKernel) / 2 + 1; }
            for (int i = 1; i < DownsamplingFilters.Length; i++) { h = (h - 1) / 2 + 1; w = (w - 1) / 2 + 1; }
            return (h, w);
        }
    }

    public void Validate()
    {
        void Check(bool ok, string what) { if (!ok) throw new StudentConfigException($"invalid student config ({Profile}): {what}"); }
        Check(InputWidth >= 32 && InputHeight >= 32, $"input {InputWidth}x{InputHeight} is too small");
        Check(Channels is 1 or 3, $"channels must be 1 (gray) or 3 (RGB), got {Channels}");
        Check(Frames is 1 or 3, $"frames must be 1 or 3, got {Frames}");
        Check(StrideT >= 1, "t must be >= 1");
        Check(DownsamplingFilters.Length >= 2 && DownsamplingFilters.All(f => f > 0), "downsampling filters");
        Check(FirstKernel is >= 1 and <= 11 && FirstKernel % 2 == 1, "first kernel must be odd");
        Check(Blocks >= 0 && Heads >= 1 && HeadDim >= 1 && MlpRatio >= 1, "m, s, d, mlp ratio");
        Check(HeadResolutions.Length >= 1 && HeadResolutions.All(r => r >= 1) && HeadResolutions.Distinct().Count() == HeadResolutions.Length,
            "head resolutions must be distinct and >= 1");
        var (h, w) = TokenMap;
        Check(h >= 1 && w >= 1, $"token map {h}x{w} is empty");
    }

    /// <summary>The paper's student (section 3) at Ped2's native 360x240, RGB frames as the paper uses; heads 1, 4, 16
    /// (the paper's 30x30 and 60x60 Ped2 heads need the authors' stride-1 variant and a 4x larger token map; the teacher
    /// caches hold 1, 4, 16).</summary>
    public static StudentConfig Paper => new() { Profile = "paper", InputWidth = 360, InputHeight = 240, Channels = 3 };

    /// <summary>Sized from measurements on the 2-core dev VM (see README): 256x160 gray, c = 128 (last downsampling conv
    /// 128 filters) and m = 2 CvT blocks, 0.19 GFLOPs/frame, about 2000 frames/s at batch 32 on 2 ONNX Runtime threads;
    /// the paper-width c = 256, m = 5 at the same input (0.48 GFLOPs) ran at 750 frames/s, only 2.7x the faster teacher.</summary>
    public static StudentConfig Cpu => new()
    {
        Profile = "cpu", InputWidth = 256, InputHeight = 160, Channels = 1,
        DownsamplingFilters = [16, 32, 64, 128, 128], Blocks = 2,
    };

    public static StudentConfig ForProfile(string name) => name switch
    {
        "paper" => Paper,
        "cpu" => Cpu,
        _ => throw new StudentConfigException($"unknown profile '{name}' (known: paper, cpu)"),
    };

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    /// <summary>The input/head contract of an exported student, from its manifest (what scoring needs; no layer sizes).</summary>
    public static StudentConfig FromManifest(Vad.Core.Models.StudentManifest m) => new()
    {
        Profile = m.Profile, InputWidth = m.InputWidth, InputHeight = m.InputHeight,
        Channels = m.Channels, Frames = m.Frames, StrideT = m.StrideT, HeadResolutions = m.Heads,
    };

    public static StudentConfig FromJson(string json) =>
        JsonSerializer.Deserialize<StudentConfig>(json, Json) ?? throw new StudentConfigException("empty student config JSON");
}
