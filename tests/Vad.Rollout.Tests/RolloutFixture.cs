using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.TestingHost;
using Vad.Client;
using Vad.Contracts;
using Vad.Core.Models;
using Vad.Grains;
using Vad.Registry;
using Vad.Silo;
using Xunit;

namespace Vad.Rollout.Tests;

/// <summary>What cameras received: every OnScored call on every silo, with the time it arrived.</summary>
public static class ScoreTap
{
    public static readonly ConcurrentQueue<(string Camera, ScoredFrame Frame, long Ticks)> Seen = new();
}

/// <summary>
/// Two gpu-role silos (two inference grains) serving model v1; a folder registry holding v1 and v2 (same contract,
/// different bytes: another version that scores the same) shared by the silos and the tests.
/// </summary>
public sealed class RolloutFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), $"vad-rollout-tests-{Guid.NewGuid():N}");
    public FolderModelRegistry Registry { get; private set; } = null!;
    public string V1 { get; private set; } = "";
    public string V2 { get; private set; } = "";
    public ModelInfo Model { get; private set; } = new();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Dir);
        string v1Path = Path.Combine(Dir, "v1.onnx");
        var m1 = MotionEnergyModel.Write(v1Path);
        string v2Path = Path.Combine(Dir, "v2.onnx");
        File.WriteAllBytes(v2Path, File.ReadAllBytes(v1Path).Concat(new byte[] { 0x3a, 0x00 }).ToArray());
        (m1 with { Version = StudentManifest.HashFile(v2Path) }).Save(StudentManifest.PathFor(v2Path));
        Registry = new FolderModelRegistry(Path.Combine(Dir, "registry"));
        V1 = (await Registry.RegisterFileAsync(v1Path)).Version;
        V2 = (await Registry.RegisterFileAsync(v2Path)).Version;

        var builder = new TestClusterBuilder(2);
        builder.Options.ServiceId = "vad-rollout-tests";
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VadTestModel"] = v1Path,
            ["VadTestRegistry"] = Path.Combine(Dir, "registry"),
        }));
        builder.AddSiloBuilderConfigurator<SiloConfig>();
        builder.AddClientBuilderConfigurator<ClientStreams>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        // Both gpu silos registered their inference grain.
        var sw = Stopwatch.StartNew();
        while ((await Cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetInference()).Endpoints.Count < 2)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("inference grains did not register");
            await Task.Delay(100);
        }
        Model = (await Cluster.Client.GetGrain<IClusterDirectoryGrain>(0).GetInference()).Endpoints[0].Model!;
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    private sealed class ClientStreams : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.AddMemoryStreams(VadStreams.Provider);
    }

    private sealed class SiloConfig : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var cfg = new VadConfig
            {
                Roles = [SiloRoles.Gpu],
                ModelPath = siloBuilder.Configuration["VadTestModel"]!,
                MaxBatchSize = 8,
                MaxDelayMs = 2,
                QueueCapacity = 64,
            };
            VadSiloHost.ConfigureSilo(siloBuilder, cfg, clusteringAndEndpoints: false);
            string registry = siloBuilder.Configuration["VadTestRegistry"]!;
            siloBuilder.Services.AddSingleton<IModelRegistry>(_ => new FolderModelRegistry(registry));
            siloBuilder.AddIncomingGrainCallFilter(async ctx =>
            {
                if (ctx.InterfaceMethod?.Name == nameof(ICameraGrain.OnScored) && ctx.Request.GetArgument(0) is ScoredFrame[] frames)
                {
                    string camera = ctx.TargetId.Key.ToString()!;
                    long now = Stopwatch.GetTimestamp();
                    foreach (var f in frames) ScoreTap.Seen.Enqueue((camera, f, now));
                }
                await ctx.Invoke();
            });
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RolloutCollection : ICollectionFixture<RolloutFixture>
{
    public const string Name = "rollout";
}
