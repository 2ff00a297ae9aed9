using Google.Protobuf;
using Onnx;
using OpenCvSharp;
using Vad.Teachers.Detection;
using Xunit;

namespace Vad.Teachers.Tests;

public sealed class OnnxDetectorTests
{
    /// <summary>
    /// A tiny YOLO-style model: input images [1, 1, 32, 32]; output = constant predictions + 0 * mean(input), so the
    /// output depends on the input and ONNX Runtime runs a real graph (ReduceMean, Mul, Add).
    /// </summary>
    private static string WriteTinyModel(string path, int[] outDims, float[] predictions)
    {
        var graph = new GraphProto { Name = "tiny_yolo" };
        graph.Input.Add(TensorInfo("images", [1, 1, 32, 32]));
        graph.Output.Add(TensorInfo("output", outDims));
        var constant = new TensorProto { Name = "predictions", DataType = (int)TensorProto.Types.DataType.Float };
        constant.Dims.AddRange(outDims.Select(d => (long)d));
        constant.FloatData.AddRange(predictions);
        var zero = new TensorProto { Name = "zero", DataType = (int)TensorProto.Types.DataType.Float };
        zero.FloatData.Add(0f);
        graph.Initializer.Add(constant);
        graph.Initializer.Add(zero);
        var mean = new NodeProto { OpType = "ReduceMean", Name = "mean" };
        mean.Input.Add("images");
        mean.Output.Add("m");
        mean.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        var mul = new NodeProto { OpType = "Mul", Name = "mul" };
        mul.Input.Add("m"); mul.Input.Add("zero"); mul.Output.Add("z");
        var add = new NodeProto { OpType = "Add", Name = "add" };
        add.Input.Add("predictions"); add.Input.Add("z"); add.Output.Add("output");
        graph.Node.Add(mean); graph.Node.Add(mul); graph.Node.Add(add);
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "vad-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static ValueInfoProto TensorInfo(string name, int[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (int d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    [Fact]
    public void Yolo_v5_layout_boxes_by_attributes_with_objectness()
    {
        // [1, 10 boxes, 5 + 2 classes]: box 0 = class 1 (0.9 * 0.8 = 0.72) at cx 10, cy 12, w 8, h 10 (input pixels);
        // box 1 overlaps it with a lower score (suppressed by NMS); the others are below the confidence threshold.
        int boxes = 10, attrs = 7;
        var p = new float[boxes * attrs];
        void Set(int b, params float[] v) => v.CopyTo(p, b * attrs);
        Set(0, 10, 12, 8, 10, 0.9f, 0.1f, 0.8f);
        Set(1, 10.5f, 12, 8, 10, 0.8f, 0.1f, 0.7f);
        for (int b = 2; b < boxes; b++) Set(b, 5, 5, 2, 2, 0.05f, 0.5f, 0.5f);
        string dir = TestData.TempDir();
        using var det = new OnnxDetector(WriteTinyModel(Path.Combine(dir, "tiny.onnx"), [1, boxes, attrs], p), classNames: ["person", "bicycle"]);
        using var frame = new Mat(48, 64, MatType.CV_8UC1, new Scalar(120)); // scale x2 horizontally, x1.5 vertically
        var objs = det.Detect(frame);
        var o = Assert.Single(objs);
        Assert.Equal("bicycle", o.Label);
        Assert.Equal(0.72f, o.Confidence, 3);
        Assert.Equal(new Rect(12, 10, 16, 15), o.Box);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Yolo_v8_layout_attributes_by_boxes()
    {
        // [1, 4 + 1 class, 12 boxes]: one confident box at cx 16, cy 16, w 8, h 8
        int boxes = 12, attrs = 5;
        var p = new float[attrs * boxes];
        float[] box = [16, 16, 8, 8, 0.6f];
        for (int a = 0; a < attrs; a++) p[a * boxes + 3] = box[a];
        string dir = TestData.TempDir();
        using var det = new OnnxDetector(WriteTinyModel(Path.Combine(dir, "tiny8.onnx"), [1, attrs, boxes], p));
        using var frame = new Mat(32, 32, MatType.CV_8UC1, new Scalar(0));
        var o = Assert.Single(det.Detect(frame));
        Assert.Equal(new Rect(12, 12, 8, 8), o.Box);
        Assert.Equal("class0", o.Label);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_missing_model_is_a_clear_error()
    {
        var e = Assert.Throws<DetectorException>(() => new OnnxDetector("/nonexistent/model.onnx"));
        Assert.Contains("not found", e.Message);
    }
}
