using System.Diagnostics;
using Vad.Contracts;
using Vad.Core;
using Vad.Grains;
using Xunit;

namespace Vad.Rollout.Tests;

/// <summary>The programs a training job runs, with sped-up training copies.</summary>
public sealed class TrainingStepsTests
{
    private static void EnsureBuilt(string project)
    {
        try { PipelineTrainingCommands.Dll(project); return; }
        catch (FileNotFoundException) { }
        var p = Process.Start(new ProcessStartInfo("dotnet", ["build", Path.Combine(RepoPaths.Root, "trainer", project), "-c", "Release"]))!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void Speed_ups_add_one_teacher_scoring_step_per_copy_and_the_student_distils_on_all_of_them()
    {
        EnsureBuilt("Vad.Teachers");
        EnsureBuilt("Vad.Student");
        var steps = new PipelineTrainingCommands().Steps(new TrainingJobSpec { Dataset = "/data/ped2", SpeedUps = [1.5, 2] }, "/runs/j1");
        Assert.Equal(["teachers", "teachers train-x1.5", "teachers train-x2", "student"], steps.Select(s => s.Name).ToArray());
        Assert.Equal("1.5", steps[1].Args[steps[1].Args.ToList().IndexOf("--speedup") + 1]);
        Assert.All(steps.Take(3), s => Assert.Equal("/runs/j1/teachers", s.Args[s.Args.ToList().IndexOf("--cache") + 1]));
        var student = steps[3].Args.ToList();
        Assert.Equal("train,train-x1.5,train-x2", student[student.IndexOf("--distill-splits") + 1]);

        var plain = new PipelineTrainingCommands().Steps(new TrainingJobSpec { Dataset = "/data/ped2" }, "/runs/j2");
        Assert.Equal(["teachers", "student"], plain.Select(s => s.Name).ToArray());
        Assert.DoesNotContain("--distill-splits", plain[1].Args);
        Assert.Throws<ArgumentException>(() => new PipelineTrainingCommands().Steps(new TrainingJobSpec { Dataset = "/d", SpeedUps = [1] }, "/r"));
    }

    [Fact]
    public void Trainer_programs_are_found_in_the_repository_build_or_in_the_trainer_images_published_layout()
    {
        string root = Directory.CreateTempSubdirectory("vad-dll-").FullName;
        try
        {
            string repo = Path.Combine(root, "repo"), app = Path.Combine(root, "app");
            string published = Path.Combine(app, "trainer", "teachers", "Vad.Teachers.dll");
            var missing = Assert.Throws<FileNotFoundException>(() => PipelineTrainingCommands.Dll("Vad.Teachers", repo, app));
            Assert.Contains(published, missing.Message);
            Directory.CreateDirectory(Path.GetDirectoryName(published)!);
            File.WriteAllText(published, "");
            Assert.Equal(published, PipelineTrainingCommands.Dll("Vad.Teachers", repo, app));
            string built = Path.Combine(repo, "trainer", "Vad.Teachers", "bin", "Release", "net10.0", "linux-x64", "Vad.Teachers.dll");
            Directory.CreateDirectory(Path.GetDirectoryName(built)!);
            File.WriteAllText(built, "");
            Assert.Equal(built, PipelineTrainingCommands.Dll("Vad.Teachers", repo, app)); // a repository build wins
            Assert.Throws<FileNotFoundException>(() => PipelineTrainingCommands.Dll("Vad.Student", repo, app));
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
