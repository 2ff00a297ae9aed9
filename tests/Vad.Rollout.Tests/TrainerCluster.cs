using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace Vad.Rollout.Tests;

/// <summary>The TestCluster of the trainer tests: silos configured by <typeparamref name="TSiloConfigurator"/>, which finds the
/// test's folder in the host configuration as <c>VadTestDir</c>.</summary>
internal static class TrainerCluster
{
    public static async Task<TestCluster> DeployAsync<TSiloConfigurator>(short silos, string serviceId, string dir,
        IEnumerable<KeyValuePair<string, string?>>? configuration = null, Action<TestClusterBuilder>? configure = null)
        where TSiloConfigurator : ISiloConfigurator, new()
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.ServiceId = $"{serviceId}-{Guid.NewGuid():N}";
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection([new("VadTestDir", dir), .. configuration ?? []]));
        builder.AddSiloBuilderConfigurator<TSiloConfigurator>();
        configure?.Invoke(builder);
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static async Task StopAsync(TestCluster cluster, string dir)
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
