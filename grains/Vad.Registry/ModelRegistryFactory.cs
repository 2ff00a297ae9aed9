using StackExchange.Redis;

namespace Vad.Registry;

/// <summary>
/// The registry a silo or client uses: <c>VAD_REGISTRY</c> = a folder, or <c>redis</c> (then <c>VAD_REDIS</c>); unset:
/// Redis when <c>VAD_STORAGE=Redis</c> and <c>VAD_REDIS</c> are set, else the folder <c>runs/registry</c> of the repository
/// (the embedded default: silos and clients on one machine share it).
/// </summary>
public static class ModelRegistryFactory
{
    private static readonly object Gate = new();
    private static IConnectionMultiplexer? _redis;

    public static IModelRegistry FromEnvironment()
    {
        string? registry = Environment.GetEnvironmentVariable("VAD_REGISTRY");
        string? redis = Environment.GetEnvironmentVariable("VAD_REDIS");
        bool redisStorage = string.Equals(Environment.GetEnvironmentVariable("VAD_STORAGE"), "Redis", StringComparison.OrdinalIgnoreCase);
        if (string.Equals(registry, "redis", StringComparison.OrdinalIgnoreCase) || (string.IsNullOrEmpty(registry) && redisStorage && !string.IsNullOrEmpty(redis)))
        {
            if (string.IsNullOrEmpty(redis)) throw new ModelRegistryException("VAD_REGISTRY=redis needs VAD_REDIS (host:port)");
            lock (Gate) _redis ??= ConnectionMultiplexer.Connect(redis);
            return new RedisModelRegistry(_redis);
        }
        return new FolderModelRegistry(string.IsNullOrEmpty(registry) ? DefaultFolder() : registry);
    }

    public static string DefaultFolder()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Cluster.sln"))) return Path.Combine(d.FullName, "runs", "registry");
        return Path.Combine(Directory.GetCurrentDirectory(), "runs", "registry");
    }
}
