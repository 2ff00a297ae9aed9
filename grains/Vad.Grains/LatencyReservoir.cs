namespace Vad.Grains;

/// <summary>The most recent N latency samples (ms) and their percentiles.</summary>
public sealed class LatencyReservoir(int capacity)
{
    private readonly float[] _samples = new float[capacity];
    private int _count, _head;

    public void Add(float ms)
    {
        _samples[_head] = ms;
        _head = (_head + 1) % _samples.Length;
        if (_count < _samples.Length) _count++;
    }

    public float[] Snapshot() => _samples.AsSpan(0, _count).ToArray();

    public static double Percentile(float[] values, double p)
    {
        if (values.Length == 0) return 0;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        double rank = p / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
