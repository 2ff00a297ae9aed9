using Google.Protobuf;
using Onnx;
using Vad.Core.Models;

namespace Vad.Client;

/// <summary>
/// A training-free stand-in with the student's ONNX contract, used when no trained student is shipped: each head is the
/// motion energy |x(i+t) - x(i-t)| average-pooled to r x r cells (head_16: 16x16 cells; head_4: 4x4; head_1: the frame
/// mean). It is a frame-differencing baseline, not the paper's student: it only responds to fast motion.
/// </summary>
public static class MotionEnergyModel
{
    public const string Profile = "motion-energy-baseline";

    /// <summary>Writes <paramref name="onnxPath"/> and its manifest; width and height must be multiples of 16.</summary>
    public static StudentManifest Write(string onnxPath, int width = 256, int height = 160)
    {
        if (width % 16 != 0 || height % 16 != 0)
            throw new ArgumentException($"input {width}x{height}: width and height must be multiples of 16");
        var graph = new GraphProto { Name = "motion_energy" };
        graph.Input.Add(Tensor("input", new DimParam("N"), 3, height, width));
        graph.Initializer.Add(Int64s("prev_start", 0));
        graph.Initializer.Add(Int64s("prev_end", 1));
        graph.Initializer.Add(Int64s("next_start", 2));
        graph.Initializer.Add(Int64s("next_end", 3));
        graph.Initializer.Add(Int64s("axis_c", 1));
        graph.Node.Add(Node("Slice", ["input", "prev_start", "prev_end", "axis_c"], ["prev"]));
        graph.Node.Add(Node("Slice", ["input", "next_start", "next_end", "axis_c"], ["next"]));
        graph.Node.Add(Node("Sub", ["next", "prev"], ["diff"]));
        graph.Node.Add(Node("Abs", ["diff"], ["energy"]));
        graph.Node.Add(Node("AveragePool", ["energy"], ["head_16"],
            Ints("kernel_shape", height / 16, width / 16), Ints("strides", height / 16, width / 16)));
        graph.Node.Add(Node("AveragePool", ["head_16"], ["head_4"], Ints("kernel_shape", 4, 4), Ints("strides", 4, 4)));
        graph.Node.Add(Node("GlobalAveragePool", ["head_16"], ["head_1"]));
        foreach (int r in new[] { 1, 4, 16 })
            graph.Output.Add(Tensor($"head_{r}", new DimParam("N"), 1, r, r));

        var model = new ModelProto { IrVersion = 8, ProducerName = "vad-motion-energy", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        string? dir = Path.GetDirectoryName(Path.GetFullPath(onnxPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(onnxPath, model.ToByteArray());
        var manifest = new StudentManifest
        {
            Version = StudentManifest.HashFile(onnxPath),
            InputWidth = width,
            InputHeight = height,
            Channels = 1,
            Frames = 3,
            StrideT = 3,
            Heads = [1, 4, 16],
            Profile = Profile,
            CreatedUtc = DateTime.UtcNow,
            TrainingData = "none (training-free frame differencing)",
        };
        manifest.Save(StudentManifest.PathFor(onnxPath));
        return manifest;
    }

    private sealed record DimParam(string Name);

    private static ValueInfoProto Tensor(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is DimParam p
                ? new TensorShapeProto.Types.Dimension { DimParam = p.Name }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }

    private static TensorProto Int64s(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.Add(values);
        return t;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = $"{op}_{outputs[0]}" };
        n.Input.Add(inputs);
        n.Output.Add(outputs);
        n.Attribute.Add(attributes);
        return n;
    }
}
