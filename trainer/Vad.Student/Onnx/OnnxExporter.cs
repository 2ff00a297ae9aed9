using Google.Protobuf;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using Vad.Student.Model;
using static TorchSharp.torch;

namespace Vad.Student.Onnx;

/// <summary>A layer the exporter has no ONNX mapping for, or a layer configuration it cannot express.</summary>
public sealed class OnnxExportException(string message) : Exception(message);

/// <summary>
/// Writes an ONNX graph (opset 17, IR 8, symbolic batch dimension "N") from the student's module tree, walking the
/// modules it knows and failing on any other. BatchNorm that follows a conv is folded into the conv's weights.
/// </summary>
public sealed class OnnxExporter
{
    public const int Opset = 17;
    public const int IrVersion = 8;
    private const int FloatType = 1, Int64Type = 7;

    private readonly GraphProto graph = new() { Name = "student" };
    private int counter;
    // Current spatial size of the tensor being emitted (static; only the batch is dynamic).
    private long height, width;
    // Multiply-add FLOPs (2 per MAC) of one frame, counted on the graph as it is written.
    private double flops;

    /// <summary>Exports the student: input "input" [N, F*C, H, W], outputs "head_r" [N, 1, r, r].</summary>
    public static byte[] Export(StudentNetwork net) => ExportWithFlops(net).Model;

    /// <summary>The ONNX bytes and the FLOPs per frame of the convolutions and matrix products in the graph.</summary>
    public static (byte[] Model, double FlopsPerFrame) ExportWithFlops(StudentNetwork net)
    {
        var cfg = net.Config;
        var e = new OnnxExporter();
        net.eval();
        using var noGrad = torch.no_grad();
        e.AddInput("input", cfg.InputChannels, cfg.InputHeight, cfg.InputWidth);
        e.height = cfg.InputHeight;
        e.width = cfg.InputWidth;
        string x = e.Emit(net.Downsampling, "input", "downsampling");
        foreach (var (name, block) in net.Transformer.named_children())
            x = e.Emit(block, x, $"transformer.{name}");
        var (th, tw) = cfg.TokenMap;
        if (e.height != th || e.width != tw)
            throw new OnnxExportException($"token map tracked as {e.height}x{e.width}, config says {th}x{tw}");
        foreach (var head in net.Heads)
        {
            e.height = th; e.width = tw;
            string y = e.Emit(head, x, $"head_{head.Resolution}");
            e.Node("Identity", [y], [$"head_{head.Resolution}"]);
            e.AddOutput($"head_{head.Resolution}", 1, head.Resolution, head.Resolution);
        }
        return (e.ToModelBytes(), e.flops);
    }

    /// <summary>Exports any module the exporter knows as one graph "input" [N, C, H, W] -> "output" (tests, tools).</summary>
    public static byte[] ExportModule(nn.Module<Tensor, Tensor> module, int channels, int h, int w, int outChannels, int outH, int outW)
    {
        var e = new OnnxExporter();
        module.eval();
        using var noGrad = torch.no_grad();
        e.AddInput("input", channels, h, w);
        e.height = h; e.width = w;
        string y = e.Emit(module, "input", "module");
        e.Node("Identity", [y], ["output"]);
        e.AddOutput("output", outChannels, outH, outW);
        return e.ToModelBytes();
    }

    private byte[] ToModelBytes()
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Vad.Student",
            ProducerVersion = "1",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    // ---------------------------------------------------------------- dispatch over the module tree
    private string Emit(nn.Module module, string x, string path)
    {
        switch (module)
        {
            case Sequential seq:
            {
                var children = seq.named_children().ToList();
                for (int i = 0; i < children.Count; i++)
                {
                    var (name, child) = children[i];
                    if (child is Conv2d conv && i + 1 < children.Count && children[i + 1].module is BatchNorm2d bn)
                    {
                        x = EmitConv(conv, x, bn, $"{path}.{name}");
                        i++;
                    }
                    else x = Emit(child, x, $"{path}.{name}");
                }
                return x;
            }
            case DownsamplingBlock d: return Emit(d.Sequence, x, path);
            case Conv2d conv: return EmitConv(conv, x, null, path);
            case BatchNorm2d bn: return EmitBatchNorm(bn, x, path);
            case Activation act: return EmitActivation(act.Kind, x, path);
            case LeakyReLU: throw Unsupported(path, module);
            case ReflectionPadding pad:
            {
                long p = pad.Padding;
                string pads = Int64s($"{path}.pads", [0, 0, p, p, 0, 0, p, p]);
                height += 2 * p; width += 2 * p;
                return Node("Pad", [x, pads], [Name(path)], ("mode", "reflect"))[0];
            }
            case ChannelLayerNorm ln: return EmitLayerNorm(ln, x, path);
            case ConvolutionalProjection proj: return EmitProjection(proj, x, path);
            case MultiHeadAttention mha: return EmitAttention(mha, x, path);
            case Mlp mlp: return EmitMlp(mlp, x, path);
            case CvtBlock block: return EmitCvt(block, x, path);
            case AnomalyHead head:
            {
                x = EmitConv(head.Conv1, x, null, $"{path}.conv1");
                x = EmitActivation(head.Act.Kind, x, $"{path}.act");
                x = EmitConv(head.Conv2, x, null, $"{path}.conv2");
                return EmitAdaptiveMaxPool(head.Pool.Resolution, x, $"{path}.pool");
            }
            case AdaptiveMaxPool pool: return EmitAdaptiveMaxPool(pool.Resolution, x, path);
            default: throw Unsupported(path, module);
        }
    }

    private static OnnxExportException Unsupported(string path, nn.Module module) =>
        new($"ONNX export: layer '{path}' of type {module.GetType().Name} has no ONNX mapping in this exporter " +
            "(supported: Conv2d [+BatchNorm2d folded], BatchNorm2d, ReLU/GELU, reflection padding, channel LayerNorm, " +
            "the student's CvT modules, adaptive max pooling)");

    // ---------------------------------------------------------------- layers
    private string EmitConv(Conv2d conv, string x, BatchNorm2d? bn, string path)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
            throw new OnnxExportException($"ONNX export: conv '{path}' uses padding mode {conv.padding_mode} (only zeros is mapped)");
        if (conv.padding_type is not null && conv.padding_type != Padding.Valid)
            throw new OnnxExportException($"ONNX export: conv '{path}' uses symbolic padding {conv.padding_type} (give explicit padding)");
        long outC = conv.out_channels;
        float[] w = Data(conv.weight!);
        float[] b = conv.bias is null ? new float[outC] : Data(conv.bias);
        if (bn is not null) FoldBatchNorm(w, b, bn, path);
        long[] k = conv.kernel_size, s = conv.stride, p = conv.padding ?? [0, 0], dl = conv.dilation;
        long[] pads = p.Length == 2 ? [p[0], p[1], p[0], p[1]] : [p[0], p[0], p[0], p[0]];
        long[] strides = s.Length == 2 ? s : [s[0], s[0]];
        long[] dil = dl.Length == 2 ? dl : [dl[0], dl[0]];
        long[] ks = k.Length == 2 ? k : [k[0], k[0]];
        string wn = Floats($"{path}.weight", w, [outC, conv.in_channels / conv.groups, ks[0], ks[1]]);
        string bname = Floats($"{path}.bias", b, [outC]);
        height = (height + pads[0] + pads[2] - dil[0] * (ks[0] - 1) - 1) / strides[0] + 1;
        width = (width + pads[1] + pads[3] - dil[1] * (ks[1] - 1) - 1) / strides[1] + 1;
        flops += 2.0 * outC * (conv.in_channels / conv.groups) * ks[0] * ks[1] * height * width;
        return Node("Conv", [x, wn, bname], [Name(path)],
            ("kernel_shape", ks), ("strides", strides), ("pads", pads), ("dilations", dil), ("group", conv.groups))[0];
    }

    /// <summary>conv(x) then BN == conv with W' = W * g / sqrt(v + eps) per output channel, b' = (b - mu) * g / sqrt(v + eps) + beta.</summary>
    private static void FoldBatchNorm(float[] w, float[] b, BatchNorm2d bn, string path)
    {
        Tensor runningMean = bn.running_mean ?? throw new OnnxExportException($"ONNX export: BatchNorm after '{path}' tracks no running statistics");
        Tensor runningVar = bn.running_var ?? throw new OnnxExportException($"ONNX export: BatchNorm after '{path}' tracks no running statistics");
        float[] mean = Data(runningMean), var = Data(runningVar);
        float[] gamma = bn.weight is null ? Enumerable.Repeat(1f, b.Length).ToArray() : Data(bn.weight);
        float[] beta = bn.bias is null ? new float[b.Length] : Data(bn.bias);
        int perOut = w.Length / b.Length;
        for (int o = 0; o < b.Length; o++)
        {
            double scale = gamma[o] / Math.Sqrt(var[o] + bn.eps);
            for (int i = 0; i < perOut; i++) w[o * perOut + i] = (float)(w[o * perOut + i] * scale);
            b[o] = (float)((b[o] - mean[o]) * scale + beta[o]);
        }
    }

    private string EmitBatchNorm(BatchNorm2d bn, string x, string path)
    {
        int c = (int)bn.num_features;
        float[] gamma = bn.weight is null ? Enumerable.Repeat(1f, c).ToArray() : Data(bn.weight);
        float[] beta = bn.bias is null ? new float[c] : Data(bn.bias);
        string[] ins =
        [
            x, Floats($"{path}.weight", gamma, [c]), Floats($"{path}.bias", beta, [c]),
            Floats($"{path}.running_mean", Data(bn.running_mean!), [c]), Floats($"{path}.running_var", Data(bn.running_var!), [c]),
        ];
        return Node("BatchNormalization", ins, [Name(path)], ("epsilon", (float)bn.eps))[0];
    }

    private string EmitActivation(ActivationKind kind, string x, string path)
    {
        if (kind == ActivationKind.ReLU) return Node("Relu", [x], [Name(path)])[0];
        // GELU(x) = 0.5 x (1 + erf(x / sqrt 2)); opset 17 has no Gelu op.
        string d = Node("Div", [x, Scalar($"{path}.sqrt2", (float)Math.Sqrt(2.0))], [Name(path + ".div")])[0];
        string erf = Node("Erf", [d], [Name(path + ".erf")])[0];
        string plus = Node("Add", [erf, Scalar($"{path}.one", 1f)], [Name(path + ".add")])[0];
        string half = Node("Mul", [x, Scalar($"{path}.half", 0.5f)], [Name(path + ".half")])[0];
        return Node("Mul", [half, plus], [Name(path)])[0];
    }

    private string EmitLayerNorm(ChannelLayerNorm ln, string x, string path)
    {
        var norm = ln.Norm;
        int c = (int)norm.normalized_shape[0];
        float[] g = norm.weight is null ? Enumerable.Repeat(1f, c).ToArray() : Data(norm.weight);
        float[] bb = norm.bias is null ? new float[c] : Data(norm.bias);
        string nhwc = Node("Transpose", [x], [Name(path + ".nhwc")], ("perm", new long[] { 0, 2, 3, 1 }))[0];
        string y = Node("LayerNormalization", [nhwc, Floats($"{path}.weight", g, [c]), Floats($"{path}.bias", bb, [c])],
            [Name(path + ".ln")], ("axis", -1L), ("epsilon", (float)norm.eps))[0];
        return Node("Transpose", [y], [Name(path)], ("perm", new long[] { 0, 3, 1, 2 }))[0];
    }

    private string EmitProjection(ConvolutionalProjection proj, string x, string path)
    {
        string repeated = proj.HeadCount == 1 ? x
            : Node("Concat", Enumerable.Repeat(x, proj.HeadCount).ToArray(), [Name(path + ".repeat")], ("axis", 1L))[0];
        string dw = EmitConv(proj.Depthwise, repeated, proj.Bn, path + ".depthwise");
        return EmitConv(proj.Pointwise, dw, null, path + ".pointwise");
    }

    private string EmitAttention(MultiHeadAttention mha, string x, string path)
    {
        long h = height, w = width, s = mha.HeadCount, d = mha.HeadDim;
        string q = EmitProjection(mha.Query, x, path + ".query");
        height = h; width = w;
        string k = EmitProjection(mha.Key, x, path + ".key");
        long kvTokens = height * width;
        flops += 2 * (2.0 * s * h * w * kvTokens * d); // QK^T and attention x V
        height = h; width = w;
        string v = EmitProjection(mha.Value, x, path + ".value");
        height = h; width = w;
        string split = Int64s($"{path}.split_shape", [0, s, d, -1]);
        string qr = Node("Reshape", [q, split], [Name(path + ".q4")])[0];
        string qt = Node("Transpose", [qr], [Name(path + ".qt")], ("perm", new long[] { 0, 1, 3, 2 }))[0];
        string kr = Node("Reshape", [k, split], [Name(path + ".k4")])[0];
        string vr = Node("Reshape", [v, split], [Name(path + ".v4")])[0];
        string vt = Node("Transpose", [vr], [Name(path + ".vt")], ("perm", new long[] { 0, 1, 3, 2 }))[0];
        string scores = Node("MatMul", [qt, kr], [Name(path + ".qk")])[0];
        string scaled = Node("Mul", [scores, Scalar($"{path}.scale", (float)(1.0 / Math.Sqrt(d)))], [Name(path + ".scaled")])[0];
        string attn = Node("Softmax", [scaled], [Name(path + ".softmax")], ("axis", -1L))[0];
        string o = Node("MatMul", [attn, vt], [Name(path + ".av")])[0];
        string ot = Node("Transpose", [o], [Name(path + ".ot")], ("perm", new long[] { 0, 1, 3, 2 }))[0];
        string merged = Node("Reshape", [ot, Int64s($"{path}.merge_shape", [0, s * d, h, w])], [Name(path + ".merge")])[0];
        return EmitConv(mha.Output, merged, null, path + ".output");
    }

    private string EmitMlp(Mlp mlp, string x, string path)
    {
        if (mlp.Kind == MlpKind.Pointwise)
        {
            string a = EmitConv((Conv2d)mlp.Fc1, x, null, path + ".fc1");
            string b = EmitActivation(mlp.Act.Kind, a, path + ".act");
            return EmitConv((Conv2d)mlp.Fc2, b, null, path + ".fc2");
        }
        var fc1 = (Linear)mlp.Fc1;
        var fc2 = (Linear)mlp.Fc2;
        long c = fc1.in_features, h = height, w = width;
        string tokens = Node("Reshape", [x, Int64s($"{path}.tokens_shape", [0, c, -1])], [Name(path + ".tokens")])[0];
        string t = Node("Transpose", [tokens], [Name(path + ".t")], ("perm", new long[] { 0, 2, 1 }))[0];
        string y1 = EmitLinear(fc1, t, path + ".fc1");
        string y2 = EmitActivation(mlp.Act.Kind, y1, path + ".act");
        string y3 = EmitLinear(fc2, y2, path + ".fc2");
        string back = Node("Transpose", [y3], [Name(path + ".back")], ("perm", new long[] { 0, 2, 1 }))[0];
        return Node("Reshape", [back, Int64s($"{path}.map_shape", [0, c, h, w])], [Name(path)])[0];
    }

    private string EmitLinear(Linear fc, string x, string path)
    {
        long inF = fc.in_features, outF = fc.out_features;
        flops += 2.0 * inF * outF * height * width;
        using var detached = fc.weight!.detach();
        using var transposed = detached.t(); // named, not chained: see Data
        using var wt = transposed.contiguous();
        string wn = Floats($"{path}.weight_t", Data(wt), [inF, outF]);
        string mm = Node("MatMul", [x, wn], [Name(path + ".matmul")])[0];
        if (fc.bias is null) return mm;
        return Node("Add", [mm, Floats($"{path}.bias", Data(fc.bias), [outF])], [Name(path)])[0];
    }

    private string EmitCvt(CvtBlock block, string x, string path)
    {
        if (block.Kind == NormKind.BatchNorm)
        {
            string a = Emit(block.Attention, x, path + ".attention");
            string sum = Node("Add", [x, a], [Name(path + ".skip1")])[0];
            string y = EmitBatchNorm((BatchNorm2d)block.Norm1, sum, path + ".norm1");
            string m = Emit(block.MlpLayer, y, path + ".mlp");
            return Node("Add", [y, m], [Name(path)])[0];
        }
        string n1 = Emit(block.Norm1, x, path + ".norm1");
        string a2 = Emit(block.Attention, n1, path + ".attention");
        string y2 = Node("Add", [x, a2], [Name(path + ".skip1")])[0];
        string n2 = Emit(block.Norm2!, y2, path + ".norm2");
        string m2 = Emit(block.MlpLayer, n2, path + ".mlp");
        return Node("Add", [y2, m2], [Name(path)])[0];
    }

    /// <summary>torch's adaptive max pooling to r x r: MaxPool when the bins tile the map, else Gather + ReduceMax per axis.</summary>
    private string EmitAdaptiveMaxPool(int r, string x, string path)
    {
        long h = height, w = width;
        height = r; width = r;
        if (r == 1) return Node("GlobalMaxPool", [x], [Name(path)])[0];
        if (h % r == 0 && w % r == 0)
            return Node("MaxPool", [x], [Name(path)], ("kernel_shape", new long[] { h / r, w / r }), ("strides", new long[] { h / r, w / r }))[0];
        string rows = Node("Gather", [x, BinIndices($"{path}.rows", (int)h, r)], [Name(path + ".gather_rows")], ("axis", 2L))[0];
        string rmax = Node("ReduceMax", [rows], [Name(path + ".max_rows")], ("axes", new long[] { 3 }), ("keepdims", 0L))[0];
        string cols = Node("Gather", [rmax, BinIndices($"{path}.cols", (int)w, r)], [Name(path + ".gather_cols")], ("axis", 3L))[0];
        return Node("ReduceMax", [cols], [Name(path)], ("axes", new long[] { 4 }), ("keepdims", 0L))[0];
    }

    /// <summary>[r, k] indices of every bin's rows, short bins padded by repeating their last index (max is unchanged).</summary>
    private string BinIndices(string name, int n, int r)
    {
        var bins = Enumerable.Range(0, r).Select(i => AdaptiveMaxPool.Bin(i, n, r)).ToArray();
        int k = bins.Max(b => b.End - b.Start);
        var idx = new long[r * k];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < k; j++)
                idx[i * k + j] = Math.Min(bins[i].Start + j, bins[i].End - 1);
        return Int64s(name, idx, [r, k]);
    }

    // ---------------------------------------------------------------- graph plumbing
    private string Name(string path) => $"{path}#{counter++}";

    private static float[] Data(Tensor t)
    {
        // Every intermediate is a named local, disposed at the end: a chained temporary is unreachable while its own
        // native call runs, so the GC may finalize (free) it mid-call; a CI run crashed in at::native::to that way.
        using var detached = t.detach();
        using var onCpu = detached.cpu();
        using var asFloat = onCpu.to_type(ScalarType.Float32);
        using var c = asFloat.contiguous();
        return c.data<float>().ToArray();
    }

    private string Floats(string name, float[] data, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = FloatType };
        t.Dims.AddRange(dims);
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        graph.Initializer.Add(t);
        return name;
    }

    private string Scalar(string name, float value) => Floats(name, [value], []);

    private string Int64s(string name, long[] data, long[]? dims = null)
    {
        var t = new TensorProto { Name = name, DataType = Int64Type };
        t.Dims.AddRange(dims ?? [data.Length]);
        t.Int64Data.AddRange(data);
        graph.Initializer.Add(t);
        return name;
    }

    private string[] Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
                case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
                case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
                default: throw new OnnxExportException($"attribute {name}: unsupported value type {value.GetType().Name}");
            }
            node.Attribute.Add(a);
        }
        graph.Node.Add(node);
        return outputs;
    }

    private void AddInput(string name, long c, long h, long w) => graph.Input.Add(Value(name, c, h, w));
    private void AddOutput(string name, long c, long h, long w) => graph.Output.Add(Value(name, c, h, w));

    private static ValueInfoProto Value(string name, long c, long h, long w)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long v in new[] { c, h, w }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = v });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = FloatType, Shape = shape } },
        };
    }
}
