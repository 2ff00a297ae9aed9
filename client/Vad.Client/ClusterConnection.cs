using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vad.Contracts;
using Vad.Silo;

namespace Vad.Client;

/// <summary>An Orleans client connected through a gateway (Localhost by default, Redis by VAD_* configuration).</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;
    public IClusterClient Client { get; }

    private ClusterConnection(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public static async Task<ClusterConnection> ConnectAsync(VadConfig cfg, CancellationToken ct = default, TimeSpan? timeout = null)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.UseOrleansClient(c => VadSiloHost.ConfigureClient(c, cfg));
        var host = builder.Build();
        try
        {
            await host.StartAsync(timeoutCts.Token);
        }
        catch (Exception e)
        {
            host.Dispose();
            string where = cfg.UseRedisClustering ? $"Redis {cfg.Redis}" : $"localhost gateway port {cfg.GatewayPort}";
            throw new ClusterUnavailableException($"cannot connect to the cluster ({where}, cluster {cfg.ClusterId}): {e.Message}. Is a silo running (./vad silo)?");
        }
        return new ClusterConnection(host);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { await _host.StopAsync(TimeSpan.FromSeconds(5)); } catch (OperationCanceledException) { }
        _host.Dispose();
    }
}

public sealed class ClusterUnavailableException(string message) : Exception(message);

/// <summary>A localhost silo started in this process (demo, bench), configured by the same code as ./vad silo.</summary>
public sealed class InProcessSilo : IAsyncDisposable
{
    private readonly IHost _host;
    public VadConfig Config { get; }

    private InProcessSilo(IHost host, VadConfig config)
    {
        _host = host;
        Config = config;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Starts a silo (localhost clustering, memory storage, all roles) serving <paramref name="modelPath"/>.</summary>
    public static async Task<InProcessSilo> StartAsync(string modelPath, int maxBatchSize = 32, double maxDelayMs = 5, int queueCapacity = 256,
        LogLevel logLevel = LogLevel.Warning)
    {
        return await StartAsync(new VadConfig
        {
            Clustering = "Localhost",
            Storage = "Memory",
            ServiceId = "vad",
            ClusterId = $"vad-inproc-{Environment.ProcessId}",
            SiloPort = FreePort(),
            GatewayPort = FreePort(),
            ModelPath = modelPath,
            MaxBatchSize = maxBatchSize,
            MaxDelayMs = maxDelayMs,
            QueueCapacity = queueCapacity,
            SiloName = "inproc",
        }, logLevel);
    }

    /// <summary>Starts a silo configured exactly like ./vad silo would be by <paramref name="cfg"/> (no HTTP endpoints).</summary>
    public static async Task<InProcessSilo> StartAsync(VadConfig cfg, LogLevel logLevel = LogLevel.Warning)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Logging.AddFilter("Microsoft", LogLevel.Error);
        builder.UseOrleans(silo => VadSiloHost.ConfigureSilo(silo, cfg));
        var host = builder.Build();
        await host.StartAsync();
        return new InProcessSilo(host, cfg);
    }

    private int _disposed;

    public IServiceProvider Services => _host.Services;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { await _host.StopAsync(TimeSpan.FromSeconds(30)); } catch (OperationCanceledException) { }
        _host.Dispose();
    }
}

public static class ClusterQueries
{
    /// <summary>The served model; waits for a silo to register an inference grain (silos load the model at start).</summary>
    public static async Task<ModelInfo> WaitForModelAsync(IClusterClient client, TimeSpan timeout)
    {
        var dir = client.GetGrain<IClusterDirectoryGrain>(0);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await dir.GetStatus();
            if (status.Model is { } m) return m;
            if (DateTime.UtcNow > deadline)
                throw new NoInferenceException($"no inference grain registered within {timeout.TotalSeconds:0} s: is a silo with the 'gpu' role running, and does it find its model (VAD_MODEL)?");
            await Task.Delay(250);
        }
    }

    public static async Task<ICameraGrain> KnownCameraAsync(IClusterClient client, string cameraId)
    {
        var cameras = await client.GetGrain<IClusterDirectoryGrain>(0).GetCameras();
        if (!cameras.Contains(cameraId, StringComparer.Ordinal))
            throw new UnknownCameraException(cameraId, cameras);
        return client.GetGrain<ICameraGrain>(cameraId);
    }
}

public sealed class UnknownCameraException(string camera, IReadOnlyList<string> known)
    : Exception($"unknown camera '{camera}'" + (known.Count == 0 ? " (no camera has sent frames yet)" : $" (known: {string.Join(", ", known.Take(20))}{(known.Count > 20 ? ", ..." : "")})"));
