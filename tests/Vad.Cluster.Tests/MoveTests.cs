using Vad.Client;
using Vad.Contracts;
using Vad.Grains;
using Xunit;

namespace Vad.Cluster.Tests;

public sealed class MoveTests(TwoGpuClusterFixture fixture) : IClassFixture<TwoGpuClusterFixture>
{
    [Fact]
    public async Task Cameras_move_to_the_remaining_inference_grain_when_its_silo_goes()
    {
        var client = fixture.Cluster.Client;
        var dir = client.GetGrain<IClusterDirectoryGrain>(0);
        List<InferenceEndpoint> endpoints = [];
        for (int i = 0; i < 100 && endpoints.Count < 2; i++)
        {
            (endpoints, _) = await dir.GetInference();
            if (endpoints.Count < 2) await Task.Delay(200);
        }
        Assert.Equal(2, endpoints.Count);
        var model = endpoints[0].Model!;
        var gpuSilos = fixture.Cluster.GetActiveSilos().Where(s => s.Name is "Secondary_1" or "Secondary_2").ToList();
        Assert.Equal(gpuSilos.Select(s => s.SiloAddress.ToParsableString()).Order(), endpoints.Select(e => e.Silo).Order());

        // A camera whose inference grain is on Secondary_1 (chosen by the same consistent hashing the cameras use).
        var leaving = gpuSilos.Single(s => s.Name == "Secondary_1");
        var ring = new ConsistentHashRing(endpoints.Select(e => e.Key));
        string leavingKey = endpoints.Single(e => e.Silo == leaving.SiloAddress.ToParsableString()).Key;
        // ... and whose own grain lives elsewhere (camera grains are placed anywhere; their counters live with the activation).
        string? camera = null;
        foreach (var c in Enumerable.Range(0, 1000).Select(i => $"mover-{i}").Where(c => ring.Owner(c) == leavingKey))
        {
            if ((await client.GetGrain<ICameraGrain>(c).GetStatus()).Silo != leaving.SiloAddress.ToParsableString())
            {
                camera = c;
                break;
            }
        }
        Assert.NotNull(camera);

        var frames = TestData.Frames(TestData.Ped2.Test[0].Source, model);
        var first = await TestData.StreamAsync(client, camera, frames.Take(40));
        Assert.Equal(leavingKey, first.InferenceGrain);

        await fixture.Cluster.StopSiloAsync(leaving);
        var after = await TestData.StreamAsync(client, camera, frames.Skip(40).Take(40));
        Assert.NotEqual(leavingKey, after.InferenceGrain);
        var remaining = gpuSilos.Single(s => s.Name == "Secondary_2").SiloAddress.ToParsableString();
        Assert.Equal(endpoints.Single(e => e.Silo == remaining).Key, after.InferenceGrain);
        Assert.Equal(80, after.Received);
        Assert.Equal(after.Received, after.Scored + after.Dropped);
        Assert.Equal(80, after.Scored);
    }
}
