using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vad.Teachers.Networks;

/// <summary>
/// T1's convolutional auto-encoder for one modality (appearance 1x64x64 or motion 2x32x32): <c>levels</c> stride-2
/// convolutions down to a 32 x 4 x 4 bottleneck, mirrored by upsampling + convolution stages.
/// </summary>
public sealed class ConvAutoEncoder : Module<Tensor, Tensor>
{
    private readonly Sequential encoder;
    private readonly Sequential decoder;

    public ConvAutoEncoder(string name, int channels, int levels, bool sigmoidOutput) : base(name)
    {
        var enc = new List<(string, Module<Tensor, Tensor>)>();
        int c = channels;
        for (int l = 0; l < levels; l++)
        {
            int o = l == 0 ? 16 : 32;
            enc.Add(($"conv{l}", Conv2d(c, o, 3, stride: 2, padding: 1)));
            enc.Add(($"relu{l}", ReLU()));
            c = o;
        }
        var dec = new List<(string, Module<Tensor, Tensor>)>();
        for (int l = levels - 1; l >= 0; l--)
        {
            int o = l switch { 0 => channels, 1 => 8, 2 => 16, _ => 32 }; // a light decoder: most of the cost is here
            // nearest upsampling + conv: as expressive here as a transposed conv and far faster on CPU
            dec.Add(($"up{l}", Upsample(scale_factor: new double[] { 2, 2 }, mode: UpsampleMode.Nearest)));
            dec.Add(($"conv{l}", Conv2d(c, o, 3, padding: 1)));
            if (l > 0) dec.Add(($"relu{l}", ReLU()));
            c = o;
        }
        if (sigmoidOutput) dec.Add(("sigmoid", Sigmoid()));
        encoder = Sequential(enc);
        decoder = Sequential(dec);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => decoder.forward(encoder.forward(x));
}

/// <summary>T1's binary classifier (normal vs pseudo-abnormal): three stride-2 convs, global max pooling, one logit.</summary>
public sealed class CropClassifier : Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Linear fc;

    public CropClassifier(string name, int channels) : base(name)
    {
        features = Sequential(
            ("conv0", Conv2d(channels, 16, 3, stride: 2, padding: 1)), ("relu0", ReLU()),
            ("conv1", Conv2d(16, 32, 3, stride: 2, padding: 1)), ("relu1", ReLU()),
            ("conv2", Conv2d(32, 32, 3, stride: 2, padding: 1)), ("relu2", ReLU()));
        fc = Linear(32, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var f = features.forward(x);
        using var pooled = f.amax(new long[] { 2, 3 });
        return fc.forward(pooled).squeeze(1);
    }
}

/// <summary>
/// T2 (self-supervised multi-task, object level): a 3D-conv trunk over the object's stack of crops (frames i-3..i+3)
/// with the arrow-of-time and motion-irregularity heads (one logit each), and a middle-box prediction branch that
/// predicts the middle crop from the six others.
/// </summary>
public sealed class MultiTaskNetwork : Module<Tensor, (Tensor ArrowOfTime, Tensor Irregularity)>
{
    private readonly Sequential trunk;
    private readonly Linear arrowOfTime;
    private readonly Linear motionIrregularity;
    private readonly Sequential middleBox;

    public MultiTaskNetwork(string name) : base(name)
    {
        trunk = Sequential(
            ("conv0", Conv3d(1, 8, (3, 3, 3), stride: (1, 2, 2), padding: (1, 1, 1))), ("relu0", ReLU()),
            ("conv1", Conv3d(8, 16, (3, 3, 3), stride: (1, 2, 2), padding: (1, 1, 1))), ("relu1", ReLU()),
            ("conv2", Conv3d(16, 32, (3, 3, 3), stride: (1, 1, 1), padding: (1, 1, 1))), ("relu2", ReLU()));
        arrowOfTime = Linear(32, 1);
        motionIrregularity = Linear(32, 1);
        middleBox = Sequential(
            ("conv0", Conv2d(6, 16, 3, stride: 2, padding: 1)), ("relu0", ReLU()),
            ("conv1", Conv2d(16, 32, 3, stride: 2, padding: 1)), ("relu1", ReLU()),
            ("up1", Upsample(scale_factor: new double[] { 2, 2 }, mode: UpsampleMode.Nearest)),
            ("conv2", Conv2d(32, 16, 3, padding: 1)), ("relu2", ReLU()),
            ("up0", Upsample(scale_factor: new double[] { 2, 2 }, mode: UpsampleMode.Nearest)),
            ("conv3", Conv2d(16, 1, 3, padding: 1)), ("sigmoid", Sigmoid()));
        RegisterComponents();
    }

    /// <param name="stack">[B, 1, 7, S, S] crops, pixel/255.</param>
    public override (Tensor ArrowOfTime, Tensor Irregularity) forward(Tensor stack)
    {
        using var f = trunk.forward(stack);
        using var pooled = f.amax(new long[] { 2, 3, 4 });
        return (arrowOfTime.forward(pooled).squeeze(1), motionIrregularity.forward(pooled).squeeze(1));
    }

    /// <param name="neighbours">[B, 6, S, S]: the stack without its middle crop.</param>
    public Tensor PredictMiddle(Tensor neighbours) => middleBox.forward(neighbours);
}
