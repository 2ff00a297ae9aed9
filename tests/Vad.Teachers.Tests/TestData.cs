namespace Vad.Teachers.Tests;

internal static class TestData
{
    /// <summary>The real UCSD Ped2 dataset (shared/data/ped2 above the repository).</summary>
    public static string Ped2 => Bench.FindPed2() ?? throw new DirectoryNotFoundException("shared/data/ped2 not found above " + AppContext.BaseDirectory);

    /// <summary>The repository root (holds Cluster.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Cluster.sln"))) return d.FullName;
            throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "vad-teachers-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
