using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Vad.Contracts;

namespace Vad.Grains;

[GenerateSerializer]
public sealed class DirectoryState
{
    /// <summary>Camera ids, sorted (ordinal).</summary>
    [Id(0)] public List<string> Cameras { get; set; } = [];
}

/// <summary>
/// Silos, inference grains and cameras. Silos and inference grains re-register on a heartbeat, so this grain's
/// memory of them is rebuilt if it moves; entries on silos that are no longer active are filtered out (and so cameras
/// move off an inference grain whose silo disappeared). Cameras are persisted.
/// </summary>
public sealed class ClusterDirectoryGrain(
    [PersistentState("directory", VadStreams.Storage)] IPersistentState<DirectoryState> state,
    IClusterMembershipService membership,
    ILogger<ClusterDirectoryGrain> logger) : Grain, IClusterDirectoryGrain
{
    private readonly Dictionary<string, SiloInfo> _silos = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, InferenceEndpoint> _inference = new(StringComparer.Ordinal);
    private int _version;
    private string _lastActiveSet = "";

    public Task RegisterSilo(SiloInfo silo)
    {
        _silos[silo.Address] = silo;
        return Task.CompletedTask;
    }

    public Task RegisterInference(InferenceEndpoint endpoint)
    {
        if (!_inference.TryGetValue(endpoint.Key, out var old) || old != endpoint)
        {
            _inference[endpoint.Key] = endpoint;
            _version++;
            logger.LogInformation("Inference grain {Key} registered on {Silo} (model {Version})", endpoint.Key, endpoint.Silo, endpoint.Model?.Version);
        }
        return Task.CompletedTask;
    }

    public Task UnregisterInference(string key)
    {
        if (_inference.Remove(key)) _version++;
        return Task.CompletedTask;
    }

    private bool IsActive(string silo)
    {
        try
        {
            return membership.CurrentSnapshot.GetSiloStatus(SiloAddress.FromParsableString(silo)) == SiloStatus.Active;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private List<InferenceEndpoint> ActiveInference()
    {
        var active = _inference.Values.Where(e => IsActive(e.Silo)).ToList();
        string set = string.Join(";", active.Select(e => e.Key));
        if (set != _lastActiveSet)
        {
            _lastActiveSet = set;
            _version++;
        }
        return active;
    }

    public Task<(List<InferenceEndpoint> Endpoints, int Version)> GetInference()
    {
        var active = ActiveInference();
        return Task.FromResult((active, _version));
    }

    public async Task RegisterCamera(string cameraId)
    {
        int i = state.State.Cameras.BinarySearch(cameraId, StringComparer.Ordinal);
        if (i >= 0) return;
        state.State.Cameras.Insert(~i, cameraId);
        await state.WriteStateAsync();
    }

    public Task<List<string>> GetCameras() => Task.FromResult(state.State.Cameras.ToList());

    public Task<ClusterStatus> GetStatus()
    {
        var snapshot = membership.CurrentSnapshot;
        var silos = new List<SiloInfo>();
        foreach (var (address, member) in snapshot.Members)
        {
            string key = address.ToParsableString();
            var known = _silos.GetValueOrDefault(key) ?? new SiloInfo { Address = key, Name = member.Name };
            silos.Add(known with { Status = member.Status.ToString() });
        }
        var inference = ActiveInference();
        return Task.FromResult(new ClusterStatus
        {
            Silos = silos.OrderBy(s => s.Name, StringComparer.Ordinal).ToList(),
            Inference = inference,
            Model = inference.Select(i => i.Model).FirstOrDefault(m => m is not null),
            Cameras = state.State.Cameras.ToList(),
        });
    }
}
