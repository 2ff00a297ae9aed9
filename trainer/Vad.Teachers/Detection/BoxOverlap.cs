using OpenCvSharp;

namespace Vad.Teachers.Detection;

public static class BoxOverlap
{
    /// <summary>Intersection over union of two boxes (0 when they do not overlap).</summary>
    public static double Iou(Rect a, Rect b)
    {
        var i = a & b;
        if (i.Width <= 0 || i.Height <= 0) return 0;
        double inter = (double)i.Width * i.Height;
        return inter / ((double)a.Width * a.Height + (double)b.Width * b.Height - inter);
    }
}
