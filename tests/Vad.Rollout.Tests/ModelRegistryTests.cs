using StackExchange.Redis;
using Vad.Core.Models;
using Vad.Registry;
using Vad.Testing;
using Xunit;

namespace Vad.Rollout.Tests;

public abstract class ModelRegistryContract
{
    protected abstract IModelRegistry Registry { get; }
    /// <summary>Alters the stored bytes of a version behind the registry's back.</summary>
    protected abstract Task TamperAsync(string version);

    protected static StudentManifest Manifest(string profile = "cpu") => new()
    {
        InputWidth = 64, InputHeight = 48, Channels = 1, Frames = 3, StrideT = 3, Heads = [1, 4, 16], Profile = profile,
        CreatedUtc = DateTime.UtcNow, Metrics = new() { ["val_loss"] = 0.01 },
    };

    protected static byte[] Bytes(int seed)
    {
        var b = new byte[4096];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public async Task Round_trip_is_content_addressed_and_idempotent()
    {
        byte[] onnx = Bytes(1);
        var v1 = await Registry.RegisterAsync(onnx, Manifest());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(onnx)), v1.Version);
        Assert.Equal(v1.Version, v1.Manifest.Version);
        var again = await Registry.RegisterAsync(onnx, Manifest("other"));
        Assert.Equal(v1.Version, again.Version);
        Assert.Equal("cpu", again.Manifest.Profile); // the first registration of the bytes stands

        var package = await Registry.GetAsync(v1.Version);
        Assert.Equal(onnx, package.Onnx);
        Assert.Equal(64, package.Manifest.InputWidth);
        Assert.Contains(await Registry.ListAsync(), v => v.Version == v1.Version && v.SizeBytes == onnx.Length);
        Assert.Equal(v1.Version, await Registry.ResolveAsync(v1.Version[..10]));
    }

    [Fact]
    public async Task Altered_bytes_fail_the_integrity_check()
    {
        var v = await Registry.RegisterAsync(Bytes(2), Manifest());
        await TamperAsync(v.Version);
        await Assert.ThrowsAsync<ModelIntegrityException>(() => Registry.GetAsync(v.Version));
    }

    [Fact]
    public async Task A_serving_version_cannot_be_deleted()
    {
        var v = await Registry.RegisterAsync(Bytes(3), Manifest());
        await Registry.SetServingAsync([v.Version]);
        Assert.True((await Registry.FindAsync(v.Version))!.Serving);
        await Assert.ThrowsAsync<ModelInUseException>(() => Registry.DeleteAsync(v.Version));
        await Registry.SetServingAsync([]);
        await Registry.DeleteAsync(v.Version);
        Assert.Null(await Registry.FindAsync(v.Version));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => Registry.GetAsync(v.Version));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => Registry.DeleteAsync(v.Version));
    }

    [Fact]
    public async Task Bad_manifests_and_empty_models_are_refused()
    {
        await Assert.ThrowsAsync<ModelRegistryException>(() => Registry.RegisterAsync([], Manifest()));
        await Assert.ThrowsAsync<ModelRegistryException>(() => Registry.RegisterAsync(Bytes(4), Manifest() with { Channels = 2 }));
    }
}

[Trait("Category", "Rollout")]
public sealed class FolderModelRegistryTests : ModelRegistryContract, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("vad-registry-").FullName;
    private readonly FolderModelRegistry _registry;

    public FolderModelRegistryTests() => _registry = new FolderModelRegistry(_root);
    protected override IModelRegistry Registry => _registry;

    protected override Task TamperAsync(string version)
    {
        string path = Path.Combine(_root, version, "model.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[100] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        return Task.CompletedTask;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}

[Trait("Category", "Rollout")]
public sealed class RedisModelRegistryTests : ModelRegistryContract, IClassFixture<RedisTestServer>, IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisModelRegistry _registry;
    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N")[..8];

    public RedisModelRegistryTests(RedisTestServer server)
    {
        _redis = ConnectionMultiplexer.Connect(server.Configuration);
        _registry = new RedisModelRegistry(_redis, _prefix);
    }

    protected override IModelRegistry Registry => _registry;

    protected override async Task TamperAsync(string version)
    {
        var db = _redis.GetDatabase();
        byte[] bytes = (byte[])(await db.HashGetAsync($"{_prefix}:v:{version}", "onnx"))!;
        bytes[100] ^= 0x5A;
        await db.HashSetAsync($"{_prefix}:v:{version}", "onnx", bytes);
    }

    [Fact]
    public async Task A_second_connection_sees_what_the_first_registered()
    {
        var v = await Registry.RegisterAsync(Bytes(9), Manifest());
        using var other = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        var package = await new RedisModelRegistry(other, _prefix).GetAsync(v.Version);
        Assert.Equal(Bytes(9), package.Onnx);
    }

    public void Dispose() => _redis.Dispose();
}
