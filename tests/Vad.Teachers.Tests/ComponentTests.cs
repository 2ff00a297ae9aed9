using Vad.Teachers.Objects;
using Vad.Teachers.Teachers;
using Xunit;

namespace Vad.Teachers.Tests;

/// <summary>T1's motion-energy component and the calibration of components missing from older teachers.</summary>
public sealed class ComponentTests
{
    /// <summary>T1's raw components of two objects with blank appearance crops and the given motion inputs.</summary>
    private static float[][] RawT1(TeacherModels models, float[] motion, float[]? personHeights = null) =>
        TeacherModels.PerObject(models.Raw(2, new float[2 * InputSizes.Appearance * InputSizes.Appearance], motion, [], t1: true, t2: false, personHeights), 2);

    [Fact]
    public void Motion_energy_is_the_mean_of_the_top_quarter_of_flow_magnitudes_in_pixels()
    {
        using var models = new TeacherModels(new TeacherConfig());
        models.Eval();
        int n = 2 * InputSizes.Motion * InputSizes.Motion;
        var motion = new float[2 * n];
        // object 0: a quarter of the values at 4 px (stored /MotionScale), the rest 0 -> energy 4
        for (int k = 0; k < n / 4; k++) motion[k] = 4f / InputSizes.MotionScale;
        // object 1: everything at 1 px -> energy 1
        for (int k = 0; k < n; k++) motion[n + k] = 1f / InputSizes.MotionScale;
        var raw = RawT1(models, motion);
        int c = Array.IndexOf(TeacherModels.AllComponents, "motion_energy");
        Assert.Equal(4f, raw[0][c], 4);
        Assert.Equal(1f, raw[1][c], 4);
        Assert.True(float.IsNaN(raw[0][Array.IndexOf(TeacherModels.AllComponents, "irregularity")]), "T2 was not asked for");
    }

    [Fact]
    public void A_wider_T2_trunk_is_saved_in_the_config_and_loads_back_to_the_same_scores()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vad-t2-width-" + Guid.NewGuid().ToString("N"));
        try
        {
            int n = InputSizes.StackFrames * InputSizes.Stack * InputSizes.Stack;
            var rng = new Random(3);
            var stack = Enumerable.Range(0, 2 * n).Select(_ => (float)rng.NextDouble()).ToArray();
            int aot = Array.IndexOf(TeacherModels.AllComponents, "arrow_of_time");
            float[][] before;
            long wideParameters, narrowParameters;
            using (var wide = new TeacherModels(new TeacherConfig { T2Width = 2 }))
            {
                wide.Eval();
                before = TeacherModels.PerObject(wide.Raw(2, [], [], stack, t1: false, t2: true), 2);
                wide.Save(dir, "test-dataset");
                wideParameters = wide.MultiTask.parameters().Sum(p => p.numel());
            }
            using (var narrow = new TeacherModels(new TeacherConfig())) narrowParameters = narrow.MultiTask.parameters().Sum(p => p.numel());
            Assert.True(wideParameters > 2 * narrowParameters, $"width 2 has {wideParameters} parameters, width 1 {narrowParameters}");
            Assert.Equal(2, TeacherModels.ReadConfig(dir).T2Width);
            using var loaded = TeacherModels.Load(dir);
            var after = TeacherModels.PerObject(loaded.Raw(2, [], [], stack, t1: false, t2: true), 2);
            Assert.False(float.IsNaN(before[0][aot]));
            for (int o = 0; o < 2; o++) Assert.Equal(before[o][aot], after[o][aot], 5);
            // Teachers saved before the option existed have no t2_width in their config: they are width 1.
            string cfgPath = Path.Combine(dir, TeacherModels.ConfigFile);
            File.WriteAllText(cfgPath, File.ReadAllText(cfgPath).Replace("\"t2_width\": 2,", ""));
            Assert.Equal(1, TeacherModels.ReadConfig(dir).T2Width);
            Assert.Throws<ArgumentOutOfRangeException>(() => new Vad.Teachers.Networks.MultiTaskNetwork("t2", 0));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Speed_is_motion_energy_in_expected_person_heights_and_absent_without_a_perspective_model()
    {
        using var models = new TeacherModels(new TeacherConfig());
        models.Eval();
        int n = 2 * InputSizes.Motion * InputSizes.Motion;
        var motion = new float[2 * n];
        for (int k = 0; k < 2 * n; k++) motion[k] = 6f / InputSizes.MotionScale; // both objects: energy 6 px
        // The same pixel flow is a far object's (expected height 12 px) or a near one's (60 px).
        var raw = RawT1(models, motion, [12f, 60f]);
        int c = Array.IndexOf(TeacherModels.AllComponents, "speed");
        Assert.Equal(0.5f, raw[0][c], 4);
        Assert.Equal(0.1f, raw[1][c], 4);
        var none = RawT1(models, motion);
        Assert.True(float.IsNaN(none[0][c]), "no perspective model, no speed");
        Assert.Throws<ArgumentException>(() => RawT1(models, motion, [12f]));
        // Without it the selection calibrates every other component and leaves speed out (not an error).
        var normal = none.Select((r, i) => r.Select((v, k) => TeacherModels.T2Components.Contains(TeacherModels.AllComponents[k]) ? i + 1f : v).ToArray()).ToList();
        var stats = TeacherValidation.WithMissingStats([], normal);
        Assert.False(stats.ContainsKey("speed"));
        Assert.True(stats.ContainsKey("motion_energy"));
        Assert.DoesNotContain("speed", new TeacherConfig().T1Rule.Components);
    }

    [Fact]
    public void Candidate_rules_are_every_subset_per_scale_or_only_the_papers_full_combination()
    {
        var subsets = TeacherValidation.Candidates(TeacherModels.T2Components).ToList();
        Assert.Equal(2 * 7, subsets.Count);
        Assert.Equal(subsets.Count, subsets.Select(r => r.ToString()).Distinct().Count());
        var paper = TeacherValidation.Candidates(TeacherModels.T2Components, allComponents: true).ToList();
        Assert.Equal(["probability", "z"], paper.Select(r => r.Scale).ToArray());
        Assert.All(paper, r => Assert.Equal(TeacherModels.T2Components, r.Components));
        Assert.True(new TeacherConfig().T2PaperCombination, "the paper's combination is the default since v13");
    }

    [Fact]
    public void Missing_component_statistics_come_from_normal_objects_and_existing_ones_are_kept()
    {
        var stats = TeacherModels.AllComponents.Where(c => c != "motion_energy").ToDictionary(c => c, _ => new ComponentStats(5, 2));
        int c = Array.IndexOf(TeacherModels.AllComponents, "motion_energy");
        var objects = new[] { 1f, 2f, 3f }.Select(v =>
        {
            var r = Enumerable.Repeat(100f, TeacherModels.AllComponents.Length).ToArray();
            r[c] = v;
            return r;
        });
        var result = TeacherValidation.WithMissingStats(stats, objects);
        Assert.Equal(2.0, result["motion_energy"].Mean, 9);
        Assert.Equal(1.0, result["motion_energy"].Std, 9);
        Assert.Equal(new ComponentStats(5, 2), result["app_error"]);
        Assert.Throws<InvalidOperationException>(() => TeacherValidation.WithMissingStats(stats, objects.Take(1)));
    }

    [Fact]
    public void Edge_objects_are_mapped_onto_the_other_objects_scale_and_nothing_changes_without_edge_statistics()
    {
        var stats = TeacherModels.AllComponents.ToDictionary(c => c, _ => new ComponentStats(1, 0.5));
        var raw = Enumerable.Repeat(7f, TeacherModels.AllComponents.Length).ToArray();
        using (var plain = new TeacherModels(new TeacherConfig { Stats = stats }))
            Assert.Equal(raw, plain.EdgeCalibrated(raw));
        // edge objects: mean 5, std 2 -> a value of 7 is z = 1 among them -> 1 + 0.5 * 1 = 1.5 on the common scale
        var edge = new Dictionary<string, ComponentStats> { ["irregularity"] = new(5, 2) };
        using var models = new TeacherModels(new TeacherConfig { Stats = stats, TruncatedStats = edge });
        var mapped = models.EdgeCalibrated(raw);
        int c = Array.IndexOf(TeacherModels.AllComponents, "irregularity");
        Assert.Equal(1.5f, mapped[c], 5);
        Assert.Equal(7f, mapped[Array.IndexOf(TeacherModels.AllComponents, "motion_energy")]);
        Assert.Equal(7f, raw[c]);
    }

    [Fact]
    public void Group_windows_are_mapped_by_the_group_statistics_and_edge_objects_by_the_edge_ones()
    {
        var stats = TeacherModels.AllComponents.ToDictionary(c => c, _ => new ComponentStats(1, 0.5));
        var raw = Enumerable.Repeat(7f, TeacherModels.AllComponents.Length).ToArray();
        int c = Array.IndexOf(TeacherModels.AllComponents, "middle_error");
        using (var v14 = new TeacherModels(new TeacherConfig { Stats = stats }))
            Assert.Equal(raw, v14.Calibrated(raw, truncated: false, groupWindow: true));
        var group = new Dictionary<string, ComponentStats> { ["middle_error"] = new(3, 4) };   // 7 is z = 1 among group windows
        var edge = new Dictionary<string, ComponentStats> { ["middle_error"] = new(7, 1) };    // 7 is z = 0 among edge objects
        using var models = new TeacherModels(new TeacherConfig { Stats = stats, GroupStats = group, TruncatedStats = edge });
        Assert.Equal(1.5f, models.Calibrated(raw, truncated: false, groupWindow: true)[c], 5);
        Assert.Equal(1.0f, models.Calibrated(raw, truncated: true, groupWindow: true)[c], 5);
        Assert.Equal(raw, models.Calibrated(raw, truncated: false, groupWindow: false));
    }

    [Fact]
    public void Nuisance_trends_over_size_and_neighbours_are_fitted_and_removed_so_that_normal_objects_share_one_scale()
    {
        // v = 2 + 0.5 ln h + noise that does not depend on h: the fit must recover slope 0.5 and the noise's spread.
        var heights = new List<int>();
        var values = new List<double>();
        double[] noise = [-0.1, 0.1, -0.05, 0.05];
        foreach (int h in new[] { 16, 24, 32, 48, 64 })
            for (int r = 0; r < 8; r++)
            {
                heights.Add(h);
                values.Add(2 + 0.5 * Math.Log(h) + noise[r % 4]);
            }
        var (trend, stats) = NuisanceCalibration.Fit(values, [.. heights.Select(h => Math.Log(h))]);
        Assert.Equal(0.5, trend.Slope, 6);
        double meanLog = heights.Average(h => Math.Log(h));
        Assert.Equal(meanLog, trend.Mean, 9);
        Assert.Equal(values.Average(), stats.Mean, 9);
        double sd = Math.Sqrt(values.Select((_, i) => noise[i % 4] * noise[i % 4]).Sum() / (values.Count - 1));
        Assert.Equal(sd, stats.Std, 6);
        // Adjusted, a 64 px and a 16 px object with the same noise land on the same value.
        Assert.Equal(trend.Adjust(2 + 0.5 * Math.Log(64), Math.Log(64)), trend.Adjust(2 + 0.5 * Math.Log(16), Math.Log(16)), 9);
        Assert.Throws<InvalidOperationException>(() => NuisanceCalibration.Fit([1.0, 2.0], [10.0, 20.0]));

        // In the teacher: only the components with a trend change, by slope * (ln h - mean ln h).
        var raw = Enumerable.Repeat(1f, TeacherModels.AllComponents.Length).ToArray();
        // Frame: the object (20x64) with one box inside its stack square (side 74 around its centre) and one far away.
        OpenCvSharp.Rect[] boxes = [new(100, 50, 20, 64), new(125, 60, 10, 20), new(300, 10, 10, 20)];
        Assert.Equal(1, NuisanceCalibration.NeighboursInStackSquare(boxes, 0, 32));
        Assert.Equal(0, NuisanceCalibration.NeighboursInStackSquare(boxes, 2, 32));
        using (var none = new TeacherModels(new TeacherConfig()))
            Assert.Same(raw, none.NuisanceAdjusted(raw, boxes, 0));
        using var models = new TeacherModels(new TeacherConfig
        {
            HeightTrends = new() { ["middle_error"] = new CovariateTrend(0.25, Math.Log(32)) },
            NeighbourTrends = new() { ["irregularity"] = new CovariateTrend(0.5, 0.2) },
        });
        var adjusted = models.NuisanceAdjusted(raw, boxes, 0);
        int c = Array.IndexOf(TeacherModels.AllComponents, "middle_error");
        Assert.Equal(1 - 0.25 * Math.Log(2), adjusted[c], 5);
        Assert.Equal(1 - 0.5 * (1 - 0.2), adjusted[Array.IndexOf(TeacherModels.AllComponents, "irregularity")], 5);
        Assert.Equal(1f, adjusted[Array.IndexOf(TeacherModels.AllComponents, "arrow_of_time")]);
        Assert.Equal(1f, raw[c]);
        // The trends travel with the config.
        var json = System.Text.Json.JsonSerializer.Serialize(models.Config, TeacherModels.Json);
        var back = System.Text.Json.JsonSerializer.Deserialize<TeacherConfig>(json, TeacherModels.Json)!;
        Assert.Equal(0.25, back.HeightTrends["middle_error"].Slope);
        Assert.Equal(0.2, back.NeighbourTrends["irregularity"].Mean);
    }
}
