using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using Vad.Contracts;
using Vad.Core.Models;

namespace Vad.Grains;

/// <summary>
/// One per (silo, device), keyed <c>"{silo}|{device}"</c> (device <c>cpu</c> or a CUDA id), placed by
/// <see cref="GpuPlacementDirector"/>. Reentrant: Enqueue only writes to the engine's bounded queue and answers at once;
/// the batching loop runs off the grain scheduler and sends results to cameras with one-way calls.
/// </summary>
[GpuPlacement, Reentrant]
public sealed class InferenceGrain(
    IOptions<VadSiloOptions> siloOptions,
    IOptions<InferenceOptions> inferenceOptions,
    ILocalSiloDetails localSilo,
    IGrainFactory grainFactory,
    GpuPlacementDirector placement,
    ILogger<InferenceGrain> logger) : Grain, IInferenceGrain
{
    private BatchingEngine? _engine;
    private string? _loadError;
    private string _device = "cpu";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        VadMetrics.Track(this.GetPrimaryKeyString(), () => _engine);
        var (siloPart, device) = GpuPlacementDirector.ParseKey(this.GetPrimaryKeyString());
        _device = device;
        if (siloPart != GpuPlacementDirector.AnySilo && siloPart != localSilo.SiloAddress.ToParsableString())
        {
            // Re-activated away from its silo, which left: refuse work so cameras re-route by consistent hashing
            // over the inference grains that remain, and go away.
            _loadError = $"inference grain {this.GetPrimaryKeyString()}: its silo left the cluster";
            this.DeactivateOnIdle();
            return Task.CompletedTask;
        }
        bool onGpuSilo = siloOptions.Value.HasRole(SiloRoles.Gpu);
        if (!onGpuSilo)
            logger.LogWarning("Inference grain {Key} runs on {Silo}, which has no 'gpu' role (no gpu silo in the cluster)", this.GetPrimaryKeyString(), localSilo.SiloAddress);
        try
        {
            _engine = new BatchingEngine(LoadRunner(siloOptions.Value.ModelPath), inferenceOptions.Value, Deliver, logger);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            _loadError = $"cannot load the student model {siloOptions.Value.ModelPath}: {e.Message}";
            logger.LogError("{Error}", _loadError);
        }
        return Task.CompletedTask;
    }

    private ModelRunner LoadRunner(string path)
    {
        int? cuda = int.TryParse(_device.StartsWith("gpu", StringComparison.OrdinalIgnoreCase) ? _device[3..] : _device, out int d) ? d : null;
        var o = inferenceOptions.Value;
        return ModelRunner.Load(path, cuda, o.MaxBatchSize, o.IntraOpThreads, logger);
    }

    private void Deliver(string cameraId, ScoredFrame[] results) =>
        _ = grainFactory.GetGrain<ICameraGrain>(cameraId).OnScored(results);

    private InferenceEndpoint Endpoint() => new()
    {
        Key = this.GetPrimaryKeyString(),
        Silo = localSilo.SiloAddress.ToParsableString(),
        Device = _device,
        Model = _engine?.Model,
    };

    public async Task<InferenceStatus> Start()
    {
        if (_engine is null)
            throw new InvalidOperationException(_loadError ?? "no model loaded");
        await grainFactory.GetGrain<IClusterDirectoryGrain>(0).RegisterInference(Endpoint());
        return await GetStatus();
    }

    public Task<EnqueueResult> Enqueue(TripleRequest request) =>
        Task.FromResult(_engine?.TryEnqueue(request)
            ?? new EnqueueResult { Status = EnqueueStatus.Unavailable, Detail = _loadError ?? "no model loaded" });

    public Task<InferenceStatus> GetStatus()
    {
        var e = _engine;
        var o = inferenceOptions.Value;
        return Task.FromResult(new InferenceStatus
        {
            Key = this.GetPrimaryKeyString(),
            Silo = localSilo.SiloAddress.ToParsableString(),
            Device = _device,
            Provider = e?.Provider ?? $"unavailable: {_loadError}",
            Model = e?.Model,
            QueueLength = e?.QueueLength ?? 0,
            QueueCapacity = o.QueueCapacity,
            MaxBatchSize = o.MaxBatchSize,
            MaxDelayMs = o.MaxDelayMs,
            Batches = e?.Batches ?? 0,
            Frames = e?.Frames ?? 0,
            Rejected = e?.Rejected ?? 0,
            MeanBatchSize = e is { Batches: > 0 } ? (double)e.Frames / e.Batches : 0,
            MeanBatchMs = e?.MeanBatchMs ?? 0,
            PlacedOnGpuSilo = placement.HasGpuRole(localSilo.SiloAddress) || siloOptions.Value.HasRole(SiloRoles.Gpu),
        });
    }

    public async Task<ModelInfo> LoadModel(string onnxPath)
    {
        // Load and validate first: a model that fails never replaces the one serving.
        var runner = LoadRunner(onnxPath);
        if (_engine is null)
        {
            _engine = new BatchingEngine(runner, inferenceOptions.Value, Deliver, logger);
            _loadError = null;
        }
        else
        {
            _engine.Swap(runner);
        }
        await grainFactory.GetGrain<IClusterDirectoryGrain>(0).RegisterInference(Endpoint());
        return runner.Info;
    }

    public async Task<ModelInfo> PreloadModel(ModelPayload payload)
    {
        if (_engine?.IsLoaded(payload.Version) == true)
            return _engine.Loaded.First(m => string.Equals(m.Version, payload.Version, StringComparison.OrdinalIgnoreCase));
        // ONNX Runtime loads from a file: a per-silo cache named by the content hash (the runner re-checks the hash).
        string dir = Path.Combine(Path.GetTempPath(), "vad-model-cache", localSilo.SiloAddress.ToParsableString().Replace(':', '_').Replace('@', '_'));
        Directory.CreateDirectory(dir);
        string onnxPath = Path.Combine(dir, payload.Version + ".onnx");
        StudentManifest manifest;
        ModelRunner runner;
        try
        {
            manifest = System.Text.Json.JsonSerializer.Deserialize<StudentManifest>(payload.ManifestJson, StudentManifest.JsonOptions)
                ?? throw new InvalidDataException("empty manifest");
            await File.WriteAllBytesAsync(onnxPath, payload.Onnx);
            await File.WriteAllTextAsync(StudentManifest.PathFor(onnxPath), payload.ManifestJson);
            // Session creation and the dry run take a second or more: off the grain scheduler, so cameras on this silo keep going.
            runner = await Task.Run(() => LoadRunner(onnxPath));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException)
        {
            logger.LogWarning("Rejected model version {Version}: {Error}", payload.Version, e.Message);
            throw new ModelRejectedException($"version {payload.Version[..Math.Min(12, payload.Version.Length)]} does not load on {this.GetPrimaryKeyString()}: {e.Message}");
        }
        try
        {
            await Task.Run(() => ModelValidation.Validate(runner, manifest, payload.Version));
            if (_engine is not null) ModelValidation.CompatibleWith(runner.Info, _engine.Model);
        }
        catch
        {
            runner.Dispose();
            throw;
        }
        if (_engine is null)
        {
            _engine = new BatchingEngine(runner, inferenceOptions.Value, Deliver, logger);
            _loadError = null;
            await grainFactory.GetGrain<IClusterDirectoryGrain>(0).RegisterInference(Endpoint());
        }
        else if (!_engine.Add(runner))
        {
            runner.Dispose();
        }
        logger.LogInformation("Preloaded model version {Version} on {Key}", payload.Version[..12], this.GetPrimaryKeyString());
        return runner.Info;
    }

    public async Task SetPlan(RolloutPlan plan)
    {
        var engine = _engine ?? throw new InvalidOperationException(_loadError ?? "no model loaded");
        string before = engine.Plan.Stable;
        engine.SetPlan(plan);
        if (!string.Equals(before, plan.Stable, StringComparison.OrdinalIgnoreCase))
            await grainFactory.GetGrain<IClusterDirectoryGrain>(0).RegisterInference(Endpoint());
    }

    public Task RetainModels(string[] keep)
    {
        _engine?.Retain(keep);
        return Task.CompletedTask;
    }

    public Task<InferenceModels> GetModels()
    {
        var e = _engine;
        return Task.FromResult(new InferenceModels
        {
            Key = this.GetPrimaryKeyString(),
            Serving = e?.Plan.Stable ?? "",
            Loaded = e?.Loaded.ToList() ?? new List<ModelInfo>(),
            PlanEpoch = e?.Plan.Epoch ?? 0,
            Health = e?.Health() ?? new List<VersionHealth>(),
        });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        VadMetrics.Untrack(this.GetPrimaryKeyString());
        // On silo shutdown the directory drops this silo's grains by itself (membership); otherwise say so now.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            try
            {
                await grainFactory.GetGrain<IClusterDirectoryGrain>(0).UnregisterInference(this.GetPrimaryKeyString());
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "Could not unregister {Key}", this.GetPrimaryKeyString());
            }
        }
        if (_engine is not null)
        {
            logger.LogInformation("Draining inference grain {Key} ({Count} queued)", this.GetPrimaryKeyString(), _engine.QueueLength);
            await _engine.DisposeAsync();
            _engine = null;
        }
    }
}
