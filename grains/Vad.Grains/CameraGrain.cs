using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;
using Vad.Contracts;
using Vad.Core.Frames;

namespace Vad.Grains;

[GenerateSerializer]
public sealed class CameraState
{
    [Id(0)] public CameraSettings Settings { get; set; } = new();
    [Id(1)] public List<Alert> Alerts { get; set; } = [];
    [Id(2)] public long NextAlertId { get; set; } = 1;
    [Id(3)] public bool Registered { get; set; }
}

/// <summary>
/// One camera. Keeps a ring buffer of the last 2t+1 frames; when frame i+t arrives it sends the triple centred at i
/// (clamped at the start and, on EndStream, at the end of a stream, so every received frame gets an outcome). Results
/// are applied in sequence order: causal smoothing, alert lifecycle, persisted alert log, alert stream.
/// Invariant: received = scored + dropped + pending, pending = 0 once a stream ended and its results came back.
/// An exact re-send of a frame this activation already took (an at-least-once client retrying) is a duplicate: acked,
/// not counted again.
/// </summary>
public sealed class CameraGrain(
    [PersistentState("camera", VadStreams.Storage)] IPersistentState<CameraState> state,
    IOptions<InferenceOptions> inferenceOptions,
    IOptions<CameraOptions> cameraOptions,
    ILocalSiloDetails localSilo,
    ILogger<CameraGrain> logger) : Grain, ICameraGrain
{
    private sealed record Buffered(long Sequence, TimeSpan Timestamp, byte[] Pixels);
    private sealed record InFlight(long Sequence, TimeSpan Timestamp, long SubmittedTicks);
    private readonly record struct Outcome(ScoredFrame? Scored, string? DropReason);

    private string _id = "";
    private AlertTracker _tracker = null!;
    private Buffered?[] _ring = [];
    private long _position; // frames received in the current stream
    private long? _lastSequence;
    private long _received, _scored, _rejected, _lostUpstream;
    private readonly Dictionary<string, long> _dropped = new(StringComparer.Ordinal);
    private readonly Queue<InFlight> _order = new();
    private readonly Dictionary<long, Outcome> _outcomes = new();
    private readonly LatencyReservoir _latencies = new(cameraOptions.Value.LatencySamples);
    private readonly List<ScorePoint> _scores = new();
    private float? _lastScore;
    private string? _modelVersion;
    private string? _lastError;

    // Inference routing (consistent hashing over the registered inference grains).
    private List<InferenceEndpoint> _endpoints = [];
    private int _endpointsVersion = -1;
    private long _endpointsFetchedTicks;
    private InferenceEndpoint? _endpoint;
    private ModelInfo? _model;

    // Silo-side source.
    private CancellationTokenSource? _sourceCts;
    private Task? _sourceTask;
    private volatile string? _sourceUrl;
    private volatile int _sourceState;
    private volatile string? _sourceError;

    private IAsyncStream<AlertEvent>? _cameraStream, _allStream;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = this.GetPrimaryKeyString();
        _tracker = new AlertTracker(_id, state.State.Settings) { NextAlertId = state.State.NextAlertId };
        var provider = this.GetStreamProvider(VadStreams.Provider);
        _cameraStream = provider.GetStream<AlertEvent>(StreamId.Create(VadStreams.AlertNamespace, _id));
        _allStream = provider.GetStream<AlertEvent>(StreamId.Create(VadStreams.AlertNamespace, VadStreams.AllCameras));
        this.RegisterGrainTimer(CheckLostResults, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        if (!state.State.Registered)
        {
            await GrainFactory.GetGrain<IClusterDirectoryGrain>(0).RegisterCamera(_id);
            state.State.Registered = true;
            await PersistAsync();
        }
    }

    private int Stride => _model?.StrideT ?? 3;

    // ---- inference routing ---------------------------------------------------------------------------------------

    private async Task<IInferenceGrain> Route(bool refresh)
    {
        bool stale = Stopwatch.GetElapsedTime(_endpointsFetchedTicks) > TimeSpan.FromSeconds(5);
        if (refresh || stale || _endpoint is null)
        {
            var (endpoints, version) = await GrainFactory.GetGrain<IClusterDirectoryGrain>(0).GetInference();
            _endpointsFetchedTicks = Stopwatch.GetTimestamp();
            if (version != _endpointsVersion || _endpoint is null || refresh)
            {
                _endpoints = endpoints;
                _endpointsVersion = version;
                if (endpoints.Count == 0)
                {
                    // No gpu silo registered an inference grain: the placement director puts this one on any silo.
                    var fallback = GrainFactory.GetGrain<IInferenceGrain>($"{GpuPlacementDirector.AnySilo}|cpu");
                    await fallback.Start();
                    (endpoints, version) = await GrainFactory.GetGrain<IClusterDirectoryGrain>(0).GetInference();
                    _endpoints = endpoints;
                    _endpointsVersion = version;
                    if (endpoints.Count == 0) throw new NoInferenceException("no inference grain is registered in the cluster");
                }
                var ring = new ConsistentHashRing(_endpoints.Select(e => e.Key));
                string owner = ring.Owner(_id)!;
                var chosen = _endpoints.First(e => e.Key == owner);
                if (_endpoint?.Key != chosen.Key && _endpoint is not null)
                    logger.LogInformation("Camera {Camera} moves from inference grain {Old} to {New}", _id, _endpoint.Key, chosen.Key);
                _endpoint = chosen;
                _model = chosen.Model ?? _model;
            }
        }
        return GrainFactory.GetGrain<IInferenceGrain>(_endpoint!.Key);
    }

    public async Task<ModelInfo> EnsureModel()
    {
        if (_model is null) await Route(refresh: false);
        return _model ?? throw new NoInferenceException("the inference grains report no model");
    }

    // ---- frames --------------------------------------------------------------------------------------------------

    public async Task<FrameAck> PushFrame(FrameMessage frame, IngestMode mode)
    {
        var model = await EnsureModel();
        if (Validate(frame, model) is { } invalid) throw Reject(invalid);
        if (_lastSequence is long previousSeq && frame.Sequence <= previousSeq)
        {
            // At-least-once clients re-send frames whose call failed: an exact re-send of a frame this activation
            // already took is a duplicate (ignored, not counted); anything else going backwards is an error.
            if (_receivedHashes.TryGetValue(frame.Sequence, out int seen) && seen == PixelHash(frame.Pixels))
                return Ack(FrameStatus.Accepted, DuplicateReason);
            throw Reject($"sequence number {frame.Sequence} does not follow {previousSeq} (sequence numbers must increase)");
        }
        // A new activation (the previous one's silo died) must not start after frames the sender still waits on: the
        // old activation may have taken them and died before scoring them, and once this one takes a later frame they
        // could never be sent again (sequence numbers must increase). Orleans can route a call to the new activation
        // without the sender seeing any failure, so the sender cannot tell on its own.
        if (_lastSequence is null && frame.OldestUnsettled is long oldest && oldest < frame.Sequence)
            return Ack(FrameStatus.Rewind, $"camera {_id} holds no frames; send again from frame {oldest}, not {frame.Sequence}");
        int t = model.StrideT;
        if (_ring.Length != 2 * t + 1) ResetStream(t);

        if (!state.State.Settings.Enabled)
        {
            // Counted (received and dropped), never buffered: a disabled camera scores nothing.
            Remember(frame);
            _lastSequence = frame.Sequence;
            _received++;
            VadMetrics.FramesReceived.Add(1, VadMetrics.Camera(_id));
            RecordOutcome(new InFlight(frame.Sequence, frame.Timestamp, 0), new Outcome(null, "camera_disabled"));
            return Ack(FrameStatus.Dropped, "camera_disabled");
        }

        long p = _position;
        if (p < t)
        {
            Accept(frame);
            return Ack(FrameStatus.Accepted, null);
        }
        // Frame p = i + t completes the triple centred at i = p - t.
        long c = p - t;
        var centre = _ring[c % _ring.Length]!;
        var previous = _ring[Math.Max(c - t, 0) % _ring.Length]!;
        var (status, reason) = await Submit(previous, centre, frame.Pixels, model, mode);
        if (status == FrameStatus.Busy)
        {
            if (mode == IngestMode.Lossless) return Ack(FrameStatus.Busy, reason);
            // Realtime: the frame is taken, the triple centred at i is dropped and counted.
            RecordOutcome(new InFlight(centre.Sequence, centre.Timestamp, 0), new Outcome(null, "queue_full"));
            Accept(frame);
            return Ack(FrameStatus.Dropped, reason);
        }
        Accept(frame);
        return Ack(status, reason);
    }

    private InvalidFrameException Reject(string problem)
    {
        _rejected++;
        _lastError = problem;
        return new InvalidFrameException($"camera {_id}: {problem}");
    }

    private static string? Validate(FrameMessage frame, ModelInfo model)
    {
        if (frame.Width != model.InputWidth || frame.Height != model.InputHeight)
            return $"frame {frame.Sequence} is {frame.Width}x{frame.Height}, the model input is {model.InputWidth}x{model.InputHeight}";
        if (frame.Format != model.Format)
            return $"frame {frame.Sequence} is {frame.Format}, the model wants {model.Format}";
        int expected = model.InputWidth * model.InputHeight * model.Channels;
        if (frame.Pixels.Length != expected)
            return $"frame {frame.Sequence} has {frame.Pixels.Length} bytes, expected {expected} ({model.InputWidth}x{model.InputHeight}x{model.Channels})";
        if (frame.Sequence < 0)
            return $"sequence number {frame.Sequence} is negative";
        return null;
    }

    /// <summary>FrameAck.Reason of a re-sent frame this activation had already taken.</summary>
    public const string DuplicateReason = "duplicate";
    private const int DuplicateWindow = 4096;
    private readonly Dictionary<long, int> _receivedHashes = new();
    private readonly Queue<long> _receivedOrder = new();

    private void Remember(FrameMessage frame)
    {
        _receivedHashes[frame.Sequence] = PixelHash(frame.Pixels);
        _receivedOrder.Enqueue(frame.Sequence);
        if (_receivedOrder.Count > DuplicateWindow) _receivedHashes.Remove(_receivedOrder.Dequeue());
    }

    private static int PixelHash(byte[] pixels)
    {
        var h = new HashCode();
        h.AddBytes(pixels);
        return h.ToHashCode();
    }

    private void Accept(FrameMessage frame)
    {
        Remember(frame);
        if (_lastSequence is long last && frame.Sequence > last + 1) _lostUpstream += frame.Sequence - last - 1;
        _lastSequence = frame.Sequence;
        _ring[_position % _ring.Length] = new Buffered(frame.Sequence, frame.Timestamp, frame.Pixels);
        _position++;
        _received++;
        VadMetrics.FramesReceived.Add(1, VadMetrics.Camera(_id));
    }

    // Submits the triple centred at `centre`; Busy means the inference queue is full.
    private async Task<(FrameStatus Status, string? Reason)> Submit(Buffered previous, Buffered centre, byte[] next, ModelInfo model, IngestMode mode)
    {
        long ticks = Stopwatch.GetTimestamp();
        var request = new TripleRequest
        {
            CameraId = _id,
            CenterSequence = centre.Sequence,
            Width = model.InputWidth,
            Height = model.InputHeight,
            Format = model.Format,
            Previous = previous.Pixels,
            Center = centre.Pixels,
            Next = next,
            SubmittedTicks = ticks,
        };
        EnqueueResult result;
        try
        {
            result = await (await Route(refresh: false)).Enqueue(request);
            if (result.Status == EnqueueStatus.Unavailable)
                result = await (await Route(refresh: true)).Enqueue(request);
        }
        catch (Exception e) when (e is not NoInferenceException)
        {
            // The inference grain's silo may be gone: look again and retry once on the grain the ring now names.
            logger.LogWarning("Camera {Camera}: inference call failed ({Error}); re-routing", _id, e.Message);
            try
            {
                result = await (await Route(refresh: true)).Enqueue(request);
            }
            catch (Exception e2)
            {
                _lastError = $"inference unavailable: {e2.Message}";
                result = new EnqueueResult { Status = EnqueueStatus.Unavailable, Detail = e2.Message };
            }
        }
        var inflight = new InFlight(centre.Sequence, centre.Timestamp, ticks);
        switch (result.Status)
        {
            case EnqueueStatus.Accepted:
                _order.Enqueue(inflight);
                return (FrameStatus.Accepted, null);
            case EnqueueStatus.QueueFull:
                // Lossless callers retry the frame: nothing is recorded for this centre yet.
                return (FrameStatus.Busy, "queue_full");
            case EnqueueStatus.Unavailable when mode == IngestMode.Lossless:
                _lastError = result.Detail;
                _endpoint = null;
                return (FrameStatus.Busy, "inference_unavailable");
            default:
                string reason = result.Status == EnqueueStatus.Invalid ? "invalid_for_model" : "inference_unavailable";
                _lastError = result.Detail;
                RecordOutcome(inflight, new Outcome(null, reason));
                return (FrameStatus.Dropped, reason);
        }
    }

    private void RecordOutcome(InFlight f, Outcome o)
    {
        _order.Enqueue(f);
        _outcomes[f.Sequence] = o;
        Drain();
    }

    private FrameAck Ack(FrameStatus status, string? reason) => new()
    {
        Status = status,
        Reason = reason,
        Received = _received,
        Scored = _scored,
        Dropped = _dropped.Values.Sum(),
    };

    private void ResetStream(int t)
    {
        _ring = new Buffered?[2 * t + 1];
        _position = 0;
        _tracker.ResetHistory();
    }

    public async Task<FrameAck> EndStream()
    {
        int t = Stride;
        if (_position > 0 && _ring.Length == 2 * t + 1)
        {
            long last = _position - 1;
            var model = await EnsureModel();
            for (long c = Math.Max(0, _position - t); c <= last; c++)
            {
                var centre = _ring[c % _ring.Length]!;
                var previous = _ring[Math.Max(c - t, 0) % _ring.Length]!;
                var next = _ring[Math.Min(c + t, last) % _ring.Length]!;
                // End of stream: wait for room instead of dropping the tail.
                while (true)
                {
                    var (status, _) = await Submit(previous, centre, next.Pixels, model, IngestMode.Lossless);
                    if (status != FrameStatus.Busy) break;
                    await Task.Delay(5);
                }
            }
        }
        _position = 0;
        Array.Clear(_ring);
        _endOfStreamPending = true;
        await Drain_PublishAsync();
        return Ack(FrameStatus.Accepted, null);
    }

    private bool _endOfStreamPending;
    private TimeSpan _lastScoredTime;

    // ---- results -------------------------------------------------------------------------------------------------

    public async Task OnScored(ScoredFrame[] results)
    {
        foreach (var r in results)
        {
            if (_outcomes.ContainsKey(r.CenterSequence) || !_order.Any(f => f.Sequence == r.CenterSequence)) continue;
            _outcomes[r.CenterSequence] = r.Error is null ? new Outcome(r, null) : new Outcome(null, "inference_error");
            if (r.Error is not null) _lastError = r.Error;
        }
        await Drain_PublishAsync();
    }

    private readonly List<AlertEvent> _events = new();

    // Applies outcomes in sequence order.
    private void Drain()
    {
        while (_order.TryPeek(out var head) && _outcomes.Remove(head.Sequence, out var outcome))
        {
            _order.Dequeue();
            if (outcome.Scored is { } s)
            {
                _scored++;
                double latency = Stopwatch.GetElapsedTime(s.SubmittedTicks).TotalMilliseconds;
                _latencies.Add((float)latency);
                VadMetrics.FramesScored.Add(1, VadMetrics.Camera(_id));
                VadMetrics.FrameLatency.Record(latency, VadMetrics.Camera(_id));
                float smoothed = _tracker.Smooth(s.Score);
                _lastScore = smoothed;
                _lastScoredTime = head.Timestamp;
                _modelVersion = s.ModelVersion;
                if (_scores.Count >= cameraOptions.Value.ScoreHistory) _scores.RemoveRange(0, _scores.Count / 2);
                _scores.Add(new ScorePoint(head.Sequence, s.Score, smoothed));
                var ev = _tracker.Observe(head.Sequence, head.Timestamp, smoothed, s.Map, s.MapSize, s.ModelVersion, DateTime.UtcNow);
                if (ev is not null) _events.Add(ev);
                if (ev?.Kind == AlertEventKind.Opened) VadMetrics.AlertsOpened.Add(1, VadMetrics.Camera(_id));
            }
            else
            {
                string reason = outcome.DropReason ?? "unknown";
                _dropped[reason] = _dropped.GetValueOrDefault(reason) + 1;
                VadMetrics.FramesDropped.Add(1, VadMetrics.Camera(_id), new KeyValuePair<string, object?>("reason", reason));
            }
        }
    }

    private async Task Drain_PublishAsync()
    {
        Drain();
        if (_endOfStreamPending && _order.Count == 0)
        {
            _endOfStreamPending = false;
            var last = _scores.Count > 0 ? _scores[^1].Sequence : _lastSequence ?? 0;
            var ev = _tracker.Close(last, _lastScoredTime, DateTime.UtcNow);
            if (ev is not null) _events.Add(ev);
        }
        if (_events.Count == 0) return;
        var events = _events.ToArray();
        _events.Clear();
        bool persist = false;
        foreach (var ev in events)
        {
            if (ev.Kind != AlertEventKind.Updated)
            {
                persist = true;
                int i = state.State.Alerts.FindIndex(a => a.Id == ev.Alert.Id);
                if (i >= 0) state.State.Alerts[i] = ev.Alert; else state.State.Alerts.Add(ev.Alert);
            }
            logger.LogInformation("Camera {Camera} alert {Id} {Kind}: frames {Start}-{End}, peak {Peak:0.000}",
                _id, ev.Alert.Id, ev.Kind, ev.Alert.StartSequence, ev.Alert.EndSequence, ev.Alert.PeakScore);
        }
        if (persist)
        {
            state.State.NextAlertId = _tracker.NextAlertId;
            ApplyRetention();
            await PersistAsync();
        }
        foreach (var ev in events)
        {
            try
            {
                await _cameraStream!.OnNextAsync(ev);
                await _allStream!.OnNextAsync(ev);
            }
            catch (Exception e)
            {
                logger.LogWarning("Camera {Camera}: could not publish alert event: {Error}", _id, e.Message);
            }
        }
    }

    // This activation is its state's only writer, so a version conflict means an earlier write landed but its reply
    // was lost (a Redis restart): refresh the ETag and write the newer in-memory state again. Letting the
    // InconsistentStateException escape would make Orleans deactivate the camera and orphan its in-flight frames.
    private async Task PersistAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Orleans.Storage.InconsistentStateException)
        {
            var mine = state.State;
            await state.ReadStateAsync();
            state.State = mine;
            await state.WriteStateAsync();
        }
    }

    private void ApplyRetention() => ApplyRetention(state.State.Alerts, state.State.Settings, DateTime.UtcNow);

    /// <summary>Bounds an alert log (oldest first): closed alerts older than the retention go, then the oldest beyond MaxAlerts.</summary>
    public static void ApplyRetention(List<Alert> alerts, CameraSettings s, DateTime nowUtc)
    {
        var cutoff = nowUtc - s.AlertRetention;
        alerts.RemoveAll(a => !a.IsOpen && (a.EndUtc ?? a.StartUtc) < cutoff);
        int excess = alerts.Count - s.MaxAlerts;
        if (excess > 0) alerts.RemoveRange(0, excess);
    }

    private async Task CheckLostResults(CancellationToken ct)
    {
        var timeout = inferenceOptions.Value.ResultTimeout;
        bool any = false;
        foreach (var f in _order)
        {
            if (f.SubmittedTicks != 0 && !_outcomes.ContainsKey(f.Sequence) && Stopwatch.GetElapsedTime(f.SubmittedTicks) > timeout)
            {
                _outcomes[f.Sequence] = new Outcome(null, "inference_lost");
                any = true;
            }
        }
        if (any)
        {
            logger.LogWarning("Camera {Camera}: results lost (no answer within {Timeout}); counted as dropped", _id, timeout);
            _endpoint = null; // re-route on the next frame
            await Drain_PublishAsync();
        }
    }

    // ---- queries and settings ------------------------------------------------------------------------------------

    public Task<CameraStatus> GetStatus()
    {
        var lat = _latencies.Snapshot();
        return Task.FromResult(new CameraStatus
        {
            CameraId = _id,
            Settings = state.State.Settings,
            Received = _received,
            Scored = _scored,
            DroppedByReason = new Dictionary<string, long>(_dropped),
            Pending = _received - _scored - _dropped.Values.Sum(),
            LastSequence = _lastSequence,
            LatencyP50Ms = LatencyReservoir.Percentile(lat, 50),
            LatencyP90Ms = LatencyReservoir.Percentile(lat, 90),
            LatencyP99Ms = LatencyReservoir.Percentile(lat, 99),
            AlertCount = state.State.Alerts.Count,
            OpenAlert = _tracker.Open,
            SourceUrl = _sourceUrl,
            SourceState = (SourceState)_sourceState,
            LastError = _sourceError ?? _lastError,
            InferenceGrain = _endpoint?.Key,
            ModelVersion = _modelVersion ?? _model?.Version,
            LastScore = _lastScore,
            Rejected = _rejected,
            LostUpstream = _lostUpstream,
            Silo = localSilo.SiloAddress.ToParsableString(),
        });
    }

    public Task<List<Alert>> GetAlerts(DateTime? sinceUtc)
    {
        var alerts = state.State.Alerts.Where(a => sinceUtc is null || (a.EndUtc ?? DateTime.MaxValue) >= sinceUtc || a.StartUtc >= sinceUtc).ToList();
        if (_tracker.Open is { } open && alerts.All(a => a.Id != open.Id)) alerts.Add(open);
        return Task.FromResult(alerts);
    }

    public Task<List<ScorePoint>> GetScores(long fromSequence, int max) =>
        Task.FromResult(_scores.Where(s => s.Sequence >= fromSequence).Take(Math.Max(0, max)).ToList());

    public Task<float[]> GetLatencies() => Task.FromResult(_latencies.Snapshot());

    public Task<CameraSettings> GetSettings() => Task.FromResult(state.State.Settings);

    public async Task UpdateSettings(CameraSettings settings)
    {
        if (settings.Validate() is { } error) throw new ArgumentException($"camera {_id}: {error}");
        state.State.Settings = settings;
        _tracker.Configure(settings);
        ApplyRetention();
        await PersistAsync();
    }

    // ---- silo-side source ----------------------------------------------------------------------------------------

    public async Task StartSource(string source, bool realtime)
    {
        if (string.IsNullOrWhiteSpace(source)) throw new ArgumentException("source is empty");
        await StopSource();
        var model = await EnsureModel();
        var self = this.AsReference<ICameraGrain>();
        _sourceCts = new CancellationTokenSource();
        _sourceUrl = source;
        _sourceError = null;
        _sourceState = (int)SourceState.Running;
        long firstSequence = (_lastSequence ?? -1) + 1;
        var ct = _sourceCts.Token;
        var opts = cameraOptions.Value;
        double fps = state.State.Settings.Fps;
        _sourceTask = Task.Run(() => ReadSourceAsync(self, source, model, realtime, firstSequence, fps, opts, ct), CancellationToken.None);
    }

    private async Task ReadSourceAsync(ICameraGrain self, string source, ModelInfo model, bool realtime, long sequence, double fps,
        CameraOptions opts, CancellationToken ct)
    {
        bool live = FrameSource.IsUrl(source);
        var backoff = opts.ReconnectInitialBackoff;
        var frameOptions = new FrameSourceOptions
        {
            Width = model.InputWidth,
            Height = model.InputHeight,
            PixelFormat = model.Channels == 3 ? FramePixelFormat.Rgb24 : FramePixelFormat.Gray8,
            OnCorruptFrame = CorruptFramePolicy.Continue,
        };
        var mode = realtime || live ? IngestMode.Realtime : IngestMode.Lossless;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var src = FrameSource.Open(source, frameOptions);
                _sourceState = (int)SourceState.Running;
                backoff = opts.ReconnectInitialBackoff;
                var clock = Stopwatch.StartNew();
                foreach (var frame in src.ReadFrames(ct))
                {
                    if (realtime && !live)
                    {
                        var due = TimeSpan.FromSeconds(frame.Index / fps) - clock.Elapsed;
                        if (due > TimeSpan.Zero) await Task.Delay(due, ct);
                    }
                    var msg = new FrameMessage
                    {
                        Sequence = sequence++,
                        Timestamp = frame.Timestamp,
                        Width = frame.Width,
                        Height = frame.Height,
                        Format = frame.PixelFormat == FramePixelFormat.Rgb24 ? FrameFormat.Rgb24 : FrameFormat.Gray8,
                        Pixels = frame.Data,
                    };
                    while ((await self.PushFrame(msg, mode)).Status == FrameStatus.Busy)
                        await Task.Delay(2, ct);
                }
                await self.EndStream();
                if (!live)
                {
                    _sourceState = (int)SourceState.Finished;
                    return;
                }
                _sourceError = "stream ended; reconnecting";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (live && e is FrameSourceException or IOException or InvalidOperationException)
            {
                _sourceError = e.Message;
                logger.LogWarning("Camera {Camera}: source {Source} failed ({Error}); reconnecting in {Backoff}", _id, source, e.Message, backoff);
            }
            catch (Exception e)
            {
                _sourceError = e.Message;
                _sourceState = (int)SourceState.Failed;
                logger.LogWarning("Camera {Camera}: source {Source} failed: {Error}", _id, source, e.Message);
                try { await self.EndStream(); } catch (Exception e2) { logger.LogDebug(e2, "EndStream after a failed source"); }
                return;
            }
            _sourceState = (int)SourceState.Reconnecting;
            try { await Task.Delay(backoff, ct); } catch (OperationCanceledException) { break; }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, opts.ReconnectMaxBackoff.Ticks));
        }
        _sourceState = (int)SourceState.Stopped;
    }

    public async Task StopSource()
    {
        if (_sourceCts is null) return;
        _sourceCts.Cancel();
        // The reader calls this grain; do not wait on it from inside a turn for long.
        if (_sourceTask is not null) await Task.WhenAny(_sourceTask, Task.Delay(TimeSpan.FromSeconds(2)));
        _sourceCts.Dispose();
        _sourceCts = null;
        _sourceState = (int)SourceState.Stopped;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_sourceCts is not null) await StopSource();
    }
}
