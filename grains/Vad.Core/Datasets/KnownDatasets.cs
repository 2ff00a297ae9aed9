namespace Vad.Core.Datasets;

/// <summary>Locates the shared datasets kept beside the repository (never inside it).</summary>
public static class KnownDatasets
{
    /// <summary>Environment variable that overrides the search with an explicit Ped2 root.</summary>
    public const string Ped2Variable = "VAD_PED2";

    /// <summary>
    /// The UCSD Ped2 root: $VAD_PED2 when set, otherwise the first <c>ANCESTOR/shared/data/ped2</c> or
    /// <c>ANCESTOR/../shared/data/ped2</c> walking up from the program's base directory (then the current directory).
    /// Null when absent.
    /// </summary>
    public static string? FindPed2() => Find(Path.Combine("shared", "data", "ped2"), Ped2Variable);

    public static string? Find(string relative, string? environmentVariable = null)
    {
        if (environmentVariable is not null && Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } explicitRoot)
            return Looks(explicitRoot) ? Path.GetFullPath(explicitRoot) : null;
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string here = Path.Combine(dir.FullName, relative);
                if (Looks(here)) return Path.GetFullPath(here);
                if (dir.Parent is not null)
                {
                    string beside = Path.Combine(dir.Parent.FullName, relative);
                    if (Looks(beside)) return Path.GetFullPath(beside);
                }
            }
        }
        return null;
    }

    private static bool Looks(string dir) => Directory.Exists(Path.Combine(dir, "testing"));
}
