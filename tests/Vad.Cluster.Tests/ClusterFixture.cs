using Microsoft.Extensions.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;
using Vad.Grains;
using Vad.Silo;
using Xunit;

namespace Vad.Cluster.Tests;

/// <summary>A TestCluster of 2 cpu silos and 1 gpu silo, each configured by <see cref="VadSiloHost.ConfigureSilo"/>.</summary>
public class ClusterFixture : IAsyncLifetime
{
    public const string GpuSiloName = "Secondary_2";
    public TestCluster Cluster { get; private set; } = null!;

    protected virtual string GpuSilos => GpuSiloName;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.Options.ServiceId = "vad-tests";
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VadTestModel"] = TestData.ModelPath,
            ["VadGpuSilos"] = GpuSilos,
        }));
        builder.AddSiloBuilderConfigurator<RolesBySiloName>();
        builder.AddClientBuilderConfigurator<ClientStreams>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class ClientStreams : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddMemoryStreams(Vad.Contracts.VadStreams.Provider);
    }

    private sealed class RolesBySiloName : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            string name = siloBuilder.Configuration["Orleans:Name"] ?? throw new InvalidOperationException("TestCluster gave no silo name (Orleans:Name)");
            var cfg = new VadConfig
            {
                Roles = (siloBuilder.Configuration["VadGpuSilos"] ?? "").Split(',').Contains(name) ? [SiloRoles.Gpu] : [SiloRoles.Cpu],
                ModelPath = siloBuilder.Configuration["VadTestModel"]!,
                // Small batches and a short queue, so back-pressure is exercised.
                MaxBatchSize = 8,
                MaxDelayMs = 2,
                QueueCapacity = 16,
            };
            VadSiloHost.ConfigureSilo(siloBuilder, cfg, clusteringAndEndpoints: false);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>1 cpu silo + 2 gpu silos: two inference grains, for cameras moving when one goes.</summary>
public sealed class TwoGpuClusterFixture : ClusterFixture
{
    protected override string GpuSilos => "Secondary_1,Secondary_2";
}
