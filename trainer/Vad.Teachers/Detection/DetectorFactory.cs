using OpenCvSharp;
using Vad.Teachers.Data;

namespace Vad.Teachers.Detection;

public static class DetectorFactory
{
    public const string BackgroundFile = "background.png";
    public const string PersonHeightFile = "person_height.json";

    /// <summary>Fits the perspective person-height model on the whole-blob detections of every 10th training frame.</summary>
    public static PersonHeightModel LearnPersonHeight(string datasetRoot, Mat background, int every = 10)
    {
        using var det = new BackgroundSubtractionDetector(background);
        var boxes = new List<Rect>();
        foreach (var clip in Clips.List(datasetRoot, "train"))
        {
            var files = Clips.FrameFiles(clip.FramesDir);
            for (int i = 0; i < files.Length; i += every)
            {
                using var m = Cv2.ImRead(files[i], ImreadModes.Grayscale);
                if (m.Empty()) throw new ClipReadException($"clip train/{clip.Name}: frame {files[i]} is corrupt or not an image");
                boxes.AddRange(det.Detect(m).Select(o => o.Box).Where(b => !Objects.ObjectCrops.IsTruncated(b, m.Width, m.Height)));
            }
        }
        return PersonHeightModel.Fit(boxes);
    }

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

    /// <summary>kind: background (default; background.png in the model dir, plus person_height.json when groups are
    /// split into person windows), hog, or onnx:PATH.</summary>
    public static IObjectDetector Create(string kind, string modelDir)
    {
        if (kind == "background")
        {
            string ph = Path.Combine(modelDir, PersonHeightFile);
            var options = File.Exists(ph)
                ? new BackgroundSubtractionOptions { PersonHeight = System.Text.Json.JsonSerializer.Deserialize<PersonHeightModel>(File.ReadAllText(ph)) }
                : null;
            return BackgroundSubtractionDetector.Load(Path.Combine(modelDir, BackgroundFile), options);
        }
        if (kind == "hog") return new HogPeopleDetector();
        if (kind.StartsWith("onnx:", StringComparison.Ordinal)) return new OnnxDetector(kind[5..]);
        throw new DetectorException($"unknown detector '{kind}' (background | hog | onnx:PATH)");
    }
}
