using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Vad.Contracts;

namespace Vad.Grains;

/// <summary>
/// Once the silo is active, and then on a heartbeat: registers the silo's roles in the cluster directory and, on a
/// gpu-role silo, activates its inference grains (one per configured GPU, or one CPU grain) so cameras can find them.
/// </summary>
public sealed class SiloRegistration(
    IGrainFactory grainFactory,
    ILocalSiloDetails localSilo,
    IOptions<VadSiloOptions> options,
    ILogger<SiloRegistration> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>True once the silo registered and (on a gpu silo) its inference grains loaded the model.</summary>
    public bool IsReady { get; private set; }
    public string? LastError { get; private set; }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloRegistration), ServiceLifecycleStage.Active, OnStart, OnStop);

    public IEnumerable<string> InferenceKeys()
    {
        if (!options.Value.HasRole(SiloRoles.Gpu)) yield break;
        var devices = options.Value.GpuDevices.Length == 0 ? ["cpu"] : options.Value.GpuDevices.Select(d => $"gpu{d}");
        foreach (var d in devices) yield return GpuPlacementDirector.KeyFor(localSilo.SiloAddress, d);
    }

    private async Task OnStart(CancellationToken ct)
    {
        await RegisterOnce(throwOnError: false);
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try { await Task.Delay(Heartbeat, _stop.Token); }
                catch (OperationCanceledException) { break; }
                await RegisterOnce(throwOnError: false);
            }
        });
    }

    private async Task RegisterOnce(bool throwOnError)
    {
        try
        {
            await grainFactory.GetGrain<IClusterDirectoryGrain>(0).RegisterSilo(new SiloInfo
            {
                Address = localSilo.SiloAddress.ToParsableString(),
                Name = localSilo.Name,
                Roles = options.Value.Roles,
                GpuDevices = options.Value.GpuDevices,
            });
            foreach (var key in InferenceKeys())
                await grainFactory.GetGrain<IInferenceGrain>(key).Start();
            IsReady = !_stop.IsCancellationRequested;
            LastError = null;
        }
        catch (Exception e) when (!throwOnError)
        {
            IsReady = false;
            LastError = e.Message;
            logger.LogWarning("Silo registration failed (retrying in {Heartbeat}): {Error}", Heartbeat, e.Message);
        }
    }

    private async Task OnStop(CancellationToken ct)
    {
        IsReady = false;
        _stop.Cancel();
        await _loop;
    }
}
