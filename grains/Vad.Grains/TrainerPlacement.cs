using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Vad.Contracts;

namespace Vad.Grains;

/// <summary>The trainer grain goes to a silo with the <c>trainer</c> role.</summary>
[GenerateSerializer, Immutable]
public sealed class TrainerPlacementStrategy : PlacementStrategy
{
    public static readonly TrainerPlacementStrategy Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TrainerPlacementAttribute : PlacementAttribute
{
    public TrainerPlacementAttribute() : base(TrainerPlacementStrategy.Instance) { }
}

/// <summary>A random trainer-role silo; with none, any silo, with a warning.</summary>
public sealed class TrainerPlacementDirector(ISiloMetadataCache metadata, ILogger<TrainerPlacementDirector> logger) : IPlacementDirector
{
    public bool HasTrainerRole(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloRoles.MetadataKey, out var roles)
        && roles.Split(',', StringSplitOptions.TrimEntries).Contains(SiloRoles.Trainer, StringComparer.OrdinalIgnoreCase);

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (compatible.Length == 0) throw new OrleansException($"no silo can host {target.GrainIdentity}");
        var trainers = compatible.Where(HasTrainerRole).ToArray();
        if (trainers.Length > 0) return Task.FromResult(trainers[Random.Shared.Next(trainers.Length)]);
        var any = compatible[Random.Shared.Next(compatible.Length)];
        logger.LogWarning("No silo with the 'trainer' role: placing {Grain} on {Silo}", target.GrainIdentity, any);
        return Task.FromResult(any);
    }
}

public sealed class TrainerOptions
{
    /// <summary>How often a trainer silo wakes the trainer grain (so jobs resume after a restart).</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>On a trainer-role silo: wakes the trainer grain once active and then on a heartbeat.</summary>
public sealed class TrainerWakeup(
    IGrainFactory grainFactory,
    IOptions<VadSiloOptions> silo,
    IOptions<TrainerOptions> options,
    ILogger<TrainerWakeup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(TrainerWakeup), ServiceLifecycleStage.Active, OnStart, OnStop);

    private Task OnStart(CancellationToken ct)
    {
        if (!silo.Value.HasRole(SiloRoles.Trainer)) return Task.CompletedTask;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try { await grainFactory.GetGrain<ITrainerGrain>(0).Resume(); }
                catch (Exception e) when (!_stop.IsCancellationRequested) { logger.LogWarning("Waking the trainer grain failed: {Error}", e.Message); }
                try { await Task.Delay(options.Value.Heartbeat, _stop.Token); }
                catch (OperationCanceledException) { break; }
            }
        });
        return Task.CompletedTask;
    }

    private async Task OnStop(CancellationToken ct)
    {
        _stop.Cancel();
        try { await _loop; } catch (OperationCanceledException) { }
    }
}
