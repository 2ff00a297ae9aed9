using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Vad.Grains;
using Vad.Core;

namespace Vad.Silo;

/// <summary>
/// The silo/client configuration contract (CONFIG-CONTRACT.md): VAD_* keys from appsettings.json, overridden by
/// environment variables of the same name.
/// </summary>
public sealed record VadConfig
{
    public string Clustering { get; init; } = "Localhost";
    public string? Redis { get; init; }
    public string Storage { get; init; } = "Memory";
    public string[] Roles { get; init; } = [SiloRoles.Cpu, SiloRoles.Gpu, SiloRoles.Trainer];
    public string[] GpuDevices { get; init; } = [];
    public string ServiceId { get; init; } = "vad";
    public string ClusterId { get; init; } = "vad-dev";
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;
    public int HttpPort { get; init; } = 8080;
    public string SiloName { get; init; } = Dns.GetHostName();
    public IPAddress AdvertisedIp { get; init; } = IPAddress.Loopback;
    public string ModelPath { get; init; } = RepoPaths.Resolve("models/ped2/student.onnx");
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public string? TlsCert { get; init; }
    public string? TlsKey { get; init; }
    public string? TlsCa { get; init; }
    public string? DashboardUser { get; init; }
    public string? DashboardPassword { get; init; }
    public bool DashboardEnabled => DashboardUser is not null;
    public int MaxBatchSize { get; init; } = 32;
    public double MaxDelayMs { get; init; } = 5;
    public int QueueCapacity { get; init; } = 256;
    /// <summary>Orleans membership probe timeout (and period); null keeps Orleans' default. Shorter = faster failover.</summary>
    public TimeSpan? MembershipProbeTimeout { get; init; }
    /// <summary>Missed probes before a silo suspects another; null keeps Orleans' default.</summary>
    public int? MembershipMissedProbes { get; init; }
    /// <summary>Grain call response timeout for silos and clients; null keeps Orleans' default (30 s).</summary>
    public TimeSpan? ResponseTimeout { get; init; }
    /// <summary>How long the grain directory keeps a dead silo's grains from re-activating elsewhere (a safety margin
    /// against a silo declared dead while still running); null keeps Orleans' default.</summary>
    public TimeSpan? DirectoryLease { get; init; }

    public bool UseRedisClustering => Clustering.Equals("Redis", StringComparison.OrdinalIgnoreCase);
    public bool UseRedisStorage => Storage.Equals("Redis", StringComparison.OrdinalIgnoreCase);

    /// <summary>appsettings.json (next to the program, then the working folder) + environment variables.</summary>
    public static IConfiguration LoadConfiguration() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build();

    public static VadConfig FromEnvironment() => From(LoadConfiguration());

    public static VadConfig From(IConfiguration c)
    {
        string? Get(string key) => string.IsNullOrWhiteSpace(c[key]) ? null : c[key]!.Trim();
        int Int(string key, int fallback)
        {
            var s = Get(key);
            if (s is null) return fallback;
            return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0
                ? v : throw new VadConfigException($"{key} must be a non-negative integer, got '{s}'");
        }
        double Dbl(string key, double fallback)
        {
            var s = Get(key);
            if (s is null) return fallback;
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0
                ? v : throw new VadConfigException($"{key} must be a non-negative number, got '{s}'");
        }
        string[] List(string key, string[] fallback) =>
            Get(key) is { } s ? s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : c[key] is "" ? [] : fallback;

        var cfg = new VadConfig
        {
            Clustering = Get("VAD_CLUSTERING") ?? "Localhost",
            Redis = Get("VAD_REDIS"),
            Storage = Get("VAD_STORAGE") ?? "Memory",
            Roles = List("VAD_ROLES", [SiloRoles.Cpu, SiloRoles.Gpu, SiloRoles.Trainer]).Select(r => r.ToLowerInvariant()).ToArray(),
            GpuDevices = List("VAD_GPU_DEVICES", []),
            ServiceId = Get("VAD_SERVICE_ID") ?? "vad",
            ClusterId = Get("VAD_CLUSTER_ID") ?? "vad-dev",
            SiloPort = Int("VAD_SILO_PORT", 11111),
            GatewayPort = Int("VAD_GATEWAY_PORT", 30000),
            HttpPort = Int("VAD_HTTP_PORT", 8080),
            SiloName = Get("POD_NAME") ?? Dns.GetHostName(),
            AdvertisedIp = Get("POD_IP") is { } ip
                ? (IPAddress.TryParse(ip, out var a) ? a : throw new VadConfigException($"POD_IP '{ip}' is not an IP address"))
                : IPAddress.Loopback,
            ModelPath = Get("VAD_MODEL") ?? RepoPaths.Resolve("models/ped2/student.onnx"),
            ShutdownTimeout = TimeSpan.FromSeconds(Int("VAD_SHUTDOWN_TIMEOUT_S", 30)),
            TlsCert = Get("VAD_TLS_CERT"),
            TlsKey = Get("VAD_TLS_KEY"),
            TlsCa = Get("VAD_TLS_CA"),
            DashboardUser = Get("VAD_DASHBOARD_USER"),
            DashboardPassword = Get("VAD_DASHBOARD_PASSWORD"),
            MaxBatchSize = Math.Max(1, Int("VAD_INFERENCE_MAX_BATCH", 32)),
            MaxDelayMs = Dbl("VAD_INFERENCE_MAX_DELAY_MS", 5),
            QueueCapacity = Math.Max(1, Int("VAD_INFERENCE_QUEUE", 256)),
            MembershipProbeTimeout = Get("VAD_MEMBERSHIP_PROBE_TIMEOUT_S") is null ? null : TimeSpan.FromSeconds(Math.Max(1, Int("VAD_MEMBERSHIP_PROBE_TIMEOUT_S", 0))),
            MembershipMissedProbes = Get("VAD_MEMBERSHIP_MISSED_PROBES") is null ? null : Math.Max(1, Int("VAD_MEMBERSHIP_MISSED_PROBES", 0)),
            ResponseTimeout = Get("VAD_RESPONSE_TIMEOUT_S") is null ? null : TimeSpan.FromSeconds(Math.Max(1, Int("VAD_RESPONSE_TIMEOUT_S", 0))),
            DirectoryLease = Get("VAD_DIRECTORY_LEASE_S") is null ? null : TimeSpan.FromSeconds(Int("VAD_DIRECTORY_LEASE_S", 0)),
        };
        cfg.Validate();
        return cfg;
    }

    public void Validate()
    {
        if (!Clustering.Equals("Localhost", StringComparison.OrdinalIgnoreCase) && !UseRedisClustering)
            throw new VadConfigException($"VAD_CLUSTERING must be Localhost or Redis, got '{Clustering}'");
        if (!Storage.Equals("Memory", StringComparison.OrdinalIgnoreCase) && !UseRedisStorage)
            throw new VadConfigException($"VAD_STORAGE must be Memory or Redis, got '{Storage}'");
        if ((UseRedisClustering || UseRedisStorage) && string.IsNullOrWhiteSpace(Redis))
            throw new VadConfigException("VAD_REDIS is required when VAD_CLUSTERING or VAD_STORAGE is Redis");
        var unknown = Roles.Where(r => r is not (SiloRoles.Cpu or SiloRoles.Gpu or SiloRoles.Trainer)).ToList();
        if (unknown.Count > 0)
            throw new VadConfigException($"VAD_ROLES: unknown role(s) {string.Join(", ", unknown)} (cpu, gpu, trainer)");
        foreach (var d in GpuDevices)
            if (!int.TryParse(d, out int id) || id < 0)
                throw new VadConfigException($"VAD_GPU_DEVICES: '{d}' is not a device id");
        if (DashboardUser is not null && string.IsNullOrEmpty(DashboardPassword))
            throw new VadConfigException("VAD_DASHBOARD_PASSWORD is required with VAD_DASHBOARD_USER (the dashboard has no auth of its own)");
        if (TlsCert is not null && TlsKey is null)
            throw new VadConfigException("VAD_TLS_KEY is required with VAD_TLS_CERT");
    }
}

public sealed class VadConfigException(string message) : Exception(message);
