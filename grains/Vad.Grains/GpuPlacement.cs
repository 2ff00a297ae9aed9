using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Vad.Grains;

/// <summary>Inference grains go to silos with the <c>gpu</c> role (silo metadata <see cref="SiloRoles.MetadataKey"/>).</summary>
[GenerateSerializer, Immutable]
public sealed class GpuPlacementStrategy : PlacementStrategy
{
    public static readonly GpuPlacementStrategy Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuPlacementAttribute : PlacementAttribute
{
    public GpuPlacementAttribute() : base(GpuPlacementStrategy.Instance) { }
}

/// <summary>
/// Places an inference grain keyed <c>"{silo}|{device}"</c> on that silo (one grain per (silo, GPU)); a grain whose
/// silo is gone or that is keyed <c>"any|..."</c> goes to a random gpu-role silo, and with no gpu silo at all to any
/// silo, with a warning.
/// </summary>
public sealed class GpuPlacementDirector(ISiloMetadataCache metadata, ILogger<GpuPlacementDirector> logger) : IPlacementDirector
{
    public const string AnySilo = "any";

    public static string KeyFor(SiloAddress silo, string device) => $"{silo.ToParsableString()}|{device}";

    public static (string Silo, string Device) ParseKey(string key)
    {
        int bar = key.LastIndexOf('|');
        return bar < 0 ? (AnySilo, key) : (key[..bar], key[(bar + 1)..]);
    }

    public bool HasGpuRole(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloRoles.MetadataKey, out var roles)
        && roles.Split(',', StringSplitOptions.TrimEntries).Contains(SiloRoles.Gpu, StringComparer.OrdinalIgnoreCase);

    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        if (compatible.Length == 0)
            throw new OrleansException($"no silo can host {target.GrainIdentity}");
        var (siloPart, _) = ParseKey(target.GrainIdentity.Key.ToString()!);
        if (siloPart != AnySilo)
        {
            try
            {
                var wanted = SiloAddress.FromParsableString(siloPart);
                if (compatible.Contains(wanted)) return Task.FromResult(wanted);
            }
            catch (FormatException)
            {
                logger.LogWarning("Inference grain key {Key} names no valid silo", target.GrainIdentity.Key.ToString());
            }
        }
        var gpu = compatible.Where(HasGpuRole).ToArray();
        if (gpu.Length > 0) return Task.FromResult(gpu[Random.Shared.Next(gpu.Length)]);
        var any = compatible[Random.Shared.Next(compatible.Length)];
        logger.LogWarning("No silo with the 'gpu' role: placing inference grain {Grain} on {Silo}", target.GrainIdentity, any);
        return Task.FromResult(any);
    }
}
