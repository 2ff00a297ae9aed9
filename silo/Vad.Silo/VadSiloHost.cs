using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Dashboard;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using StackExchange.Redis;
using Vad.Contracts;
using Vad.Grains;

namespace Vad.Silo;

/// <summary>
/// One place that configures a silo (the host, the tests' TestCluster and the in-process demo all call it) and a client.
/// </summary>
public static class VadSiloHost
{
    /// <summary>Grains, placement, roles metadata, streams, storage and (for real hosts) clustering and endpoints.</summary>
    public static ISiloBuilder ConfigureSilo(ISiloBuilder silo, VadConfig cfg, bool clusteringAndEndpoints = true)
    {
        if (clusteringAndEndpoints)
        {
            if (cfg.UseRedisClustering)
            {
                silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(cfg.Redis!));
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ServiceId = cfg.ServiceId;
                    o.ClusterId = cfg.ClusterId;
                });
                silo.ConfigureEndpoints(cfg.AdvertisedIp, cfg.SiloPort, cfg.GatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                silo.UseLocalhostClustering(cfg.SiloPort, cfg.GatewayPort, serviceId: cfg.ServiceId, clusterId: cfg.ClusterId);
            }
            silo.Configure<SiloOptions>(o => o.SiloName = cfg.SiloName);
            // The distributed grain directory recovers the registrations of live activations when a silo dies; the
            // default one loses those held in the dead silo's partition, and a camera on a surviving silo could then
            // be activated a second time (its in-flight frames and counters orphaned in the first activation).
#pragma warning disable ORLEANSEXP003
            silo.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            if (cfg.DirectoryLease is { } lease) silo.Configure<GrainDirectoryOptions>(o => o.RangeLeaseDuration = lease);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                if (cfg.MembershipProbeTimeout is { } probe) o.ProbeTimeout = probe;
                if (cfg.MembershipMissedProbes is { } missed) o.NumMissedProbesLimit = missed;
            });
            if (cfg.ResponseTimeout is { } siloResponse) silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = siloResponse);
            if (cfg.TlsCert is not null) UseTls(silo, cfg);
        }

        if (cfg.UseRedisStorage)
        {
            silo.Services.AddRedisGrainStorage(VadStreams.Storage, o => o.ConfigurationOptions = ConfigurationOptions.Parse(cfg.Redis!));
            silo.Services.AddRedisGrainStorage("PubSubStore", o => o.ConfigurationOptions = ConfigurationOptions.Parse(cfg.Redis!));
        }
        else
        {
            silo.AddMemoryGrainStorage(VadStreams.Storage);
            silo.AddMemoryGrainStorage("PubSubStore");
        }
        silo.AddMemoryStreams(VadStreams.Provider);

        silo.UseSiloMetadata(new Dictionary<string, string>
        {
            [SiloRoles.MetadataKey] = string.Join(",", cfg.Roles),
            [SiloRoles.DevicesMetadataKey] = string.Join(",", cfg.GpuDevices),
        });
        silo.Services.AddSingleton<GpuPlacementDirector>();
        silo.Services.AddPlacementDirector<GpuPlacementStrategy>(sp => sp.GetRequiredService<GpuPlacementDirector>());
        silo.Services.AddSingleton<TrainerPlacementDirector>();
        silo.Services.AddPlacementDirector<TrainerPlacementStrategy>(sp => sp.GetRequiredService<TrainerPlacementDirector>());
        silo.Services.AddOptions<TrainerOptions>();
        silo.Services.AddSingleton<TrainerWakeup>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<TrainerWakeup>());
        silo.Services.Configure<VadSiloOptions>(o =>
        {
            o.Roles = cfg.Roles;
            o.GpuDevices = cfg.GpuDevices;
            o.ModelPath = cfg.ModelPath;
        });
        silo.Services.Configure<InferenceOptions>(o =>
        {
            o.MaxBatchSize = cfg.MaxBatchSize;
            o.MaxDelayMs = cfg.MaxDelayMs;
            o.QueueCapacity = cfg.QueueCapacity;
        });
        silo.Services.AddOptions<CameraOptions>();
        silo.Services.AddSingleton<SiloRegistration>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloRegistration>());
        // Graceful shutdown: grains (and so the inference grains' queued batches) get this long to deactivate.
        silo.Services.Configure<GrainCollectionOptions>(o => o.DeactivationTimeout = cfg.ShutdownTimeout);
        return silo;
    }

    public static IClientBuilder ConfigureClient(IClientBuilder client, VadConfig cfg)
    {
        if (cfg.UseRedisClustering)
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(cfg.Redis!));
            client.Configure<ClusterOptions>(o =>
            {
                o.ServiceId = cfg.ServiceId;
                o.ClusterId = cfg.ClusterId;
            });
        }
        else
        {
            client.UseLocalhostClustering(cfg.GatewayPort, cfg.ServiceId, cfg.ClusterId);
        }
        if (cfg.TlsCert is not null) UseTls(client, cfg);
        if (cfg.ResponseTimeout is { } response) client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = response);
        client.AddMemoryStreams(VadStreams.Provider);
        return client;
    }

    private static X509Certificate2 LoadCertificate(VadConfig cfg) =>
        X509Certificate2.CreateFromPemFile(cfg.TlsCert!, cfg.TlsKey);

    private static bool ValidateWithCa(VadConfig cfg, X509Certificate2? remote, SslPolicyErrors errors)
    {
        if (remote is null) return false;
        if (cfg.TlsCa is null) return errors == SslPolicyErrors.None;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(cfg.TlsCa);
        return chain.Build(remote);
    }

    private static void UseTls(ISiloBuilder silo, VadConfig cfg) =>
        silo.UseTls(LoadCertificate(cfg), o =>
        {
            o.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
            o.RemoteCertificateValidation = (cert, _, errors) => ValidateWithCa(cfg, cert, errors);
        });

    private static void UseTls(IClientBuilder client, VadConfig cfg) =>
        client.UseTls(LoadCertificate(cfg), o =>
        {
            o.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
            o.RemoteCertificateValidation = (cert, _, errors) => ValidateWithCa(cfg, cert, errors);
        });

    /// <summary>HTTP basic authentication against VAD_DASHBOARD_USER / VAD_DASHBOARD_PASSWORD (constant-time compare).</summary>
    public static bool BasicAuthOk(HttpRequest request, string user, string password)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            request.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"vad\"";
            return false;
        }
        byte[] given, expected = System.Text.Encoding.UTF8.GetBytes($"{user}:{password}");
        try { given = Convert.FromBase64String(header[6..].Trim()); }
        catch (FormatException) { return false; }
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The silo process: Orleans + Kestrel on VAD_HTTP_PORT with /health/live, /health/ready and /metrics.</summary>
    public static WebApplication Build(string[] args, VadConfig cfg)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(k => k.ListenAnyIP(cfg.HttpPort));
        // Structured logs: JSON lines when stdout is not a terminal (a container, a log collector), or VAD_LOG_FORMAT=json.
        string? logFormat = Environment.GetEnvironmentVariable("VAD_LOG_FORMAT");
        if (logFormat == "json" || (logFormat != "text" && Console.IsOutputRedirected))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = cfg.ShutdownTimeout + TimeSpan.FromSeconds(5));
        builder.UseOrleans(silo =>
        {
            ConfigureSilo(silo, cfg);
            if (cfg.DashboardEnabled) silo.AddDashboard();
        });
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("Microsoft.Orleans")
            .AddMeter(VadMetrics.MeterName)
            .AddPrometheusExporter());
        var app = builder.Build();
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
        app.MapGet("/health/ready", (SiloRegistration registration) =>
            registration.IsReady
                ? Results.Ok(new { status = "ready", roles = cfg.Roles })
                : Results.Json(new { status = "starting", error = registration.LastError }, statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (cfg.DashboardEnabled)
            app.MapOrleansDashboard("/dashboard").AddEndpointFilter(async (ctx, next) =>
                BasicAuthOk(ctx.HttpContext.Request, cfg.DashboardUser!, cfg.DashboardPassword!)
                    ? await next(ctx)
                    : Results.Text("authentication required", statusCode: StatusCodes.Status401Unauthorized));
        app.Lifetime.ApplicationStopping.Register(() =>
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vad.Silo")
                .LogInformation("Shutting down: draining in-flight batches (timeout {Timeout})", cfg.ShutdownTimeout));
        return app;
    }
}
