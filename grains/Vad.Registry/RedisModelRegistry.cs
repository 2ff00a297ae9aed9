using StackExchange.Redis;
using Vad.Core.Models;

namespace Vad.Registry;

/// <summary>
/// The cluster's registry in Redis: <c>{prefix}:v:{version}</c> is a hash (onnx bytes, manifest JSON, size, registered),
/// <c>{prefix}:index</c> the set of versions, <c>{prefix}:serving</c> the set of serving versions.
/// </summary>
public sealed class RedisModelRegistry(IConnectionMultiplexer redis, string prefix = "vad:models") : IModelRegistry
{
    private IDatabase Db => redis.GetDatabase();
    private RedisKey Key(string version) => $"{prefix}:v:{version}";
    private RedisKey Index => $"{prefix}:index";
    private RedisKey Serving => $"{prefix}:serving";

    public async Task<ModelVersionInfo> RegisterAsync(byte[] onnx, StudentManifest manifest, CancellationToken ct = default)
    {
        ModelHashing.Validate(onnx, manifest);
        string version = ModelHashing.Sha256(onnx);
        var tx = Db.CreateTransaction();
        // Only the first registration of given bytes writes (content addressing makes a second one a no-op).
        tx.AddCondition(Condition.KeyNotExists(Key(version)));
        _ = tx.HashSetAsync(Key(version),
        [
            new HashEntry("onnx", onnx),
            new HashEntry("manifest", ModelHashing.ToJson(ModelHashing.Stamp(manifest, version))),
            new HashEntry("size", onnx.LongLength),
            new HashEntry("registered", DateTime.UtcNow.Ticks),
        ]);
        _ = tx.SetAddAsync(Index, version);
        await tx.ExecuteAsync();
        return (await FindAsync(version, ct))!;
    }

    public async Task<IReadOnlyList<ModelVersionInfo>> ListAsync(CancellationToken ct = default)
    {
        var serving = await GetServingAsync(ct);
        var list = new List<ModelVersionInfo>();
        foreach (var v in await Db.SetMembersAsync(Index))
        {
            var info = await ReadAsync(v!, serving);
            if (info is not null) list.Add(info);
        }
        return list.OrderBy(v => v.RegisteredUtc).ToList();
    }

    public async Task<ModelVersionInfo?> FindAsync(string version, CancellationToken ct = default) =>
        await ReadAsync(version, await GetServingAsync(ct));

    private async Task<ModelVersionInfo?> ReadAsync(string version, IReadOnlySet<string> serving)
    {
        var values = await Db.HashGetAsync(Key(version), ["manifest", "size", "registered"]);
        if (values[0].IsNull) return null;
        var manifest = ModelHashing.FromJson(values[0]!, $"redis {Key(version)}");
        return new ModelVersionInfo(version, (long)values[1], new DateTime((long)values[2], DateTimeKind.Utc), manifest, serving.Contains(version));
    }

    public async Task<ModelPackage> GetAsync(string version, CancellationToken ct = default)
    {
        var values = await Db.HashGetAsync(Key(version), ["onnx", "manifest"]);
        if (values[0].IsNull || values[1].IsNull) throw new ModelNotFoundException(version);
        byte[] onnx = (byte[])values[0]!;
        string actual = ModelHashing.Sha256(onnx);
        if (!string.Equals(actual, version, StringComparison.OrdinalIgnoreCase)) throw new ModelIntegrityException(version, actual);
        return new ModelPackage(version, onnx, ModelHashing.FromJson(values[1]!, $"redis {Key(version)}"));
    }

    public async Task DeleteAsync(string version, CancellationToken ct = default)
    {
        var tx = Db.CreateTransaction();
        tx.AddCondition(Condition.KeyExists(Key(version)));
        tx.AddCondition(Condition.SetNotContains(Serving, version));
        _ = tx.KeyDeleteAsync(Key(version));
        _ = tx.SetRemoveAsync(Index, version);
        if (await tx.ExecuteAsync()) return;
        if (!await Db.KeyExistsAsync(Key(version))) throw new ModelNotFoundException(version);
        throw new ModelInUseException(version);
    }

    public async Task SetServingAsync(IReadOnlyCollection<string> versions, CancellationToken ct = default)
    {
        var tx = Db.CreateTransaction();
        _ = tx.KeyDeleteAsync(Serving);
        if (versions.Count > 0) _ = tx.SetAddAsync(Serving, versions.Distinct().Select(v => (RedisValue)v).ToArray());
        await tx.ExecuteAsync();
    }

    public async Task<IReadOnlySet<string>> GetServingAsync(CancellationToken ct = default) =>
        (await Db.SetMembersAsync(Serving)).Select(v => v.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
}
