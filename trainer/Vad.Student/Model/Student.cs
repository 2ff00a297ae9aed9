using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vad.Student.Model;

/// <summary>
/// Paper: five conv layers (16 filters 7x7 without padding, then 32, 64, 128, 256 filters 3x3 padding 1; stride 2;
/// each + BatchNorm + ReLU). Authors' variant: the first conv has stride 1 and reflection padding.
/// </summary>
public sealed class DownsamplingBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public DownsamplingBlock(StudentConfig cfg) : base(nameof(DownsamplingBlock))
    {
        layers = nn.Sequential();
        int inC = cfg.InputChannels;
        for (int i = 0; i < cfg.DownsamplingFilters.Length; i++)
        {
            int outC = cfg.DownsamplingFilters[i];
            if (i == 0 && cfg.AuthorsFirstConv)
            {
                layers.append("pad0", new ReflectionPadding(cfg.FirstKernel / 2));
                layers.append("conv0", Layers.ConvBnAct(inC, outC, cfg.FirstKernel, 1, 0, cfg.Activation));
            }
            else if (i == 0)
                layers.append("conv0", Layers.ConvBnAct(inC, outC, cfg.FirstKernel, 2, 0, cfg.Activation));
            else
                layers.append($"conv{i}", Layers.ConvBnAct(inC, outC, 3, 2, 1, cfg.Activation));
            inC = outC;
        }
        RegisterComponents();
    }

    public Sequential Sequence => layers;
    public override Tensor forward(Tensor x) => layers.call(x);
}

/// <summary>
/// The convolutional projection of all s heads at once: per head a depthwise 3x3 conv (stride 1 for Q, 2 for K/V),
/// BatchNorm, and a pointwise conv to d. Written as the input repeated s times (head-major), one depthwise conv over
/// s*c channels and a pointwise conv with s groups: exactly s independent per-head projections, in three layers.
/// </summary>
public sealed class ConvolutionalProjection : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d depthwise;
    private readonly BatchNorm2d bn;
    private readonly Conv2d pointwise;
    public int HeadCount { get; }

    public ConvolutionalProjection(int c, int heads, int d, int stride) : base(nameof(ConvolutionalProjection))
    {
        HeadCount = heads;
        depthwise = nn.Conv2d(c * heads, c * heads, 3, stride: stride, padding: 1, groups: c * heads, bias: false);
        bn = nn.BatchNorm2d(c * heads);
        pointwise = nn.Conv2d(c * heads, d * heads, 1, groups: heads);
        RegisterComponents();
    }

    public Conv2d Depthwise => depthwise;
    public BatchNorm2d Bn => bn;
    public Conv2d Pointwise => pointwise;

    public override Tensor forward(Tensor x)
    {
        using var repeated = HeadCount == 1 ? x.alias() : cat(Enumerable.Repeat(x, HeadCount).ToArray(), 1);
        return pointwise.call(bn.call(depthwise.call(repeated)));
    }
}

/// <summary>s heads of softmax(QK^T / sqrt(d)) V over the token map, concatenated, pointwise conv back to c.</summary>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    private readonly ConvolutionalProjection query, key, value;
    private readonly Conv2d output;
    public int HeadCount { get; }
    public int HeadDim { get; }

    public MultiHeadAttention(int c, int heads, int d) : base(nameof(MultiHeadAttention))
    {
        HeadCount = heads;
        HeadDim = d;
        query = new ConvolutionalProjection(c, heads, d, 1);
        key = new ConvolutionalProjection(c, heads, d, 2);
        value = new ConvolutionalProjection(c, heads, d, 2);
        output = nn.Conv2d(heads * d, c, 1);
        RegisterComponents();
    }

    public ConvolutionalProjection Query => query;
    public ConvolutionalProjection Key => key;
    public ConvolutionalProjection Value => value;
    public Conv2d Output => output;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var q = query.call(x).reshape(n, HeadCount, HeadDim, -1).transpose(2, 3);   // [n, s, hw, d]
        var k = key.call(x).reshape(n, HeadCount, HeadDim, -1);                      // [n, s, d, hw']
        var v = value.call(x).reshape(n, HeadCount, HeadDim, -1).transpose(2, 3);   // [n, s, hw', d]
        var attn = softmax(matmul(q, k) * (1.0 / Math.Sqrt(HeadDim)), -1);
        var o = matmul(attn, v).transpose(2, 3).reshape(n, HeadCount * HeadDim, h, w);
        return output.call(o).MoveToOuterDisposeScope();
    }
}

/// <summary>The MLP of a CvT block: c -> ratio*c -> c, as pointwise convs or per-token linear layers.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> fc1, fc2;
    private readonly Activation act;
    public MlpKind Kind { get; }

    public Mlp(int c, int ratio, MlpKind kind, ActivationKind activation) : base(nameof(Mlp))
    {
        Kind = kind;
        if (kind == MlpKind.Pointwise)
        {
            fc1 = nn.Conv2d(c, c * ratio, 1);
            fc2 = nn.Conv2d(c * ratio, c, 1);
        }
        else
        {
            fc1 = nn.Linear(c, c * ratio);
            fc2 = nn.Linear(c * ratio, c);
        }
        act = new Activation(activation);
        RegisterComponents();
    }

    public nn.Module<Tensor, Tensor> Fc1 => fc1;
    public nn.Module<Tensor, Tensor> Fc2 => fc2;
    public Activation Act => act;

    public override Tensor forward(Tensor x)
    {
        if (Kind == MlpKind.Pointwise) return fc2.call(act.call(fc1.call(x)));
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var tokens = x.reshape(n, c, h * w).transpose(1, 2);                  // [n, hw, c]
        var y = fc2.call(act.call(fc1.call(tokens)));
        return y.transpose(1, 2).reshape(n, c, h, w).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Paper: x + MHA(x) -> BatchNorm -> y + MLP(y). Authors' variant (LayerNorm pre-norm): x + MHA(LN(x)) -> y + MLP(LN(y)).
/// </summary>
public sealed class CvtBlock : nn.Module<Tensor, Tensor>
{
    private readonly MultiHeadAttention attention;
    private readonly Mlp mlp;
    private readonly nn.Module<Tensor, Tensor> norm1;
    private readonly nn.Module<Tensor, Tensor>? norm2;
    public NormKind Kind { get; }

    public CvtBlock(StudentConfig cfg) : base(nameof(CvtBlock))
    {
        Kind = cfg.Norm;
        attention = new MultiHeadAttention(cfg.C, cfg.Heads, cfg.HeadDim);
        mlp = new Mlp(cfg.C, cfg.MlpRatio, cfg.Mlp, cfg.Activation);
        if (cfg.Norm == NormKind.BatchNorm) norm1 = nn.BatchNorm2d(cfg.C);
        else { norm1 = new ChannelLayerNorm(cfg.C); norm2 = new ChannelLayerNorm(cfg.C); }
        RegisterComponents();
    }

    public MultiHeadAttention Attention => attention;
    public Mlp MlpLayer => mlp;
    public nn.Module<Tensor, Tensor> Norm1 => norm1;
    public nn.Module<Tensor, Tensor>? Norm2 => norm2;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor y;
        if (Kind == NormKind.BatchNorm)
        {
            y = norm1.call(x + attention.call(x));
            return (y + mlp.call(y)).MoveToOuterDisposeScope();
        }
        y = x + attention.call(norm1.call(x));
        return (y + mlp.call(norm2!.call(y))).MoveToOuterDisposeScope();
    }
}

/// <summary>conv 3x3 to 64 + ReLU, conv 3x3 to 1, max pooling to r x r: one anomaly map.</summary>
public sealed class AnomalyHead : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1, conv2;
    private readonly Activation act;
    private readonly AdaptiveMaxPool pool;
    public int Resolution { get; }

    public AnomalyHead(int c, int hidden, int resolution) : base(nameof(AnomalyHead))
    {
        Resolution = resolution;
        conv1 = nn.Conv2d(c, hidden, 3, padding: 1);
        act = new Activation(ActivationKind.ReLU);
        conv2 = nn.Conv2d(hidden, 1, 3, padding: 1);
        pool = new AdaptiveMaxPool(resolution);
        RegisterComponents();
    }

    public Conv2d Conv1 => conv1;
    public Conv2d Conv2 => conv2;
    public Activation Act => act;
    public AdaptiveMaxPool Pool => pool;

    public override Tensor forward(Tensor x) => pool.call(conv2.call(act.call(conv1.call(x))));
}

/// <summary>The student: downsampling block, m CvT blocks, one anomaly head per resolution.</summary>
public sealed class StudentNetwork : nn.Module<Tensor, Tensor[]>
{
    private readonly DownsamplingBlock downsampling;
    private readonly Sequential transformer;
    private readonly ModuleList<AnomalyHead> heads;
    public StudentConfig Config { get; }

    public StudentNetwork(StudentConfig cfg) : base(nameof(StudentNetwork))
    {
        cfg.Validate();
        Config = cfg;
        downsampling = new DownsamplingBlock(cfg);
        transformer = nn.Sequential();
        for (int i = 0; i < cfg.Blocks; i++) transformer.append($"block{i}", new CvtBlock(cfg));
        heads = new ModuleList<AnomalyHead>(cfg.HeadResolutions.Select(r => new AnomalyHead(cfg.C, cfg.HeadHidden, r)).ToArray());
        RegisterComponents();
    }

    public DownsamplingBlock Downsampling => downsampling;
    public Sequential Transformer => transformer;
    public IReadOnlyList<AnomalyHead> Heads => heads.ToList();

    /// <summary>The token map [N, c, h, w] (the encoder, shared by the decoder in phase 1).</summary>
    public Tensor Encode(Tensor x) => transformer.call(downsampling.call(x));

    public Tensor[] Predict(Tensor features) => heads.Select(h => h.call(features)).ToArray();

    public override Tensor[] forward(Tensor x)
    {
        using var f = Encode(x);
        return Predict(f);
    }

    /// <summary>The encoder's parameters (downsampling + CvT blocks).</summary>
    public IEnumerable<Parameter> EncoderParameters() => downsampling.parameters().Concat(transformer.parameters());
}

/// <summary>Phase 1: transposed convs from the token map back to the middle frame (sigmoid, pixel/255).</summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;
    private readonly long outH, outW;

    public Decoder(StudentConfig cfg) : base(nameof(Decoder))
    {
        outH = cfg.InputHeight;
        outW = cfg.InputWidth;
        layers = nn.Sequential();
        int upsamplings = cfg.DownsamplingFilters.Length - (cfg.AuthorsFirstConv ? 1 : 0);
        int inC = cfg.C;
        for (int i = 0; i < upsamplings; i++)
        {
            bool last = i == upsamplings - 1;
            // Narrow on purpose: the decoder only serves phase 1 and would otherwise cost more than the encoder.
            int outC = last ? cfg.Channels : Math.Max(8, i == 0 ? inC / 4 : inC / 2);
            layers.append($"up{i}", nn.ConvTranspose2d(inC, outC, 4, stride: 2, padding: 1));
            if (!last)
            {
                layers.append($"bn{i}", nn.BatchNorm2d(outC));
                layers.append($"act{i}", new Activation(ActivationKind.ReLU));
            }
            inC = outC;
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor features)
    {
        using var y = layers.call(features);
        using var resized = nn.functional.interpolate(y, new long[] { outH, outW }, mode: InterpolationMode.Bilinear, align_corners: false);
        return sigmoid(resized);
    }
}

/// <summary>
/// Sees one source's maps at every resolution at once (each upsampled to the largest, stacked on channels) and
/// outputs logits: 1 (real/fake), 2 branches (merged later by element-wise max) or 3 classes.
/// </summary>
public sealed class Discriminator : nn.Module<Tensor[], Tensor>
{
    private readonly Sequential features;
    private readonly Linear classifier;
    private readonly long size;

    public Discriminator(int[] resolutions, int outputs) : base(nameof(Discriminator))
    {
        size = Math.Max(8, resolutions.Max());
        features = nn.Sequential(
            ("conv1", nn.Conv2d(resolutions.Length, 32, 3, stride: 2, padding: 1)),
            ("act1", nn.LeakyReLU(0.2)),
            ("conv2", nn.Conv2d(32, 64, 3, stride: 2, padding: 1)),
            ("act2", nn.LeakyReLU(0.2)),
            ("conv3", nn.Conv2d(64, 64, 3, stride: 2, padding: 1)),
            ("act3", nn.LeakyReLU(0.2)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flat", nn.Flatten()));
        classifier = nn.Linear(64, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor[] maps)
    {
        using var scope = NewDisposeScope();
        var stacked = cat(maps.Select(m => nn.functional.interpolate(m, new long[] { size, size }, mode: InterpolationMode.Nearest)).ToArray(), 1);
        return classifier.call(features.call(stacked)).MoveToOuterDisposeScope();
    }
}
