using TorchSharp;
using static TorchSharp.torch;

namespace Vad.Student.Model;

/// <summary>ReLU or GELU (exact, erf form), as configured.</summary>
public sealed class Activation : nn.Module<Tensor, Tensor>
{
    public ActivationKind Kind { get; }
    public Activation(ActivationKind kind) : base(nameof(Activation)) { Kind = kind; }
    public override Tensor forward(Tensor x) => Kind == ActivationKind.ReLU ? nn.functional.relu(x) : nn.functional.gelu(x);
}

/// <summary>Reflection padding on both spatial sides (the authors' first conv).</summary>
public sealed class ReflectionPadding : nn.Module<Tensor, Tensor>
{
    public int Padding { get; }
    public ReflectionPadding(int padding) : base(nameof(ReflectionPadding)) { Padding = padding; }
    public override Tensor forward(Tensor x) =>
        nn.functional.pad(x, new long[] { Padding, Padding, Padding, Padding }, PaddingModes.Reflect);
}

/// <summary>LayerNorm over the channels of an NCHW tensor (the authors' pre-norm on the token map).</summary>
public sealed class ChannelLayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.LayerNorm norm;
    public ChannelLayerNorm(int channels) : base(nameof(ChannelLayerNorm))
    {
        norm = nn.LayerNorm(channels);
        RegisterComponents();
    }
    public TorchSharp.Modules.LayerNorm Norm => norm;
    public override Tensor forward(Tensor x) => norm.call(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
}

/// <summary>
/// torch's AdaptiveMaxPool2d to r x r. Bins may overlap and, when r exceeds the map, repeat cells (the exporter
/// writes it as Gather + ReduceMax over the same bins).
/// </summary>
public sealed class AdaptiveMaxPool : nn.Module<Tensor, Tensor>
{
    public int Resolution { get; }
    public AdaptiveMaxPool(int resolution) : base(nameof(AdaptiveMaxPool)) { Resolution = resolution; }
    public override Tensor forward(Tensor x) => nn.functional.adaptive_max_pool2d(x, new long[] { Resolution, Resolution });

    /// <summary>Input rows (or columns) of bin i: [floor(i*n/r), ceil((i+1)*n/r)).</summary>
    public static (int Start, int End) Bin(int i, int n, int r) => (i * n / r, ((i + 1) * n + r - 1) / r);
}

/// <summary>Conv + BatchNorm + activation, the unit of the downsampling block.</summary>
public static class Layers
{
    public static nn.Module<Tensor, Tensor> ConvBnAct(int inC, int outC, int kernel, int stride, int padding, ActivationKind act) =>
        nn.Sequential(
            ("conv", nn.Conv2d(inC, outC, kernel, stride: stride, padding: padding, bias: false)),
            ("bn", nn.BatchNorm2d(outC)),
            ("act", new Activation(act)));
}
