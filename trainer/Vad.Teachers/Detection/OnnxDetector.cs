using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace Vad.Teachers.Detection;

/// <summary>
/// Any user-supplied YOLO-style ONNX detector. Input: the model's first input, [1, C, H, W] float32 (C = 1 gray or
/// 3 RGB, pixel/255, the frame resized to W x H; dynamic H/W take <see cref="DefaultInputSize"/>). Output: the first
/// output, either [1, boxes, 5 + classes] (cx, cy, w, h, objectness, class scores: YOLOv3/v5) or [1, 4 + classes, boxes]
/// (cx, cy, w, h, class scores: YOLOv8), coordinates in input pixels. Confidence threshold, then per-class NMS.
/// </summary>
public sealed class OnnxDetector : IObjectDetector
{
    public const int DefaultInputSize = 640;
    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly int _channels, _inW, _inH;
    private readonly float _confThreshold, _nmsThreshold;
    private readonly string[]? _classNames;

    public OnnxDetector(string modelPath, float confThreshold = 0.25f, float nmsThreshold = 0.45f, string[]? classNames = null)
    {
        if (!File.Exists(modelPath)) throw new DetectorException($"ONNX detector model not found: {modelPath}");
        try { _session = new InferenceSession(modelPath, new SessionOptions { IntraOpNumThreads = 1 }); }
        catch (OnnxRuntimeException e) { throw new DetectorException($"cannot load ONNX detector {modelPath}: {e.Message}", e); }
        var input = _session.InputMetadata.First();
        _inputName = input.Key;
        int[] dims = input.Value.Dimensions;
        if (dims.Length != 4) throw new DetectorException($"{modelPath}: input '{_inputName}' must be [N, C, H, W], got rank {dims.Length}");
        _channels = dims[1] > 0 ? dims[1] : 3;
        if (_channels is not (1 or 3)) throw new DetectorException($"{modelPath}: input must have 1 or 3 channels, got {_channels}");
        _inH = dims[2] > 0 ? dims[2] : DefaultInputSize;
        _inW = dims[3] > 0 ? dims[3] : DefaultInputSize;
        _confThreshold = confThreshold;
        _nmsThreshold = nmsThreshold;
        _classNames = classNames;
    }

    public string Name => "onnx";

    public IReadOnlyList<DetectedObject> Detect(Mat gray)
    {
        using var resized = new Mat();
        Cv2.Resize(gray, resized, new Size(_inW, _inH), 0, 0, InterpolationFlags.Linear);
        resized.GetArray(out byte[] px);
        var input = new DenseTensor<float>(new[] { 1, _channels, _inH, _inW });
        var buf = input.Buffer.Span;
        int plane = _inW * _inH;
        for (int c = 0; c < _channels; c++)
            for (int k = 0; k < plane; k++) buf[c * plane + k] = px[k] / 255f;
        using var results = _session.Run(new[] { NamedOnnxValue.CreateFromTensor(_inputName, input) });
        var output = results.First().AsTensor<float>();
        float sx = (float)gray.Width / _inW, sy = (float)gray.Height / _inH;
        return Decode(output, sx, sy, gray.Width, gray.Height);
    }

    private IReadOnlyList<DetectedObject> Decode(Tensor<float> t, float sx, float sy, int frameW, int frameH)
    {
        var d = t.Dimensions;
        if (d.Length != 3 || d[0] != 1) throw new DetectorException($"detector output must be [1, boxes, 5+classes] or [1, 4+classes, boxes], got [{string.Join(",", d.ToArray())}]");
        // Layout: rows of attributes ([1, boxes, attrs], YOLOv5) when the last axis is the small one.
        bool rowsAreBoxes = d[2] < d[1];
        int boxes = rowsAreBoxes ? d[1] : d[2], attrs = rowsAreBoxes ? d[2] : d[1];
        bool hasObjectness = rowsAreBoxes;
        int classes = attrs - (hasObjectness ? 5 : 4);
        if (classes < 1) throw new DetectorException($"detector output has {attrs} attributes per box: too few for {(hasObjectness ? "5" : "4")} + classes");
        float A(int b, int a) => rowsAreBoxes ? t[0, b, a] : t[0, a, b];
        var candidates = new List<(Rect Box, float Conf, int Cls)>();
        for (int b = 0; b < boxes; b++)
        {
            int best = 0; float bestScore = float.MinValue;
            for (int c = 0; c < classes; c++)
            {
                float s = A(b, (hasObjectness ? 5 : 4) + c);
                if (s > bestScore) { bestScore = s; best = c; }
            }
            float conf = hasObjectness ? A(b, 4) * bestScore : bestScore;
            if (conf < _confThreshold) continue;
            float cx = A(b, 0) * sx, cy = A(b, 1) * sy, w = A(b, 2) * sx, h = A(b, 3) * sy;
            var r = new Rect((int)MathF.Round(cx - w / 2), (int)MathF.Round(cy - h / 2), (int)MathF.Round(w), (int)MathF.Round(h))
                    & new Rect(0, 0, frameW, frameH);
            if (r.Width > 0 && r.Height > 0) candidates.Add((r, conf, best));
        }
        var kept = new List<DetectedObject>();
        foreach (var group in candidates.GroupBy(c => c.Cls))
        {
            var sorted = group.OrderByDescending(c => c.Conf).ToList();
            var keep = new List<(Rect Box, float Conf, int Cls)>();
            foreach (var c in sorted)
                if (keep.All(k => BoxOverlap.Iou(k.Box, c.Box) <= _nmsThreshold)) keep.Add(c);
            foreach (var k in keep)
                kept.Add(new DetectedObject(k.Box, k.Conf, _classNames is not null && k.Cls < _classNames.Length ? _classNames[k.Cls] : $"class{k.Cls}"));
        }
        return kept;
    }

    public void Dispose() => _session.Dispose();
}
