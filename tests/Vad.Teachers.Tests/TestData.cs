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

    /// <summary>The committed Ped2 teachers (models/ped2/teachers).</summary>
    public static string CommittedTeachers => Path.Combine(RepoRoot, "models", "ped2", "teachers");

    /// <summary>A temporary copy of the committed teachers as single teachers: their own T2 network only (the members of
    /// a T2 seed ensemble left out), for commands that work on one T2 (add-distillation, t2-ensemble).</summary>
    public static string SingleCommittedTeachers()
    {
        string dir = TempDir();
        foreach (var f in Directory.GetFiles(CommittedTeachers)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var cfg = Teachers.TeacherModels.ReadConfig(dir) with { T2Members = [] };
        File.WriteAllText(Path.Combine(dir, Teachers.TeacherModels.ConfigFile), System.Text.Json.JsonSerializer.Serialize(cfg, Teachers.TeacherModels.Json));
        return dir;
    }

    /// <summary>
    /// A Ped2-layout clip at <c>root/training|testing/frames/clip</c> holding <paramref name="count"/> real Ped2 frames of
    /// that clip from <paramref name="first"/> on, renumbered from 000. Returns the clip's folder.
    /// </summary>
    public static string CopyClip(string root, string folder, string clip, int first, int count)
    {
        string dir = Path.Combine(root, folder, "frames", clip);
        Directory.CreateDirectory(dir);
        for (int i = 0; i < count; i++)
            File.Copy(Path.Combine(Ped2, folder, "frames", clip, $"{first + i:000}.jpg"), Path.Combine(dir, $"{i:000}.jpg"));
        return dir;
    }

    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "vad-teachers-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
