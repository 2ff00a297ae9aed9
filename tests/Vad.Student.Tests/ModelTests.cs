using TorchSharp;
using Vad.Student.Model;
using Vad.Student.Onnx;
using Vad.Torch;
using Xunit;
using static TorchSharp.torch;

namespace Vad.Student.Tests;

public class ModelTests
{
    public ModelTests() => TorchRuntime.EnsureLoaded();

    /// <summary>Randomises BatchNorm statistics and affine terms so folding is exercised with non-trivial values.</summary>
    internal static void RandomiseNorms(nn.Module net, int seed)
    {
        using var g = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, m) in net.named_modules())
            if (m is TorchSharp.Modules.BatchNorm2d bn)
            {
                bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: g) * 0.1);
                bn.running_var!.copy_(rand(bn.running_var.shape, generator: g) + 0.5);
                bn.weight!.copy_(rand(bn.weight.shape, generator: g) + 0.5);
                bn.bias!.copy_(randn(bn.bias.shape, generator: g) * 0.1);
            }
    }

    public static TheoryData<string> Profiles => new() { "cpu", "paper" };

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Student_outputs_one_map_per_head_resolution(string profile)
    {
        var cfg = StudentConfig.ForProfile(profile) with { Blocks = 1 };
        using var net = new StudentNetwork(cfg);
        net.eval();
        using var x = rand(2, cfg.InputChannels, cfg.InputHeight, cfg.InputWidth);
        using var f = net.Encode(x);
        var (th, tw) = cfg.TokenMap;
        Assert.Equal(new long[] { 2, cfg.C, th, tw }, f.shape);
        var maps = net.Predict(f);
        Assert.Equal(cfg.HeadResolutions.Length, maps.Length);
        for (int i = 0; i < maps.Length; i++)
            Assert.Equal(new long[] { 2, 1, cfg.HeadResolutions[i], cfg.HeadResolutions[i] }, maps[i].shape);
        using var dec = new Decoder(cfg);
        using var rec = dec.call(f);
        Assert.Equal(new long[] { 2, cfg.Channels, cfg.InputHeight, cfg.InputWidth }, rec.shape);
        foreach (var m in maps) m.Dispose();
    }

    [Fact]
    public void Profiles_have_the_documented_token_maps()
    {
        Assert.Equal((5, 8), StudentConfig.Cpu.TokenMap);
        Assert.Equal(3, StudentConfig.Cpu.InputChannels);
        Assert.Equal((8, 12), StudentConfig.Paper.TokenMap);
        Assert.Equal(9, StudentConfig.Paper.InputChannels);
        Assert.Equal((160, 256), (StudentConfig.Cpu with { AuthorsFirstConv = true, DownsamplingFilters = [16] }).TokenMap);
    }

    internal static float MaxParityDiff(StudentNetwork net, int batch, int seed)
    {
        var cfg = net.Config;
        net.eval();
        byte[] onnx = OnnxExporter.Export(net);
        using var session = new StudentSession(onnx, threads: 1);
        using var g = new Generator((ulong)seed);
        using var x = rand(new long[] { batch, cfg.InputChannels, cfg.InputHeight, cfg.InputWidth }, generator: g);
        Tensor[] expected;
        using (no_grad()) expected = net.call(x);
        var got = session.Run(x.data<float>().ToArray(), batch);
        Assert.Equal(cfg.HeadResolutions.Select(r => $"head_{r}"), session.OutputNames);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            using var contiguous = expected[i].contiguous();
            float[] e = contiguous.data<float>().ToArray();
            Assert.Equal(e.Length, got[i].Length);
            for (int k = 0; k < e.Length; k++) worst = Math.Max(worst, Math.Abs(e[k] - got[i][k]));
            expected[i].Dispose();
        }
        return worst;
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Onnx_export_matches_torchsharp_on_every_head(string profile)
    {
        // Full-size inputs and real widths; two CvT blocks keep the test fast.
        var cfg = StudentConfig.ForProfile(profile) with { Blocks = 2 };
        using var net = new StudentNetwork(cfg);
        RandomiseNorms(net, 7);
        float diff = MaxParityDiff(net, batch: 3, seed: 11);
        Assert.True(diff <= 1e-4f, $"{profile}: max abs diff {diff}");
    }

    [Fact]
    public void Onnx_export_matches_for_the_authors_variants_and_fc_mlp()
    {
        var cfg = new StudentConfig
        {
            Profile = "variants", InputWidth = 96, InputHeight = 64, Channels = 3, Frames = 1, Blocks = 2, Heads = 2, HeadDim = 8,
            DownsamplingFilters = [8, 16, 32], AuthorsFirstConv = true, Norm = NormKind.LayerNormPreNorm,
            Activation = ActivationKind.Gelu, Mlp = MlpKind.FullyConnected, HeadResolutions = [1, 3, 16],
        };
        using var net = new StudentNetwork(cfg);
        RandomiseNorms(net, 3);
        float diff = MaxParityDiff(net, batch: 2, seed: 5);
        Assert.True(diff <= 1e-4f, $"variants: max abs diff {diff}");
    }

    [Fact]
    public void BatchNorm_is_folded_into_the_preceding_conv()
    {
        var seq = nn.Sequential(("conv", nn.Conv2d(3, 4, 3, padding: 1)), ("bn", nn.BatchNorm2d(4)));
        RandomiseNorms(seq, 1);
        byte[] bytes = OnnxExporter.ExportModule(seq, 3, 8, 8, 4, 8, 8);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(bytes);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Single(model.Graph.Node, n => n.OpType == "Conv");
        Assert.Equal(17, model.OpsetImport.Single().Version);
        Assert.Equal(8, model.IrVersion);
        Assert.Equal("N", model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);

        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(bytes);
        using var x = rand(5, 3, 8, 8);
        seq.eval();
        using var expected = seq.call(x);
        using var value = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(x.data<float>().ToArray(), new long[] { 5, 3, 8, 8 });
        using var result = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), new[] { "input" }, new[] { value }, new[] { "output" });
        var got = result[0].GetTensorDataAsSpan<float>().ToArray();
        var e = expected.data<float>().ToArray();
        Assert.True(e.Zip(got).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5f);
    }

    [Fact]
    public void An_unsupported_layer_fails_the_export_naming_it()
    {
        var seq = nn.Sequential(("conv", nn.Conv2d(3, 4, 3, padding: 1)), ("squash", nn.Tanh()));
        var ex = Assert.Throws<OnnxExportException>(() => OnnxExporter.ExportModule(seq, 3, 8, 8, 4, 8, 8));
        Assert.Contains("module.squash", ex.Message);
        Assert.Contains("Tanh", ex.Message);
    }
}
