using OpenCvSharp;
using Vad.Teachers.Data;

namespace Vad.Teachers.Detection;

public static class DetectorFactory
{
    public const string BackgroundFile = "background.png";

    /// <summary>Median background over every <paramref name="every"/>-th frame of the normal training clips.</summary>
    public static Mat LearnBackground(string datasetRoot, int every = 10)
    {
        var sample = new List<Mat>();
        try
        {
            foreach (var clip in Clips.List(datasetRoot, "train"))
            {
                var files = Clips.FrameFiles(clip.FramesDir);
                for (int i = 0; i < files.Length; i += every)
                {
                    var m = Cv2.ImRead(files[i], ImreadModes.Grayscale);
                    if (m.Empty()) throw new ClipReadException($"clip train/{clip.Name}: frame {files[i]} is corrupt or not an image");
                    sample.Add(m);
                }
            }
            return BackgroundSubtractionDetector.MedianBackground(sample);
        }
        finally { foreach (var m in sample) m.Dispose(); }
    }

    /// <summary>kind: background (default; needs background.png in the model dir), hog, or onnx:PATH.</summary>
    public static IObjectDetector Create(string kind, string modelDir)
    {
        if (kind == "background")
            return BackgroundSubtractionDetector.Load(Path.Combine(modelDir, BackgroundFile));
        if (kind == "hog") return new HogPeopleDetector();
        if (kind.StartsWith("onnx:", StringComparison.Ordinal)) return new OnnxDetector(kind[5..]);
        throw new DetectorException($"unknown detector '{kind}' (background | hog | onnx:PATH)");
    }
}
