using OpenCvSharp;

namespace Vad.Teachers.Detection;

/// <summary>OpenCV's HOG + linear SVM people detector (Dalal-Triggs default model). People only, and slow.</summary>
public sealed class HogPeopleDetector : IObjectDetector
{
    private readonly HOGDescriptor _hog = new();
    private readonly double _upscale;

    /// <param name="upscale">Frames are enlarged by this factor first: the default window (64x128) is taller than
    /// most people in low-resolution surveillance frames.</param>
    public HogPeopleDetector(double upscale = 2.0)
    {
        _hog.SetSVMDetector(HOGDescriptor.GetDefaultPeopleDetector());
        _upscale = upscale;
    }

    public string Name => "hog-people";

    public IReadOnlyList<DetectedObject> Detect(Mat gray)
    {
        using var big = new Mat();
        Cv2.Resize(gray, big, new Size(0, 0), _upscale, _upscale, InterpolationFlags.Linear);
        Rect[] found = _hog.DetectMultiScale(big, out double[] weights, 0, new Size(8, 8), new Size(0, 0), 1.05, 2);
        var result = new List<DetectedObject>(found.Length);
        for (int i = 0; i < found.Length; i++)
        {
            var r = found[i];
            var box = new Rect((int)(r.X / _upscale), (int)(r.Y / _upscale), (int)(r.Width / _upscale), (int)(r.Height / _upscale))
                      & new Rect(0, 0, gray.Width, gray.Height);
            if (box.Width <= 0 || box.Height <= 0) continue;
            float conf = (float)(1.0 / (1.0 + Math.Exp(-weights[i])));
            result.Add(new DetectedObject(box, conf, "person"));
        }
        return result;
    }

    public void Dispose() => _hog.Dispose();
}
