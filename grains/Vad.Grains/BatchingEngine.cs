using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vad.Contracts;

namespace Vad.Grains;

/// <summary>
/// Cross-camera dynamic batching for one device: a bounded queue of triples, one loop that takes up to MaxBatchSize
/// of them (waiting at most MaxDelay after the first), runs the student once, and sends each camera its results.
/// Several versions can be loaded at once (the serving one, a canary candidate, the previous one): each triple is
/// stamped at enqueue with the version the rollout plan gives its camera, and a batch never mixes versions (a triple of
/// another version ends the batch and starts the next one). Version changes are picked up between batches, never inside one.
/// </summary>
public sealed class BatchingEngine : IAsyncDisposable
{
    private readonly Channel<TripleRequest> _queue;
    private readonly InferenceOptions _options;
    private readonly Action<string, ScoredFrame[]> _deliver;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly int _maxBatch;
    private readonly long _engineId = (long)Random.Shared.Next(1, int.MaxValue) << 32;
    // Loaded runners by version. Added from the grain; removed and disposed only by the loop (between batches).
    private readonly ConcurrentDictionary<string, ModelRunner> _runners = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _retired = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _pending = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, HealthCounters> _health = new(StringComparer.OrdinalIgnoreCase);
    private volatile RolloutPlan _plan;
    private TripleRequest? _carry;
    private int _queueLength;
    private long _batches, _frames, _rejected, _batchTicks;
    private readonly TripleRequest[] _batch;
    private readonly Dictionary<string, List<ScoredFrame>> _byCamera = new(StringComparer.Ordinal);

    private sealed class HealthCounters
    {
        public long Frames, Errors, Batches;
        public double BatchMs, ScoreSum, ScoreSq;
    }

    public BatchingEngine(ModelRunner runner, InferenceOptions options, Action<string, ScoredFrame[]> deliver, ILogger logger)
    {
        _options = options;
        _deliver = deliver;
        _logger = logger;
        _maxBatch = runner.MaxBatchSize;
        _runners[runner.Info.Version] = runner;
        _plan = new RolloutPlan { Stable = runner.Info.Version };
        _batch = new TripleRequest[runner.MaxBatchSize];
        _queue = Channel.CreateBounded<TripleRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(LoopAsync, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>The serving (default) version's model.</summary>
    public ModelInfo Model => RunnerFor(_plan.Stable).Info;
    public string Provider => RunnerFor(_plan.Stable).Provider;
    public RolloutPlan Plan => _plan;
    public IReadOnlyList<ModelInfo> Loaded => _runners.Values.Where(r => !_retired.ContainsKey(r.Info.Version)).Select(r => r.Info).ToList();
    public int QueueLength => Volatile.Read(ref _queueLength);
    public long Batches => Interlocked.Read(ref _batches);
    public long Frames => Interlocked.Read(ref _frames);
    public long Rejected => Interlocked.Read(ref _rejected);
    public double MeanBatchMs => Batches == 0 ? 0 : Interlocked.Read(ref _batchTicks) * 1000.0 / Stopwatch.Frequency / Batches;
    public bool Draining { get; private set; }

    private ModelRunner RunnerFor(string version) =>
        _runners.TryGetValue(version, out var r) && !_retired.ContainsKey(version) ? r
        : _runners.TryGetValue(_plan.Stable, out var s) ? s
        : _runners.Values.First();

    public List<VersionHealth> Health() => _health.Select(kv =>
    {
        var c = kv.Value;
        lock (c) return new VersionHealth
        {
            Version = kv.Key, Frames = c.Frames, Errors = c.Errors, Batches = c.Batches,
            BatchMsSum = c.BatchMs, ScoreSum = c.ScoreSum, ScoreSqSum = c.ScoreSq,
        };
    }).ToList();

    public EnqueueResult TryEnqueue(TripleRequest request)
    {
        if (Draining)
            return new EnqueueResult { Status = EnqueueStatus.Unavailable, Detail = "inference grain is draining" };
        string wanted = request.ModelVersion.Length > 0 ? request.ModelVersion : _plan.VersionFor(request.CameraId);
        var runner = RunnerFor(wanted);
        var model = runner.Info;
        int expected = model.InputWidth * model.InputHeight * model.Channels;
        if (request.Width != model.InputWidth || request.Height != model.InputHeight || request.Format != model.Format
            || request.Previous.Length != expected || request.Center.Length != expected || request.Next.Length != expected)
            return new EnqueueResult
            {
                Status = EnqueueStatus.Invalid,
                Detail = $"triple is {request.Width}x{request.Height} {request.Format}, model {model.Version[..Math.Min(12, model.Version.Length)]} wants {model.InputWidth}x{model.InputHeight} {model.Format}",
            };
        var stamped = request with { ModelVersion = model.Version };
        _pending.AddOrUpdate(model.Version, 1, (_, n) => n + 1);
        if (!_queue.Writer.TryWrite(stamped))
        {
            _pending.AddOrUpdate(model.Version, 0, (_, n) => n - 1);
            Interlocked.Increment(ref _rejected);
            return new EnqueueResult { Status = EnqueueStatus.QueueFull, QueueLength = QueueLength };
        }
        return new EnqueueResult { Status = EnqueueStatus.Accepted, QueueLength = Interlocked.Increment(ref _queueLength) };
    }

    /// <summary>Adds a loaded version next to the others (it serves nobody until a plan names it). Returns false when already loaded.</summary>
    public bool Add(ModelRunner runner)
    {
        if (runner.MaxBatchSize != _maxBatch)
            throw new ArgumentException("every runner of an engine must have the same maximum batch size");
        _retired.TryRemove(runner.Info.Version, out _);
        return _runners.TryAdd(runner.Info.Version, runner);
    }

    public bool IsLoaded(string version) => _runners.ContainsKey(version) && !_retired.ContainsKey(version);

    /// <summary>Serves <paramref name="plan"/> from the next enqueued triple on; versions it names must be loaded.</summary>
    public void SetPlan(RolloutPlan plan)
    {
        foreach (var v in new[] { plan.Stable, plan.Candidate }.Concat(plan.Pins.Values))
            if (v is not null && !IsLoaded(v))
                throw new InvalidOperationException($"version {v} is not loaded on this inference grain");
        _plan = plan;
    }

    /// <summary>Unloads the versions not in <paramref name="keep"/> (never the serving one) after their queued triples.</summary>
    public void Retain(IReadOnlyCollection<string> keep)
    {
        var plan = _plan;
        foreach (var v in _runners.Keys)
            if (!keep.Contains(v, StringComparer.OrdinalIgnoreCase) && !string.Equals(v, plan.Stable, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(v, plan.Candidate, StringComparison.OrdinalIgnoreCase) && !plan.Pins.ContainsValue(v))
                _retired[v] = 0;
    }

    /// <summary>Serves <paramref name="next"/> to every camera from the next batch on; the others are disposed after their last batch.</summary>
    public void Swap(ModelRunner next)
    {
        if (!Add(next) && !ReferenceEquals(_runners[next.Info.Version], next)) next.Dispose();
        _plan = new RolloutPlan { Stable = next.Info.Version, Epoch = _plan.Epoch + 1 };
        Retain([next.Info.Version]);
    }

    private void DisposeRetired()
    {
        foreach (var v in _retired.Keys)
        {
            if (_pending.TryGetValue(v, out int n) && n > 0) continue;
            if (string.Equals(v, _plan.Stable, StringComparison.OrdinalIgnoreCase)) { _retired.TryRemove(v, out _); continue; }
            if (_runners.TryRemove(v, out var r))
            {
                r.Dispose();
                _logger.LogInformation("Model version {Version} unloaded", v);
            }
            _retired.TryRemove(v, out _);
        }
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var delay = TimeSpan.FromMilliseconds(_options.MaxDelayMs);
        using var waitCts = new CancellationTokenSource();
        while (_carry is not null || await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!_retired.IsEmpty) DisposeRetired();
            int n = 0;
            string? version = null;
            long firstTicks = Stopwatch.GetTimestamp();
            if (_carry is not null)
            {
                _batch[n++] = _carry;
                version = _carry.ModelVersion;
                _carry = null;
            }
            while (n < _batch.Length)
            {
                if (reader.TryRead(out var item))
                {
                    if (version is not null && !string.Equals(item.ModelVersion, version, StringComparison.OrdinalIgnoreCase))
                    {
                        _carry = item; // another version: it opens the next batch
                        break;
                    }
                    version ??= item.ModelVersion;
                    _batch[n++] = item;
                    continue;
                }
                var remaining = delay - Stopwatch.GetElapsedTime(firstTicks);
                if (n == 0 || remaining <= TimeSpan.Zero || Draining) break;
                if (!waitCts.TryReset()) break;
                waitCts.CancelAfter(remaining);
                try
                {
                    if (!await reader.WaitToReadAsync(waitCts.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            if (n == 0) continue;
            Interlocked.Add(ref _queueLength, -n);
            RunBatch(n, version!);
        }
        DisposeRetired();
    }

    private void RunBatch(int n, string version)
    {
        long start = Stopwatch.GetTimestamp();
        // Only the loop removes runners, so the one found here stays alive for the whole batch.
        var runner = _runners.TryGetValue(version, out var r) ? r : RunnerFor(_plan.Stable);
        string? error = null;
        try
        {
            for (int i = 0; i < n; i++) runner.Stage(i, _batch[i]);
            runner.Run(n);
        }
        catch (Exception e)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            _logger.LogError(e, "Inference failed for a batch of {Count}", n);
        }
        double scoreSum = 0, scoreSq = 0;
        long batchId = _engineId | (Interlocked.Read(ref _batches) + 1);
        for (int i = 0; i < n; i++)
        {
            var t = _batch[i];
            _batch[i] = null!;
            float score = error is null ? runner.Score(i) : float.NaN;
            if (error is null) { scoreSum += score; scoreSq += (double)score * score; }
            var result = error is null
                ? new ScoredFrame
                {
                    CenterSequence = t.CenterSequence,
                    Score = score,
                    MapSize = runner.MapSize,
                    Map = runner.CopyMap(i),
                    ModelVersion = runner.Info.Version,
                    SubmittedTicks = t.SubmittedTicks,
                    BatchSize = n,
                    BatchId = batchId,
                }
                : new ScoredFrame { CenterSequence = t.CenterSequence, Score = float.NaN, ModelVersion = runner.Info.Version, SubmittedTicks = t.SubmittedTicks, BatchSize = n, BatchId = batchId, Error = error };
            if (!_byCamera.TryGetValue(t.CameraId, out var list)) _byCamera[t.CameraId] = list = new List<ScoredFrame>(4);
            list.Add(result);
        }
        _pending.AddOrUpdate(version, 0, (_, k) => k - n);
        long ticks = Stopwatch.GetTimestamp() - start;
        var h = _health.GetOrAdd(runner.Info.Version, _ => new HealthCounters());
        lock (h)
        {
            h.Batches++;
            h.Frames += n;
            if (error is not null) h.Errors += n;
            h.BatchMs += ticks * 1000.0 / Stopwatch.Frequency;
            h.ScoreSum += scoreSum;
            h.ScoreSq += scoreSq;
        }
        Interlocked.Add(ref _batchTicks, ticks);
        Interlocked.Increment(ref _batches);
        VadMetrics.Batches.Add(1);
        VadMetrics.InferenceLatency.Record(ticks * 1000.0 / Stopwatch.Frequency);
        VadMetrics.BatchSize.Record(n);
        Interlocked.Add(ref _frames, n);
        foreach (var (camera, list) in _byCamera)
        {
            if (list.Count == 0) continue;
            try
            {
                _deliver(camera, list.ToArray());
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Could not deliver {Count} result(s) to camera {Camera}", list.Count, camera);
            }
            list.Clear();
        }
        if (_byCamera.Count > 1024) _byCamera.Clear();
    }

    /// <summary>Stops taking triples and finishes the ones queued (graceful shutdown drains in-flight batches).</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Draining = true;
        _queue.Writer.TryComplete();
        var done = await Task.WhenAny(_loop, Task.Delay(timeout)).ConfigureAwait(false);
        if (done != _loop)
            _logger.LogWarning("Drain timed out after {Timeout} with {Count} triple(s) queued", timeout, QueueLength);
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        foreach (var r in _runners.Values) r.Dispose();
        _runners.Clear();
    }
}
