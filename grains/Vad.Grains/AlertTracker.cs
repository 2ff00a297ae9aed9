using Vad.Contracts;

namespace Vad.Grains;

/// <summary>
/// Causal temporal smoothing and the alert lifecycle of one camera. Smoothing: a half-Gaussian over the current and
/// past raw scores only (weights exp(-d^2 / 2 sigma^2), d = 0..ceil(3 sigma)), so a live camera never waits for future
/// frames. Hysteresis: an alert opens after k consecutive smoothed scores at or above the upper threshold (it starts at
/// the first of them), is updated while open, and ends at the first smoothed score below the lower threshold.
/// </summary>
public sealed class AlertTracker
{
    private readonly string _cameraId;
    private CameraSettings _settings;
    private float[] _weights = [];
    private float[] _history = [];
    private int _historyCount, _historyHead;
    private int _overRun;
    private long _runStartSeq;
    private TimeSpan _runStartTime;
    private double _runPeak;
    private long _runPeakSeq;
    private (double X, double Y) _runPeakAt;
    private long _lastUpdateSeq;

    public Alert? Open { get; private set; }
    public long NextAlertId { get; set; } = 1;

    public AlertTracker(string cameraId, CameraSettings settings)
    {
        _cameraId = cameraId;
        _settings = settings;
        Configure(settings);
    }

    public void Configure(CameraSettings settings)
    {
        _settings = settings;
        int k = settings.Sigma <= 0 ? 0 : (int)Math.Ceiling(3 * settings.Sigma);
        _weights = new float[k + 1];
        for (int d = 0; d <= k; d++)
            _weights[d] = settings.Sigma <= 0 ? 1f : (float)Math.Exp(-d * d / (2 * settings.Sigma * settings.Sigma));
        var old = _history;
        int oldCount = _historyCount, oldHead = _historyHead;
        _history = new float[k + 1];
        _historyCount = 0;
        _historyHead = 0;
        // Keep the most recent scores across a settings change.
        for (int i = Math.Min(oldCount, k + 1) - 1; i >= 0; i--)
            Push(old[(oldHead - 1 - i + old.Length * 2) % old.Length]);
    }

    private void Push(float raw)
    {
        _history[_historyHead] = raw;
        _historyHead = (_historyHead + 1) % _history.Length;
        if (_historyCount < _history.Length) _historyCount++;
    }

    /// <summary>Smoothed score of the newest raw score, after pushing it.</summary>
    public float Smooth(float raw)
    {
        Push(raw);
        double sum = 0, wsum = 0;
        for (int d = 0; d < _historyCount; d++)
        {
            float v = _history[(_historyHead - 1 - d + _history.Length) % _history.Length];
            sum += _weights[d] * v;
            wsum += _weights[d];
        }
        return (float)(sum / wsum);
    }

    public static (double X, double Y) PeakLocation(float[] map, int size)
    {
        if (size <= 0 || map.Length < size * size) return (0.5, 0.5);
        int best = 0;
        for (int i = 1; i < size * size; i++) if (map[i] > map[best]) best = i;
        return ((best % size + 0.5) / size, (best / size + 0.5) / size);
    }

    /// <summary>Feeds one scored frame (in sequence order). Returns the alert event it causes, if any.</summary>
    public AlertEvent? Observe(long seq, TimeSpan time, float smoothed, float[] map, int mapSize, string modelVersion, DateTime nowUtc)
    {
        if (Open is { } open)
        {
            if (smoothed < _settings.LowerThreshold)
                return Close(seq - 1, time, nowUtc);
            if (smoothed > open.PeakScore)
            {
                var (x, y) = PeakLocation(map, mapSize);
                Open = open with { PeakScore = smoothed, PeakSequence = seq, PeakX = x, PeakY = y, ModelVersion = modelVersion };
                if (seq - _lastUpdateSeq >= 5)
                {
                    _lastUpdateSeq = seq;
                    return new AlertEvent { Kind = AlertEventKind.Updated, Alert = Open };
                }
            }
            return null;
        }

        if (smoothed >= _settings.UpperThreshold)
        {
            if (_overRun == 0)
            {
                _runStartSeq = seq;
                _runStartTime = time;
                _runPeak = double.NegativeInfinity;
            }
            _overRun++;
            if (smoothed > _runPeak)
            {
                _runPeak = smoothed;
                _runPeakSeq = seq;
                _runPeakAt = PeakLocation(map, mapSize);
            }
            if (_overRun >= _settings.OpenAfterFrames)
            {
                Open = new Alert
                {
                    CameraId = _cameraId,
                    Id = NextAlertId++,
                    StartSequence = _runStartSeq,
                    StartTime = _runStartTime,
                    StartUtc = nowUtc,
                    PeakScore = _runPeak,
                    PeakSequence = _runPeakSeq,
                    PeakX = _runPeakAt.X,
                    PeakY = _runPeakAt.Y,
                    ModelVersion = modelVersion,
                };
                _overRun = 0;
                _lastUpdateSeq = seq;
                return new AlertEvent { Kind = AlertEventKind.Opened, Alert = Open };
            }
        }
        else
        {
            _overRun = 0;
        }
        return null;
    }

    /// <summary>Ends the open alert (if any) at <paramref name="lastSeq"/>, e.g. at the end of a stream.</summary>
    public AlertEvent? Close(long lastSeq, TimeSpan lastTime, DateTime nowUtc)
    {
        _overRun = 0;
        if (Open is not { } open) return null;
        Open = null;
        var closed = open with { EndSequence = Math.Max(open.StartSequence, lastSeq), EndTime = lastTime, EndUtc = nowUtc };
        return new AlertEvent { Kind = AlertEventKind.Closed, Alert = closed };
    }

    /// <summary>Forgets the smoothing history (a new stream starts).</summary>
    public void ResetHistory()
    {
        _historyCount = 0;
        _historyHead = 0;
        _overRun = 0;
    }
}
