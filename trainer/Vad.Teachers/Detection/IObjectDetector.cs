using OpenCvSharp;

namespace Vad.Teachers.Detection;

/// <summary>A detected object: box in frame pixels, confidence in [0,1] and a class name ("object" when class-agnostic).</summary>
public readonly record struct DetectedObject(Rect Box, float Confidence, string Label)
{
    /// <summary>A person-sized window cut from a merged group (<see cref="BackgroundSubtractionDetector.SplitObjects"/>).</summary>
    public bool IsGroupWindow => Label == BackgroundSubtractionDetector.GroupWindowLabel;
}

/// <summary>Pluggable object detector. Frames are 8-bit gray (CV_8UC1), full resolution.</summary>
public interface IObjectDetector : IDisposable
{
    string Name { get; }
    IReadOnlyList<DetectedObject> Detect(Mat gray);
}

public sealed class DetectorException(string message, Exception? inner = null) : Exception(message, inner);
