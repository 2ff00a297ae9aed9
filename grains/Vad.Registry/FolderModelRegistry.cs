using Vad.Core.Models;

namespace Vad.Registry;

/// <summary>
/// The embedded default: <c>ROOT/&lt;version&gt;/model.onnx</c> + <c>manifest.json</c>, and <c>ROOT/serving.txt</c>.
/// Files are written to a temporary name and moved, so a reader never sees half a model.
/// </summary>
public sealed class FolderModelRegistry : IModelRegistry
{
    private readonly string _root;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public FolderModelRegistry(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    private string Dir(string version) => Path.Combine(_root, version);
    private string ServingFile => Path.Combine(_root, "serving.txt");

    public async Task<ModelVersionInfo> RegisterAsync(byte[] onnx, StudentManifest manifest, CancellationToken ct = default)
    {
        ModelHashing.Validate(onnx, manifest);
        string version = ModelHashing.Sha256(onnx);
        await _lock.WaitAsync(ct);
        try
        {
            string dir = Dir(version);
            if (!File.Exists(Path.Combine(dir, "manifest.json")))
            {
                Directory.CreateDirectory(dir);
                await WriteAtomicAsync(Path.Combine(dir, "model.onnx"), onnx, ct);
                await WriteAtomicAsync(Path.Combine(dir, "manifest.json"),
                    System.Text.Encoding.UTF8.GetBytes(ModelHashing.ToJson(ModelHashing.Stamp(manifest, version))), ct);
            }
        }
        finally { _lock.Release(); }
        return (await FindAsync(version, ct))!;
    }

    public async Task<IReadOnlyList<ModelVersionInfo>> ListAsync(CancellationToken ct = default)
    {
        var serving = await GetServingAsync(ct);
        var list = new List<ModelVersionInfo>();
        foreach (var dir in Directory.EnumerateDirectories(_root))
        {
            var info = Read(Path.GetFileName(dir), serving);
            if (info is not null) list.Add(info);
        }
        return list.OrderBy(v => v.RegisteredUtc).ToList();
    }

    public async Task<ModelVersionInfo?> FindAsync(string version, CancellationToken ct = default) =>
        Read(version, await GetServingAsync(ct));

    private ModelVersionInfo? Read(string version, IReadOnlySet<string> serving)
    {
        string manifestPath = Path.Combine(Dir(version), "manifest.json");
        string onnxPath = Path.Combine(Dir(version), "model.onnx");
        if (!File.Exists(manifestPath) || !File.Exists(onnxPath)) return null;
        var manifest = ModelHashing.FromJson(File.ReadAllText(manifestPath), manifestPath);
        return new ModelVersionInfo(version, new FileInfo(onnxPath).Length, File.GetLastWriteTimeUtc(manifestPath), manifest, serving.Contains(version));
    }

    public async Task<ModelPackage> GetAsync(string version, CancellationToken ct = default)
    {
        string onnxPath = Path.Combine(Dir(version), "model.onnx");
        string manifestPath = Path.Combine(Dir(version), "manifest.json");
        if (!File.Exists(onnxPath) || !File.Exists(manifestPath)) throw new ModelNotFoundException(version);
        byte[] onnx = await File.ReadAllBytesAsync(onnxPath, ct);
        string actual = ModelHashing.Sha256(onnx);
        if (!string.Equals(actual, version, StringComparison.OrdinalIgnoreCase)) throw new ModelIntegrityException(version, actual);
        return new ModelPackage(version, onnx, ModelHashing.FromJson(await File.ReadAllTextAsync(manifestPath, ct), manifestPath));
    }

    public async Task DeleteAsync(string version, CancellationToken ct = default)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(Dir(version))) throw new ModelNotFoundException(version);
            if ((await GetServingAsync(ct)).Contains(version)) throw new ModelInUseException(version);
            Directory.Delete(Dir(version), recursive: true);
        }
        finally { _lock.Release(); }
    }

    public async Task SetServingAsync(IReadOnlyCollection<string> versions, CancellationToken ct = default) =>
        await WriteAtomicAsync(ServingFile, System.Text.Encoding.UTF8.GetBytes(string.Join('\n', versions.Distinct())), ct);

    public async Task<IReadOnlySet<string>> GetServingAsync(CancellationToken ct = default)
    {
        if (!File.Exists(ServingFile)) return new HashSet<string>();
        var lines = await File.ReadAllLinesAsync(ServingFile, ct);
        return lines.Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private static async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken ct)
    {
        string tmp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        await File.WriteAllBytesAsync(tmp, bytes, ct);
        File.Move(tmp, path, overwrite: true);
    }
}
