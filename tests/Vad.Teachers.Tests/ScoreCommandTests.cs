using OpenCvSharp;
using Vad.Teachers.Data;
using Vad.Teachers.Detection;
using Vad.Teachers.Teachers;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary>End to end with the committed Ped2 teachers: a corrupt clip fails clearly, the others are scored; sped-up copies.</summary>
public sealed class ScoreCommandTests
{
    [Fact]
    public void A_corrupt_clip_fails_with_a_clear_error_while_the_others_are_scored()
    {
        string models = TestData.CommittedTeachers;
        string root = TestData.TempDir();
        string good = Path.Combine(root, "testing", "frames", "01"), bad = Path.Combine(root, "testing", "frames", "02");
        Directory.CreateDirectory(good);
        Directory.CreateDirectory(bad);
        for (int i = 0; i < 8; i++)
        {
            string name = $"{90 + i:000}.jpg";
            File.Copy(Path.Combine(TestData.Ped2, "testing", "frames", "01", name), Path.Combine(good, $"{i:000}.jpg"));
            File.Copy(Path.Combine(TestData.Ped2, "testing", "frames", "02", name), Path.Combine(bad, $"{i:000}.jpg"));
        }
        File.WriteAllBytes(Path.Combine(bad, "004.jpg"), new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 1, 2, 3 });
        string outDir = Path.Combine(root, "out");
        var err = new StringWriter();
        var oldErr = Console.Error;
        Console.SetError(err);
        int rc;
        try { rc = Program.Main(["score", "--dataset", root, "--split", "test", "--out", outDir, "--models", models]); }
        finally { Console.SetError(oldErr); }
        Assert.Equal(1, rc);
        Assert.Contains("test/02", err.ToString());
        Assert.Contains("004.jpg", err.ToString());
        foreach (var t in new[] { "t1", "t2" })
        {
            var lines = File.ReadAllLines(Path.Combine(outDir, t, "01.txt"));
            Assert.Equal(8, lines.Length);
            Assert.All(lines, l => Assert.True(float.Parse(l, System.Globalization.CultureInfo.InvariantCulture) >= 0));
            Assert.False(File.Exists(Path.Combine(outDir, t, "02.txt")));
            var maps = Vad.Core.Maps.AnomalyMapCache.Read(Vad.Core.Maps.AnomalyMapCache.VideoPath(outDir, t, "test", "01"));
            Assert.Equal(8, maps.Frames.Count);
            Assert.True(maps.Frames.Any(f => f.Score > 0), "the clip has people: some frame must score above 0");
        }
        Directory.Delete(root, true);
    }

    // In this class, not its own: the command shows Spectre progress, which refuses to run twice at once (xunit runs classes in parallel).
    [Fact]
    public void A_sped_up_copy_scores_every_kth_frame_under_its_own_split()
    {
        string models = TestData.CommittedTeachers;
        string root = TestData.TempDir();
        TestData.CopyClip(root, "training", "01", first: 10, count: 9);
        string outDir = Path.Combine(root, "out");
        string dump = Path.Combine(root, "objects.csv");
        File.WriteAllText(dump, "left by an earlier run\n");
        Assert.Equal(0, Program.Main(["score", "--dataset", root, "--split", "train", "--speedup", "2", "--out", outDir, "--models", models, "--dump-objects", dump]));
        var maps = Vad.Core.Maps.AnomalyMapCache.Read(Vad.Core.Maps.AnomalyMapCache.VideoPath(outDir, "t1", "train-x2", "01"));
        Assert.Equal(5, maps.Frames.Count); // frames 0, 2, 4, 6, 8
        // The objects CSV is replaced, not appended to: one header, then one row per object of those 5 frames.
        var rows = File.ReadAllLines(dump);
        Assert.StartsWith("split,video,frame,", rows[0]);
        Assert.True(rows.Length > 1 && rows.Skip(1).All(r => r.StartsWith("train-x2,01,")), string.Join("\n", rows.Take(3)));
        Assert.Equal(0, Program.Main(["score", "--dataset", root, "--split", "train", "--speedup", "2", "--out", outDir, "--models", models, "--dump-objects", dump]));
        Assert.Equal(rows, File.ReadAllLines(dump));
        Assert.Equal("train-x2", maps.Header.Split);
        Assert.False(Directory.Exists(Path.Combine(outDir, "maps", "t1", "train")), "a sped-up copy must not overwrite the clip's own maps");
        Assert.Equal(2, Program.Main(["score", "--dataset", root, "--split", "train", "--speedup", "0", "--out", outDir, "--models", models]));
        // Half-frame copy: its own split, as long as the whole-frame copy; a region without a speed-up is refused.
        Assert.Equal(0, Program.Main(["score", "--dataset", root, "--split", "train", "--speedup", "2", "--region", "bottom", "--out", outDir, "--models", models]));
        var bottom = Vad.Core.Maps.AnomalyMapCache.Read(Vad.Core.Maps.AnomalyMapCache.VideoPath(outDir, "t2", "train-x2-bottom", "01"));
        Assert.Equal(5, bottom.Frames.Count);
        Assert.Equal("train-x2-bottom", bottom.Header.Split);
        Assert.Equal(2, Program.Main(["score", "--dataset", root, "--split", "train", "--region", "top", "--out", outDir, "--models", models]));
        Directory.Delete(root, true);
    }

    // Same class as above: Spectre progress cannot run twice at once.
    [Fact]
    public void One_teacher_alone_scores_exactly_as_when_both_are_scored_and_writes_only_its_own_files()
    {
        string models = TestData.CommittedTeachers;
        string root = TestData.TempDir();
        TestData.CopyClip(root, "training", "02", first: 40, count: 12);
        string both = Path.Combine(root, "both"), alone = Path.Combine(root, "alone");
        Assert.Equal(0, Program.Main(["score", "--dataset", root, "--split", "train", "--out", both, "--models", models]));
        Assert.Equal(0, Program.Main(["score", "--dataset", root, "--split", "train", "--out", alone, "--models", models, "--teachers", "t2"]));
        var expected = File.ReadAllLines(Path.Combine(both, "t2", "02.txt"));
        Assert.Contains(expected, l => l != "0"); // people walk in this clip: the comparison is not of empty frames
        Assert.Equal(expected, File.ReadAllLines(Path.Combine(alone, "t2", "02.txt")));
        var mapsBoth = Vad.Core.Maps.AnomalyMapCache.Read(Vad.Core.Maps.AnomalyMapCache.VideoPath(both, "t2", "train", "02"));
        var mapsAlone = Vad.Core.Maps.AnomalyMapCache.Read(Vad.Core.Maps.AnomalyMapCache.VideoPath(alone, "t2", "train", "02"));
        Assert.Equal(mapsBoth.Frames.Select(f => f.Score), mapsAlone.Frames.Select(f => f.Score));
        Assert.False(Directory.Exists(Path.Combine(alone, "t1")));
        Assert.False(File.Exists(Vad.Core.Maps.AnomalyMapCache.VideoPath(alone, "t1", "train", "02")));
        Assert.Equal(2, Program.Main(["score", "--dataset", root, "--split", "train", "--out", alone, "--models", models, "--teachers", "t3"]));
        Assert.Equal(2, Program.Main(["score", "--dataset", root, "--split", "train", "--out", alone, "--models", models, "--teachers", "t2", "--dump-objects", Path.Combine(root, "o.csv")]));
        Directory.Delete(root, true);
    }

    [Fact]
    public void Validate_local_scores_altered_frames_against_the_filmed_ones_and_writes_its_json()
    {
        string models = TestData.CommittedTeachers;
        string root = TestData.TempDir();
        TestData.CopyClip(root, "training", "15", first: 0, count: 45);
        string json = Path.Combine(root, "local.json");
        Assert.Equal(0, Program.Main(["validate-local", "--dataset", root, "--clips", "15", "--per-clip", "1", "--models", models, "--json", json]));
        var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(45, doc.GetProperty("normal_frames").GetInt32());
        foreach (var kind in new[] { "speed", "flip" })
        {
            Assert.True(doc.GetProperty($"{kind}_frames").GetInt32() > 0, $"{kind}: no altered frame was scored");
            foreach (var t in new[] { "t1", "t2" })
            {
                double auc = doc.GetProperty($"{t}_{kind}_auc").GetDouble();
                Assert.InRange(auc, 0, 1);
            }
        }
        Assert.NotEqual(0, Program.Main(["validate-local", "--dataset", root, "--clips", "16", "--models", models])); // no such clip
        Assert.False(doc.TryGetProperty("glide_frames", out _)); // glide only when asked for
        string glideJson = Path.Combine(root, "glide.json");
        Assert.Equal(0, Program.Main(["validate-local", "--dataset", root, "--clips", "15", "--per-clip", "1", "--models", models, "--kinds", "glide", "--json", glideJson]));
        var glide = System.Text.Json.JsonDocument.Parse(File.ReadAllText(glideJson)).RootElement;
        Assert.True(glide.GetProperty("glide_frames").GetInt32() > 0);
        Assert.InRange(glide.GetProperty("t2_glide_auc").GetDouble(), 0, 1);
        Assert.False(glide.TryGetProperty("speed_frames", out _));
        // Bad kinds and calibration options fail with a usage error before anything is scored.
        Assert.Equal(2, Program.Main(["validate-local", "--dataset", root, "--clips", "15", "--models", models, "--kinds", "fast"]));
        Assert.Equal(2, Program.Main(["select", "--dataset", root, "--models", models, "--in-context-kinds", "glide"]));
        Assert.Equal(2, Program.Main(["select", "--dataset", root, "--models", models, "--neighbour-calibration", "t3"]));
        Directory.Delete(root, true);
    }

    [Fact]
    public void Make_local_links_the_real_clips_and_adds_pseudo_anomaly_clips_of_png_frames()
    {
        string models = TestData.CommittedTeachers;
        string root = TestData.TempDir();
        string dataset = Path.Combine(root, "data");
        string clip = TestData.CopyClip(dataset, "training", "15", first: 0, count: 45);
        Directory.CreateDirectory(Path.Combine(dataset, "testing", "frames", "01"));
        string outDir = Path.Combine(root, "derived");
        // A relative --dataset (as ../shared/data/ped2 is given) must still give links that resolve.
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, dataset);
        Assert.Equal(0, Program.Main(["make-local", "--dataset", relative, "--out", outDir, "--clips", "15", "--per-clip", "1", "--models", models]));
        Assert.Equal(45, Directory.GetFiles(Path.Combine(outDir, "training", "frames", "15")).Length);
        string frames = Path.Combine(outDir, "training", "frames");
        Assert.Equal(clip, new DirectoryInfo(Path.Combine(frames, "15")).LinkTarget); // the real clip, linked
        Assert.NotNull(new DirectoryInfo(Path.Combine(outDir, "testing")).LinkTarget);
        foreach (var kind in new[] { "speed", "flip" })
        {
            var pngs = Directory.GetFiles(Path.Combine(frames, $"15-{kind}-1"), "*.png");
            Assert.True(pngs.Length > 2 * Vad.Teachers.Data.InContextPseudoAnomalies.Context, $"{kind}: too few frames ({pngs.Length})");
            // One label per frame: the altered ones 1, the context frames at both ends not counted.
            var labels = File.ReadAllLines(Vad.Core.Datasets.PseudoAnomalyLabels.PathFor(outDir, $"15-{kind}-1"));
            Assert.Equal(pngs.Length, labels.Length);
            Assert.Contains("1", labels);
            Assert.All(labels.Take(Vad.Teachers.Data.InContextPseudoAnomalies.Context).Concat(labels.TakeLast(Vad.Teachers.Data.InContextPseudoAnomalies.Context)),
                l => Assert.Equal("-", l));
        }
        // Re-running into the same folder is fine; an output inside the dataset is refused.
        Assert.Equal(0, Program.Main(["make-local", "--dataset", dataset, "--out", outDir, "--clips", "15", "--per-clip", "1", "--models", models]));
        Assert.Equal(2, Program.Main(["make-local", "--dataset", dataset, "--out", Path.Combine(dataset, "x"), "--clips", "15", "--models", models]));
        Directory.Delete(root, true);
    }

    [Fact]
    public void Make_crowded_links_the_dataset_and_writes_one_crowded_clip_per_clip_and_partner()
    {
        string models = TestData.CommittedTeachers;
        string root = TestData.TempDir();
        string dataset = Path.Combine(root, "data");
        TestData.CopyClip(dataset, "training", "01", first: 0, count: 12);
        TestData.CopyClip(dataset, "training", "02", first: 0, count: 10);
        Directory.CreateDirectory(Path.Combine(dataset, "testing", "frames", "01"));
        string outDir = Path.Combine(root, "crowded");
        Assert.Equal(0, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01,02", "--models", models]));
        string frames = Path.Combine(outDir, "training", "frames");
        Assert.NotNull(new DirectoryInfo(Path.Combine(frames, "01")).LinkTarget);
        Assert.NotNull(new DirectoryInfo(Path.Combine(outDir, "testing")).LinkTarget);
        // As long as the shorter clip of each pair.
        Assert.Equal(10, Directory.GetFiles(Path.Combine(frames, "01-crowded-02"), "*.png").Length);
        Assert.Equal(10, Directory.GetFiles(Path.Combine(frames, "02-crowded-01"), "*.png").Length);
        // Every composite frame has at least the foreground of its own frame.
        using var det = BackgroundSubtractionDetector.Load(Path.Combine(models, "background.png"));
        using var first = Cv2.ImRead(Path.Combine(frames, "01-crowded-02", "000.png"), ImreadModes.Grayscale);
        using var own = Cv2.ImRead(Directory.GetFiles(Path.Combine(frames, "01")).Order(StringComparer.Ordinal).First(), ImreadModes.Grayscale);
        using var ownMask = det.ForegroundMask(own);
        using var compositeMask = det.ForegroundMask(first);
        Assert.True(Cv2.CountNonZero(compositeMask) >= Cv2.CountNonZero(ownMask));
        // Re-running into the same folder is fine; bad options are refused before anything is written.
        Assert.Equal(0, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01,02", "--models", models]));
        Assert.Equal(2, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01", "--models", models]));
        Assert.Equal(2, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01,01", "--models", models]));
        Assert.Equal(2, Program.Main(["make-crowded", "--dataset", dataset, "--out", outDir, "--clips", "01,02", "--partners", "2", "--models", models]));
        Assert.Equal(2, Program.Main(["make-crowded", "--dataset", dataset, "--out", Path.Combine(dataset, "x"), "--clips", "01,02", "--models", models]));
        Directory.Delete(root, true);
    }

    [Fact]
    public void Add_distillation_copies_the_teachers_and_gives_t2_a_trained_fourth_task_leaving_the_rest_as_it_was()
    {
        string models = TestData.SingleCommittedTeachers();
        string root = TestData.TempDir();
        string dataset = Path.Combine(root, "data");
        TestData.CopyClip(dataset, "training", "01", first: 0, count: 12); // fitting objects
        TestData.CopyClip(dataset, "training", "14", first: 0, count: 12); // calibration objects
        string outDir = Path.Combine(root, "teachers");
        Assert.Equal(0, Program.Main(["add-distillation", "--dataset", dataset, "--models", models, "--out", outDir, "--epochs", "1"]));
        Assert.True(File.Exists(Path.Combine(outDir, TeacherModels.DistillationFile)));
        Assert.False(File.Exists(Path.Combine(models, TeacherModels.DistillationFile)), "the source teachers are left as they were");
        using var before = TeacherModels.Load(models);
        using var after = TeacherModels.Load(outDir);
        Assert.True(after.Config.T2Distillation);
        Assert.Equal([.. TeacherModels.T2Components, TeacherModels.DistillationComponent], after.T2ComponentsInUse);
        Assert.True(after.Config.Stats[TeacherModels.DistillationComponent].Std > 0);
        // Everything else as it was: rules, statistics of the other components, T1's weights.
        Assert.Equal(before.Config.T2Rule.ToString(), after.Config.T2Rule.ToString());
        foreach (var (name, st) in before.Config.Stats) Assert.Equal(st, after.Config.Stats[name]);
        Assert.NotEqual(TeacherModels.WeightsHash(models, "t2"), TeacherModels.WeightsHash(outDir, "t2"));
        foreach (var f in TeacherModels.WeightFiles)
            Assert.Equal(File.ReadAllBytes(Path.Combine(models, f)), File.ReadAllBytes(Path.Combine(outDir, f)));
        Assert.Contains("add-distillation", TeacherModels.SavedCommand(outDir));
        // Twice is refused (it has one), and so is writing over the source.
        Assert.Equal(2, Program.Main(["add-distillation", "--dataset", dataset, "--models", outDir, "--out", Path.Combine(root, "again"), "--epochs", "1"]));
        Assert.Equal(2, Program.Main(["add-distillation", "--dataset", dataset, "--models", outDir, "--out", outDir]));
        Directory.Delete(root, true);
        Directory.Delete(models, true);
    }


    [Fact]
    public void A_T2_seed_ensemble_scores_each_object_with_the_mean_of_its_members_object_scores()
    {
        string models = TestData.SingleCommittedTeachers();
        string root = TestData.TempDir();
        // A second "seed": the committed T2 network under another seed and another rule, so its scores differ.
        string other = Path.Combine(root, "seed99");
        Directory.CreateDirectory(other);
        foreach (var f in Directory.GetFiles(models)) File.Copy(f, Path.Combine(other, Path.GetFileName(f)));
        var otherCfg = TeacherModels.ReadConfig(models) with { Seed = 99, T2Rule = new ScoreRule("z", ["middle_error"]) };
        File.WriteAllText(Path.Combine(other, TeacherModels.ConfigFile), System.Text.Json.JsonSerializer.Serialize(otherCfg, TeacherModels.Json));
        string joined = Path.Combine(root, "joined");
        Assert.Equal(0, Program.Main(["t2-ensemble", "--models", models, "--members", other, "--out", joined]));

        using var single = TeacherModels.Load(models);
        using var second = TeacherModels.Load(other);
        using var ensemble = TeacherModels.Load(joined);
        Assert.Equal(["t2_members/seed99"], ensemble.Config.T2Members);
        Assert.Single(ensemble.T2MemberModels);
        // Unsmoothed, so the mean is exact per object (smoothing is applied once, after the mean).
        foreach (var m in new[] { single, second, ensemble }) m.Config = m.Config with { T2Smoothing = TrackSmoothing.None };
        using var detector = DetectorFactory.Create(single.Config.Detector, models);
        var clip = Clips.List(TestData.Ped2, "train", ["02"]).Single();
        var frames = Clips.LoadGray(clip, maxFrames: 6);
        try
        {
            var a = new TeacherScorer(single, detector).ScoreFrames(frames, t1: false, t2: true);
            var b = new TeacherScorer(second, detector).ScoreFrames(frames, t1: false, t2: true);
            var e = new TeacherScorer(ensemble, detector).ScoreFrames(frames, t1: false, t2: true);
            int objects = 0, differ = 0;
            for (int f = 0; f < frames.Length; f++)
                for (int k = 0; k < e[f].T2.Length; k++)
                {
                    if (float.IsNaN(a[f].T2[k])) { Assert.True(float.IsNaN(e[f].T2[k])); continue; }
                    objects++;
                    if (Math.Abs(a[f].T2[k] - b[f].T2[k]) > 1e-3) differ++;
                    Assert.Equal((a[f].T2[k] + b[f].T2[k]) / 2, e[f].T2[k], 1e-6);
                }
            Assert.True(objects > 10, $"{objects} objects");
            Assert.True(differ > objects / 2, $"the two members differ on only {differ} of {objects} objects");
        }
        finally { foreach (var m in frames) m.Dispose(); }
        // The networks are copied as they were; T2's hash covers the members; the manifest lists their files and says how it was made.
        foreach (var f in TeacherModels.WeightFiles)
            Assert.Equal(File.ReadAllBytes(Path.Combine(models, f)), File.ReadAllBytes(Path.Combine(joined, f)));
        Assert.NotEqual(TeacherModels.WeightsHash(models, "t2"), TeacherModels.WeightsHash(joined, "t2"));
        string manifest = File.ReadAllText(Path.Combine(joined, TeacherModels.ManifestFile));
        Assert.Contains("t2_members/seed99/t2_multitask.bin", manifest);
        Assert.Contains("t2-ensemble", TeacherModels.SavedCommand(joined));
        // Refused: the same seed twice, a member that cuts its crops differently, re-selecting or extending an ensemble.
        Assert.Equal(2, Program.Main(["t2-ensemble", "--models", models, "--members", models, "--out", Path.Combine(root, "x")]));
        var unmasked = otherCfg with { Seed = 98, StackMaskNeighbours = !otherCfg.StackMaskNeighbours };
        File.WriteAllText(Path.Combine(other, TeacherModels.ConfigFile), System.Text.Json.JsonSerializer.Serialize(unmasked, TeacherModels.Json));
        Assert.Equal(2, Program.Main(["t2-ensemble", "--models", models, "--members", other, "--out", Path.Combine(root, "y")]));
        Assert.False(Directory.Exists(Path.Combine(root, "y")), "refused before anything is written");
        Assert.NotEqual(0, Program.Main(["select", "--dataset", TestData.Ped2, "--models", joined]));
        Assert.NotEqual(0, Program.Main(["t2-ensemble", "--models", joined, "--members", other, "--out", Path.Combine(root, "z")]));
        Directory.Delete(root, true);
        Directory.Delete(models, true);
    }

    // Same class as the others: LearnDetector writes through Spectre's console.
    [Fact]
    public void The_detector_learns_the_committed_stack_splitting_model_and_refuses_stacks_without_groups()
    {
        string root = TestData.TempDir();
        var err = new StringWriter();
        var oldErr = Console.Error;
        Console.SetError(err);
        int refused;
        try { refused = Program.Main(["detector", "--dataset", TestData.Ped2, "--out", Path.Combine(root, "x"), "--split-stacks", "yes"]); }
        finally { Console.SetError(oldErr); }
        Assert.Equal(2, refused);
        Assert.Contains("--split-groups", err.ToString());
        Assert.False(Directory.Exists(Path.Combine(root, "x")), "refused before anything is written");
        // train learns the same detector, so it refuses the same combination, before any detection or training
        err.GetStringBuilder().Clear();
        Console.SetError(err);
        try { refused = Program.Main(["train", "--dataset", TestData.Ped2, "--out", Path.Combine(root, "y"), "--split-stacks", "yes"]); }
        finally { Console.SetError(oldErr); }
        Assert.Equal(2, refused);
        Assert.Contains("--split-groups", err.ToString());
        Assert.False(Directory.Exists(Path.Combine(root, "y")), "refused before anything is written");

        string outDir = Path.Combine(root, "stacks");
        Assert.Equal(0, Program.Main(["detector", "--dataset", TestData.Ped2, "--out", outDir, "--split-groups", "yes", "--split-stacks", "yes"]));
        string file = Path.Combine(outDir, DetectorFactory.PersonHeightFile);
        // the committed v36 teachers were made by this command on the same clips: the same model, switch included
        Assert.Equal(File.ReadAllText(Path.Combine(TestData.CommittedTeachers, DetectorFactory.PersonHeightFile)), File.ReadAllText(file));
        Assert.True(System.Text.Json.JsonSerializer.Deserialize<PersonHeightModel>(File.ReadAllText(file))!.SplitStacks);
        Directory.Delete(root, true);
    }
}

/// <summary>Bad calibration or group-statistics options fail at once, with a message naming the option.</summary>
public sealed class TeacherOptionTests
{
    [Fact]
    public void Unknown_or_all_calibration_clips_and_a_lone_group_stats_source_are_refused_before_any_work()
    {
        string root = TestData.TempDir();
        foreach (var clip in new[] { "01", "02" }) TestData.CopyClip(root, "training", clip, first: 0, count: 1);
        string outDir = Path.Combine(root, "models");
        var err = new StringWriter();
        var oldErr = Console.Error;
        Console.SetError(err);
        try
        {
            Assert.Equal(2, Program.Main(["train", "--dataset", root, "--out", outDir, "--calibration-clips", "02,17"]));
            Assert.Contains("no training clip named 17", err.ToString());
            Assert.Equal(2, Program.Main(["train", "--dataset", root, "--out", outDir, "--calibration-clips", "01,02"]));
            Assert.Contains("at least one training clip must be left", err.ToString());
            Assert.Equal(2, Program.Main(["select", "--dataset", root, "--models", outDir, "--group-stats-from", "calibration"]));
            Assert.Contains("--group-stats-from needs --group-stats yes", err.ToString());
            Assert.Equal(2, Program.Main(["select", "--dataset", root, "--models", outDir, "--group-stats", "yes", "--group-stats-from", "test"]));
            Assert.Contains("must be train or calibration", err.ToString());
            Assert.Equal(2, Program.Main(["select", "--dataset", root, "--models", outDir, "--validation", "test-labels"]));
            Assert.Contains("--validation must be sped-up or in-context, not 'test-labels'", err.ToString());
            Assert.Equal(2, Program.Main(["train", "--dataset", root, "--out", outDir, "--validation", "local"]));
            Assert.Equal(2, Program.Main(["select", "--dataset", root, "--models", outDir, "--in-context-edges", "yes"]));
            Assert.Contains("--in-context-edges needs --validation in-context", err.ToString());
        }
        finally { Console.SetError(oldErr); }
        Assert.False(Directory.Exists(outDir), "nothing may be written when the options are refused");
        Directory.Delete(root, true);
    }
}
