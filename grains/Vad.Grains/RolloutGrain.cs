using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Vad.Contracts;
using Vad.Core.Models;
using Vad.Registry;

namespace Vad.Grains;

[GenerateSerializer, Alias("vad.RolloutState")]
public sealed class RolloutState
{
    [Id(0)] public RolloutPhase Phase { get; set; }
    [Id(1)] public RolloutPlan Plan { get; set; } = new();
    [Id(2)] public string? Previous { get; set; }
    [Id(3)] public DateTime? WatchUntilUtc { get; set; }
    [Id(4)] public RolloutPolicy Policy { get; set; } = new();
    [Id(5)] public List<AuditEntry> Audit { get; set; } = new();
    [Id(6)] public string? LastDecision { get; set; }
    [Id(7)] public int WatchRounds { get; set; }
}

/// <summary>
/// Model rollout (key 0). Rollout: every inference grain preloads and validates the version from the registry (any
/// failure rejects it and the serving version keeps serving), then a hash-selected canary share of cameras moves to it;
/// at the end of the watch window the canary's health (error rate, per-frame inference time, score-distribution shift
/// against the stable version, same window) decides promote or roll back. Manual promote / rollback / pin; every step
/// goes to the persisted audit log; the registry's serving set follows. Inference grains that miss the current plan
/// (a new silo, a re-activation) are brought up to date every few seconds.
/// </summary>
public sealed class RolloutGrain(
    [PersistentState("rollout", VadStreams.Storage)] IPersistentState<RolloutState> state,
    IGrainFactory grainFactory,
    IServiceProvider services,
    ILogger<RolloutGrain> logger) : Grain, IRolloutGrain
{
    private const int MaxAudit = 1000;
    private IModelRegistry? _registry;
    private readonly Dictionary<string, List<VersionHealth>> _baseline = new();
    private DateTime _lastReconcile = DateTime.MinValue;

    private IModelRegistry Registry => _registry ??= services.GetService<IModelRegistry>() ?? ModelRegistryFactory.FromEnvironment();
    private RolloutState S => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(Tick, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    private async Task<List<IInferenceGrain>> Grains()
    {
        var (endpoints, _) = await grainFactory.GetGrain<IClusterDirectoryGrain>(0).GetInference();
        return endpoints.Select(e => grainFactory.GetGrain<IInferenceGrain>(e.Key)).ToList();
    }

    private void Audit(string action, string? version, bool ok, string detail)
    {
        S.Audit.Add(new AuditEntry { Utc = DateTime.UtcNow, Action = action, Version = version, Ok = ok, Detail = detail });
        if (S.Audit.Count > MaxAudit) S.Audit.RemoveRange(0, S.Audit.Count - MaxAudit);
        logger.Log(ok ? LogLevel.Information : LogLevel.Warning, "Rollout {Action} {Version}: {Detail}", action, version is null ? "" : version[..Math.Min(12, version.Length)], detail);
    }

    /// <summary>The first time: the stable version is what the inference grains serve (VAD_MODEL), registered when its manifest is there.</summary>
    private async Task EnsureStable()
    {
        if (S.Plan.Stable.Length > 0) return;
        foreach (var g in await Grains())
        {
            var m = await g.GetModels();
            if (m.Serving.Length == 0) continue;
            S.Plan = new RolloutPlan { Stable = m.Serving, Epoch = 1 };
            var info = m.Loaded.FirstOrDefault(x => x.Version == m.Serving);
            string detail = "serving at start";
            if (info is not null && File.Exists(info.Path) && File.Exists(StudentManifest.PathFor(info.Path)))
            {
                try
                {
                    await Registry.RegisterFileAsync(info.Path);
                    detail += $", registered from {info.Path}";
                }
                catch (ModelRegistryException e) { detail += $", not registered: {e.Message}"; }
            }
            Audit("adopt", m.Serving, true, detail);
            await state.WriteStateAsync();
            return;
        }
        throw new InvalidOperationException("no inference grain serves a model yet (no gpu silo started?)");
    }

    private async Task<ModelPayload> Payload(string version)
    {
        var pkg = await Registry.GetAsync(version);
        return new ModelPayload { Version = pkg.Version, Onnx = pkg.Onnx, ManifestJson = JsonSerializer.Serialize(pkg.Manifest, StudentManifest.JsonOptions) };
    }

    private async Task PushPlan(RolloutPlan plan)
    {
        var grains = await Grains();
        await Task.WhenAll(grains.Select(g => g.SetPlan(plan)));
        S.Plan = plan;
    }

    private async Task UpdateServingSet()
    {
        var serving = new[] { S.Plan.Stable, S.Plan.Candidate, S.Previous }.Concat(S.Plan.Pins.Values)
            .Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct().ToList();
        try { await Registry.SetServingAsync(serving); }
        catch (Exception e) when (e is ModelRegistryException or IOException or StackExchange.Redis.RedisException) { Audit("serving-set", null, false, e.Message); }
    }

    private string[] Keep() => new[] { S.Plan.Stable, S.Plan.Candidate, S.Previous }.Concat(S.Plan.Pins.Values)
        .Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct().ToArray();

    public async Task<RolloutStatus> Rollout(string version, int canaryPercent, RolloutPolicy? policy)
    {
        if (canaryPercent is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(canaryPercent), "canary percent must be 0..100");
        await EnsureStable();
        if (S.Phase == RolloutPhase.Canary)
            throw new InvalidOperationException($"a canary of {S.Plan.Candidate![..12]} is being watched: promote or roll back first");
        string resolved;
        ModelPayload payload;
        try
        {
            resolved = await Registry.ResolveAsync(version);
            payload = await Payload(resolved);
        }
        catch (ModelRegistryException e)
        {
            Audit("reject", version, false, e.Message);
            S.Phase = RolloutPhase.Rejected;
            await state.WriteStateAsync();
            throw new ModelRejectedException(e.Message);
        }
        if (string.Equals(resolved, S.Plan.Stable, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"version {resolved[..12]} is already the serving version");
        Audit("rollout", resolved, true, $"requested: canary {canaryPercent}%");

        var grains = await Grains();
        var loads = grains.Select(async g =>
        {
            try { await g.PreloadModel(payload); return (string?)null; }
            catch (Exception e) { return e.Message; }
        }).ToList();
        var errors = (await Task.WhenAll(loads)).Where(e => e is not null).ToList();
        if (errors.Count > 0)
        {
            await Task.WhenAll(grains.Select(g => g.RetainModels(Keep())));
            S.Phase = RolloutPhase.Rejected;
            S.LastDecision = $"rejected {resolved[..12]}: {errors[0]}";
            Audit("reject", resolved, false, $"{errors.Count}/{grains.Count} inference grain(s) refused it: {errors[0]}");
            await state.WriteStateAsync();
            throw new ModelRejectedException(S.LastDecision);
        }
        Audit("preload", resolved, true, $"loaded and validated on {grains.Count} inference grain(s)");

        _baseline.Clear();
        foreach (var g in grains)
        {
            var m = await g.GetModels();
            _baseline[m.Key] = m.Health;
        }
        S.Policy = policy ?? new RolloutPolicy();
        await PushPlan(S.Plan with { Candidate = resolved, CanaryPercent = canaryPercent, Epoch = S.Plan.Epoch + 1 });
        Audit("canary", resolved, true, $"{canaryPercent}% of cameras (hash bucket < {canaryPercent})");
        if (canaryPercent >= 100)
            return await Promote("canary share 100%");
        S.Phase = RolloutPhase.Canary;
        S.WatchRounds = 0;
        S.WatchUntilUtc = DateTime.UtcNow.AddSeconds(S.Policy.WatchSeconds);
        await UpdateServingSet();
        await state.WriteStateAsync();
        return await GetStatus();
    }

    public async Task<RolloutStatus> Promote(string reason)
    {
        await EnsureStable();
        string candidate = S.Plan.Candidate ?? throw new InvalidOperationException("no candidate version to promote");
        string old = S.Plan.Stable;
        await PushPlan(new RolloutPlan { Stable = candidate, Pins = S.Plan.Pins, Epoch = S.Plan.Epoch + 1 });
        S.Previous = old;
        S.Phase = RolloutPhase.Promoted;
        S.WatchUntilUtc = null;
        S.LastDecision = $"promoted {candidate[..12]}: {reason}";
        Audit("promote", candidate, true, reason);
        await Task.WhenAll((await Grains()).Select(g => g.RetainModels(Keep())));
        await UpdateServingSet();
        await state.WriteStateAsync();
        return await GetStatus();
    }

    public async Task<RolloutStatus> Rollback(string reason)
    {
        await EnsureStable();
        if (S.Plan.Candidate is string candidate)
        {
            await PushPlan(S.Plan with { Candidate = null, CanaryPercent = 0, Pins = Unpinned(candidate), Epoch = S.Plan.Epoch + 1 });
            S.LastDecision = $"rolled back {candidate[..12]}: {reason}";
            Audit("rollback", candidate, true, reason);
        }
        else if (S.Previous is string previous)
        {
            // After a promotion: the previous version is still loaded on every grain (retained), or comes back from the registry.
            var payload = new Lazy<Task<ModelPayload>>(() => Payload(previous));
            foreach (var g in await Grains())
                if (!(await g.GetModels()).Loaded.Any(m => string.Equals(m.Version, previous, StringComparison.OrdinalIgnoreCase)))
                    await g.PreloadModel(await payload.Value);
            string bad = S.Plan.Stable;
            await PushPlan(new RolloutPlan { Stable = previous, Pins = Unpinned(bad), Epoch = S.Plan.Epoch + 1 });
            S.Previous = null;
            S.LastDecision = $"rolled back {bad[..12]} to {previous[..12]}: {reason}";
            Audit("rollback", bad, true, $"{reason}; serving {previous[..12]} again");
        }
        else
        {
            throw new InvalidOperationException("nothing to roll back: no candidate and no previous version");
        }
        S.Phase = RolloutPhase.RolledBack;
        S.WatchUntilUtc = null;
        await Task.WhenAll((await Grains()).Select(g => g.RetainModels(Keep())));
        await UpdateServingSet();
        await state.WriteStateAsync();
        return await GetStatus();
    }

    private Dictionary<string, string> Unpinned(string version) =>
        S.Plan.Pins.Where(kv => !string.Equals(kv.Value, version, StringComparison.OrdinalIgnoreCase)).ToDictionary(kv => kv.Key, kv => kv.Value);

    public async Task<RolloutStatus> Pin(string cameraId, string? version)
    {
        await EnsureStable();
        var pins = new Dictionary<string, string>(S.Plan.Pins);
        if (version is null)
        {
            pins.Remove(cameraId);
            Audit("unpin", null, true, $"camera {cameraId}");
        }
        else
        {
            string? v = new[] { S.Plan.Stable, S.Plan.Candidate, S.Previous }
                .FirstOrDefault(x => x is not null && x.StartsWith(version, StringComparison.OrdinalIgnoreCase));
            if (v is null)
                throw new InvalidOperationException($"version {version} is not loaded (pin to the stable, candidate or previous version)");
            pins[cameraId] = v;
            Audit("pin", v, true, $"camera {cameraId}");
        }
        await PushPlan(S.Plan with { Pins = pins, Epoch = S.Plan.Epoch + 1 });
        await UpdateServingSet();
        await state.WriteStateAsync();
        return await GetStatus();
    }

    public async Task<RolloutStatus> GetStatus()
    {
        var grains = new List<InferenceModels>();
        foreach (var g in await Grains())
        {
            try { grains.Add(await g.GetModels()); }
            catch (Exception e) { logger.LogDebug(e, "GetModels failed"); }
        }
        return new RolloutStatus
        {
            Phase = S.Phase, Plan = S.Plan, Previous = S.Previous, WatchUntilUtc = S.WatchUntilUtc, Policy = S.Policy,
            Grains = grains, LastDecision = S.LastDecision,
        };
    }

    public Task<List<AuditEntry>> GetAudit(int max) => Task.FromResult(S.Audit.TakeLast(Math.Max(1, max)).ToList());

    private async Task Tick(CancellationToken ct)
    {
        try
        {
            if (S.Phase == RolloutPhase.Canary && S.WatchUntilUtc is DateTime until && DateTime.UtcNow >= until)
                await Evaluate();
            if (S.Plan.Stable.Length > 0 && DateTime.UtcNow - _lastReconcile > TimeSpan.FromSeconds(5))
            {
                _lastReconcile = DateTime.UtcNow;
                await Reconcile();
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Rollout timer");
        }
    }

    /// <summary>Brings inference grains that missed the plan (new silo, re-activation) up to date.</summary>
    private async Task Reconcile()
    {
        foreach (var g in await Grains())
        {
            var m = await g.GetModels();
            if (m.PlanEpoch == S.Plan.Epoch && m.Serving == S.Plan.Stable) continue;
            try
            {
                foreach (var v in Keep())
                    if (!m.Loaded.Any(x => string.Equals(x.Version, v, StringComparison.OrdinalIgnoreCase)))
                        await g.PreloadModel(await Payload(v));
                await g.SetPlan(S.Plan);
                await g.RetainModels(Keep());
                Audit("reconcile", S.Plan.Stable, true, $"{m.Key} brought to plan epoch {S.Plan.Epoch}");
            }
            catch (Exception e)
            {
                Audit("reconcile", S.Plan.Stable, false, $"{m.Key}: {e.Message}");
            }
            await state.WriteStateAsync();
        }
    }

    private async Task Evaluate()
    {
        string cand = S.Plan.Candidate!, stable = S.Plan.Stable;
        VersionHealth c = new() { Version = cand }, s = new() { Version = stable };
        foreach (var g in await Grains())
        {
            var m = await g.GetModels();
            _baseline.TryGetValue(m.Key, out var baseline);
            foreach (var h in m.Health)
            {
                var d = h.Minus(baseline?.FirstOrDefault(b => b.Version == h.Version));
                if (string.Equals(h.Version, cand, StringComparison.OrdinalIgnoreCase)) c = c.Plus(d);
                else if (string.Equals(h.Version, stable, StringComparison.OrdinalIgnoreCase)) s = s.Plus(d);
            }
        }
        var p = S.Policy;
        if (c.Frames < p.MinCanaryFrames)
        {
            if (++S.WatchRounds >= 5)
            {
                await Rollback($"only {c.Frames} canary frame(s) after {S.WatchRounds} watch windows");
                return;
            }
            S.WatchUntilUtc = DateTime.UtcNow.AddSeconds(p.WatchSeconds);
            Audit("watch", cand, true, $"{c.Frames} canary frame(s) < {p.MinCanaryFrames}: watching another window");
            await state.WriteStateAsync();
            return;
        }
        double errC = (double)c.Errors / c.Frames, errS = s.Frames == 0 ? 0 : (double)s.Errors / s.Frames;
        double msC = c.BatchMsSum / c.Frames, msS = s.Frames == 0 ? msC : s.BatchMsSum / s.Frames;
        long okC = c.Frames - c.Errors, okS = s.Frames - s.Errors;
        double meanC = okC > 0 ? c.ScoreSum / okC : 0, meanS = okS > 0 ? s.ScoreSum / okS : meanC;
        double stdS = okS > 1 ? Math.Sqrt(Math.Max(0, s.ScoreSqSum / okS - meanS * meanS)) : 0;
        double shift = Math.Abs(meanC - meanS) / Math.Max(stdS, 1e-3);
        string numbers = $"canary {c.Frames} frames, errors {errC:P2} vs {errS:P2}, {msC:F2} vs {msS:F2} ms/frame, mean score {meanC:G4} vs {meanS:G4} ({shift:F1} sigma)";
        Audit("health", cand, true, numbers);
        if (errC > errS + p.MaxErrorRateIncrease) await Rollback($"error rate: {numbers}");
        else if (msC > p.MaxLatencyRatio * msS + 0.5) await Rollback($"latency: {numbers}");
        else if (okS >= 30 && shift > p.MaxScoreShiftSigma) await Rollback($"score distribution shift: {numbers}");
        else await Promote($"health checks passed: {numbers}");
    }
}
