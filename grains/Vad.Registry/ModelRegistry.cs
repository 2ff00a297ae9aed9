using System.Security.Cryptography;
using System.Text.Json;
using Vad.Core.Models;

namespace Vad.Registry;

/// <summary>A registered student version: content-addressed (sha256 of the ONNX bytes), immutable.</summary>
public sealed record ModelVersionInfo(string Version, long SizeBytes, DateTime RegisteredUtc, StudentManifest Manifest, bool Serving);

/// <summary>The ONNX bytes of a version with its manifest, integrity-checked on load.</summary>
public sealed record ModelPackage(string Version, byte[] Onnx, StudentManifest Manifest);

public class ModelRegistryException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class ModelNotFoundException(string version) : ModelRegistryException($"model version {version} is not in the registry");

/// <summary>The stored bytes no longer hash to their version: never served.</summary>
public sealed class ModelIntegrityException(string version, string actual)
    : ModelRegistryException($"model version {version} failed its integrity check (stored bytes hash to {actual})");

public sealed class ModelInUseException(string version)
    : ModelRegistryException($"model version {version} is serving: roll it back or replace it before deleting it");

/// <summary>
/// The model registry: a version = ONNX bytes + manifest, addressed by the sha256 of the bytes. Backed by a local
/// folder (the embedded default) or Redis. Every load checks the hash; a serving version cannot be deleted.
/// </summary>
public interface IModelRegistry
{
    /// <summary>Stores a version (idempotent: the same bytes give the same version) and returns it.</summary>
    Task<ModelVersionInfo> RegisterAsync(byte[] onnx, StudentManifest manifest, CancellationToken ct = default);
    Task<IReadOnlyList<ModelVersionInfo>> ListAsync(CancellationToken ct = default);
    Task<ModelVersionInfo?> FindAsync(string version, CancellationToken ct = default);
    /// <summary>Loads a version's bytes and manifest; throws <see cref="ModelIntegrityException"/> when they were altered.</summary>
    Task<ModelPackage> GetAsync(string version, CancellationToken ct = default);
    /// <summary>Refused with <see cref="ModelInUseException"/> while the version serves.</summary>
    Task DeleteAsync(string version, CancellationToken ct = default);
    /// <summary>Marks which versions serve (the rollout keeps this up to date).</summary>
    Task SetServingAsync(IReadOnlyCollection<string> versions, CancellationToken ct = default);
    Task<IReadOnlySet<string>> GetServingAsync(CancellationToken ct = default);
}

public static class ModelRegistryExtensions
{
    /// <summary>Registers an ONNX file and the manifest next to it (<c>X.onnx</c> + <c>X.json</c>).</summary>
    public static async Task<ModelVersionInfo> RegisterFileAsync(this IModelRegistry registry, string onnxPath, CancellationToken ct = default)
    {
        if (!File.Exists(onnxPath)) throw new ModelRegistryException($"{onnxPath}: no such ONNX file");
        string manifestPath = StudentManifest.PathFor(onnxPath);
        if (!File.Exists(manifestPath)) throw new ModelRegistryException($"{onnxPath}: its manifest {manifestPath} is missing");
        var manifest = StudentManifest.Load(manifestPath);
        return await registry.RegisterAsync(await File.ReadAllBytesAsync(onnxPath, ct), manifest, ct);
    }

    /// <summary>Resolves a unique prefix of a version (like git's short hashes).</summary>
    public static async Task<string> ResolveAsync(this IModelRegistry registry, string versionOrPrefix, CancellationToken ct = default)
    {
        var matches = (await registry.ListAsync(ct)).Where(v => v.Version.StartsWith(versionOrPrefix, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => matches[0].Version,
            0 => throw new ModelNotFoundException(versionOrPrefix),
            _ => throw new ModelRegistryException($"version prefix {versionOrPrefix} is ambiguous ({matches.Count} versions)"),
        };
    }
}

internal static class ModelHashing
{
    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The manifest as stored: its version field is always the content hash.</summary>
    public static StudentManifest Stamp(StudentManifest manifest, string version) => manifest with { Version = version };

    public static string ToJson(StudentManifest manifest) => JsonSerializer.Serialize(manifest, StudentManifest.JsonOptions);

    public static StudentManifest FromJson(string json, string what) =>
        JsonSerializer.Deserialize<StudentManifest>(json, StudentManifest.JsonOptions) ?? throw new ModelRegistryException($"{what}: empty manifest");

    public static void Validate(byte[] onnx, StudentManifest manifest)
    {
        if (onnx.Length == 0) throw new ModelRegistryException("refusing an empty ONNX file");
        if (manifest.InputWidth <= 0 || manifest.InputHeight <= 0 || manifest.Channels is not (1 or 3) || manifest.Frames <= 0 || manifest.Heads.Length == 0)
            throw new ModelRegistryException(
                $"refusing a manifest with input {manifest.InputWidth}x{manifest.InputHeight}, channels {manifest.Channels}, frames {manifest.Frames}, heads [{string.Join(',', manifest.Heads)}]");
    }
}
