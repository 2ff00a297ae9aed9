using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vad.Contracts;

namespace Vad.Grains;

/// <summary>
/// Cross-camera dynamic batching for one device: a bounded queue of triples, one loop that takes up to MaxBatchSize
/// of them (waiting at most MaxDelay after the first), runs the student once, and sends each camera its results.
/// A model swap is picked up between two batches, never inside one.
/// </summary>
public sealed class BatchingEngine : IAsyncDisposable
{
    private readonly Channel<TripleRequest> _queue;
    private readonly InferenceOptions _options;
    private readonly Action<string, ScoredFrame[]> _deliver;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private ModelRunner _runner;
    private ModelRunner? _pendingSwap;
    private int _queueLength;
    private long _batches, _frames, _rejected, _batchTicks;
    private readonly TripleRequest[] _batch;
    private readonly Dictionary<string, List<ScoredFrame>> _byCamera = new(StringComparer.Ordinal);

    public BatchingEngine(ModelRunner runner, InferenceOptions options, Action<string, ScoredFrame[]> deliver, ILogger logger)
    {
        _runner = runner;
        _options = options;
        _deliver = deliver;
        _logger = logger;
        _batch = new TripleRequest[runner.MaxBatchSize];
        _queue = Channel.CreateBounded<TripleRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Factory.StartNew(LoopAsync, TaskCreationOptions.LongRunning).Unwrap();
    }

    public ModelInfo Model => Volatile.Read(ref _pendingSwap)?.Info ?? _runner.Info;
    public string Provider => _runner.Provider;
    public int QueueLength => Volatile.Read(ref _queueLength);
    public long Batches => Interlocked.Read(ref _batches);
    public long Frames => Interlocked.Read(ref _frames);
    public long Rejected => Interlocked.Read(ref _rejected);
    public double MeanBatchMs => Batches == 0 ? 0 : Interlocked.Read(ref _batchTicks) * 1000.0 / Stopwatch.Frequency / Batches;
    public bool Draining { get; private set; }

    public EnqueueResult TryEnqueue(TripleRequest request)
    {
        if (Draining)
            return new EnqueueResult { Status = EnqueueStatus.Unavailable, Detail = "inference grain is draining" };
        var model = Model;
        int expected = model.InputWidth * model.InputHeight * model.Channels;
        if (request.Width != model.InputWidth || request.Height != model.InputHeight || request.Format != model.Format
            || request.Previous.Length != expected || request.Center.Length != expected || request.Next.Length != expected)
            return new EnqueueResult
            {
                Status = EnqueueStatus.Invalid,
                Detail = $"triple is {request.Width}x{request.Height} {request.Format}, model {model.Version[..Math.Min(12, model.Version.Length)]} wants {model.InputWidth}x{model.InputHeight} {model.Format}",
            };
        if (!_queue.Writer.TryWrite(request))
        {
            Interlocked.Increment(ref _rejected);
            return new EnqueueResult { Status = EnqueueStatus.QueueFull, QueueLength = QueueLength };
        }
        return new EnqueueResult { Status = EnqueueStatus.Accepted, QueueLength = Interlocked.Increment(ref _queueLength) };
    }

    /// <summary>Serves <paramref name="next"/> from the next batch on; the old runner is disposed after its last batch.</summary>
    public void Swap(ModelRunner next)
    {
        if (next.MaxBatchSize != _runner.MaxBatchSize)
            throw new ArgumentException("a replacement runner must have the same maximum batch size");
        Interlocked.Exchange(ref _pendingSwap, next)?.Dispose();
    }

    private async Task LoopAsync()
    {
        var reader = _queue.Reader;
        var delay = TimeSpan.FromMilliseconds(_options.MaxDelayMs);
        using var waitCts = new CancellationTokenSource();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var swap = Interlocked.Exchange(ref _pendingSwap, null);
            if (swap is not null)
            {
                var old = _runner;
                _runner = swap;
                old.Dispose();
                _logger.LogInformation("Model swapped to version {Version}", swap.Info.Version);
            }
            int n = 0;
            long firstTicks = Stopwatch.GetTimestamp();
            while (n < _batch.Length)
            {
                if (reader.TryRead(out var item))
                {
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
            RunBatch(n);
        }
    }

    private void RunBatch(int n)
    {
        long start = Stopwatch.GetTimestamp();
        var runner = _runner;
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
        for (int i = 0; i < n; i++)
        {
            var t = _batch[i];
            _batch[i] = null!;
            var result = error is null
                ? new ScoredFrame
                {
                    CenterSequence = t.CenterSequence,
                    Score = runner.Score(i),
                    MapSize = runner.MapSize,
                    Map = runner.CopyMap(i),
                    ModelVersion = runner.Info.Version,
                    SubmittedTicks = t.SubmittedTicks,
                    BatchSize = n,
                }
                : new ScoredFrame { CenterSequence = t.CenterSequence, Score = float.NaN, ModelVersion = runner.Info.Version, SubmittedTicks = t.SubmittedTicks, BatchSize = n, Error = error };
            if (!_byCamera.TryGetValue(t.CameraId, out var list)) _byCamera[t.CameraId] = list = new List<ScoredFrame>(4);
            list.Add(result);
        }
        Interlocked.Add(ref _batchTicks, Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref _batches);
        VadMetrics.Batches.Add(1);
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
        _runner.Dispose();
        Interlocked.Exchange(ref _pendingSwap, null)?.Dispose();
    }
}
