namespace Vad.Testing;

/// <summary>Linked into the test assemblies that write files: a test class whose instance (one per test) owns a fresh
/// temporary folder, deleted afterwards.</summary>
public abstract class TempDirectoryTest : IDisposable
{
    protected string Dir { get; }

    protected TempDirectoryTest(string prefix) => Dir = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
