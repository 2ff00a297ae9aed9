namespace Vad.Core;

/// <summary>
/// Where the repository is, for defaults that live in it (shipped models, bench/results, runs/): $VAD_ROOT (set by
/// `./vad`), else the first ancestor of the program holding Cluster.sln, else the current folder.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    /// <summary>A path inside the repository; absolute paths are returned as they are.</summary>
    public static string Resolve(string relative) => Path.IsPathRooted(relative) ? relative : Path.Combine(Root, relative);

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("VAD_ROOT") is { Length: > 0 } root && Directory.Exists(root))
            return Path.GetFullPath(root);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
