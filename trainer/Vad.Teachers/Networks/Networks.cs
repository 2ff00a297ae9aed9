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
/// predicts the middle crop from the six others. The trunk has 8-16-32 channels times <c>width</c>
/// (<see cref="Teachers.TeacherConfig.T2Width"/>); the middle-box branch does not depend on it.
/// </summary>
public sealed class MultiTaskNetwork : Module<Tensor, (Tensor ArrowOfTime, Tensor Irregularity)>
{
    private readonly Sequential trunk;
    private readonly Linear arrowOfTime;
    private readonly Linear motionIrregularity;
    private readonly Sequential middleBox;

    public MultiTaskNetwork(string name, int width = 1) : base(name)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "T2's trunk width multiplier must be at least 1");
        int c0 = 8 * width, c1 = 16 * width, c2 = 32 * width;
        trunk = Sequential(
            ("conv0", Conv3d(1, c0, (3, 3, 3), stride: (1, 2, 2), padding: (1, 1, 1))), ("relu0", ReLU()),
            ("conv1", Conv3d(c0, c1, (3, 3, 3), stride: (1, 2, 2), padding: (1, 1, 1))), ("relu1", ReLU()),
            ("conv2", Conv3d(c1, c2, (3, 3, 3), stride: (1, 1, 1), padding: (1, 1, 1))), ("relu2", ReLU()));
        arrowOfTime = Linear(c2, 1);
        motionIrregularity = Linear(c2, 1);
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

/// <summary>
/// T2's fourth task, after the knowledge-distillation task of Georgescu et al. (CVPR 2021), who train their network to
/// reproduce a pre-trained detector's outputs on the object's middle crop. No pre-trained weights exist here, so the
/// teacher is a fixed, randomly initialised convolutional network (random-target distillation, Burda et al., ICLR 2019):
/// a predictor learns its normalised features on normal objects' appearance crops only, and the squared difference is
/// an appearance-novelty score: it stays small on what resembles the training objects and grows on shapes never seen
/// (a cart, a bicycle side-on), which the temporal tasks cannot tell from a walker moving at walking pace.
/// </summary>
public sealed class RandomTargetDistillation : Module<Tensor, Tensor>
{
    public const int Features = 64;
    private readonly Sequential target;
    private readonly Sequential predictor;
    // Per-feature mean and standard deviation of the target's outputs over the training objects: the predictor learns
    // standardised features, so that no feature's scale dominates the error.
    private readonly Tensor targetMean;
    private readonly Tensor targetStd;

    /// <param name="seed">Seeds the target's random weights (saved with the predictor, so loading needs no seed).</param>
    public RandomTargetDistillation(string name, int seed) : base(name)
    {
        torch.manual_seed(seed);
        target = Sequential(
            ("conv0", Conv2d(1, 16, 3, stride: 2, padding: 1)), ("act0", LeakyReLU(0.2)),
            ("conv1", Conv2d(16, 32, 3, stride: 2, padding: 1)), ("act1", LeakyReLU(0.2)),
            ("conv2", Conv2d(32, 64, 3, stride: 2, padding: 1)), ("act2", LeakyReLU(0.2)),
            ("conv3", Conv2d(64, 64, 3, stride: 2, padding: 1)), ("act3", LeakyReLU(0.2)),
            ("flatten", Flatten()), ("fc", Linear(64 * 4 * 4, Features)));
        predictor = Sequential(
            ("conv0", Conv2d(1, 32, 3, stride: 2, padding: 1)), ("act0", LeakyReLU(0.2)),
            ("conv1", Conv2d(32, 64, 3, stride: 2, padding: 1)), ("act1", LeakyReLU(0.2)),
            ("conv2", Conv2d(64, 64, 3, stride: 2, padding: 1)), ("act2", LeakyReLU(0.2)),
            ("conv3", Conv2d(64, 64, 3, stride: 2, padding: 1)), ("act3", LeakyReLU(0.2)),
            ("flatten", Flatten()), ("fc0", Linear(64 * 4 * 4, 256)), ("act4", ReLU()), ("fc1", Linear(256, Features)));
        targetMean = torch.zeros(Features);
        targetStd = torch.ones(Features);
        RegisterComponents();
        foreach (var p in target.parameters()) p.requires_grad = false;
    }

    /// <summary>The predictor's parameters (the target is never trained).</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> PredictorParameters() => predictor.parameters();

    /// <summary>Sets the target's feature normalisation from its outputs on the training crops [N, 1, 64, 64].</summary>
    public void FitTargetNormalisation(Tensor crops)
    {
        using var _ = torch.no_grad();
        using var f = target.forward(crops);
        targetMean.copy_(f.mean(new long[] { 0 }));
        using var sd = f.std(0);
        targetStd.copy_(sd.clamp_min(1e-6));
    }

    /// <summary>Per crop [B, 1, 64, 64] (pixel/255): the mean squared difference between predicted and target features.</summary>
    public override Tensor forward(Tensor crops)
    {
        Tensor t;
        using (torch.no_grad())
        using (var raw = target.forward(crops))
            t = (raw - targetMean) / targetStd;
        using (t)
        using (var p = predictor.forward(crops))
            return (p - t).pow(2).mean(new long[] { 1 });
    }
}
