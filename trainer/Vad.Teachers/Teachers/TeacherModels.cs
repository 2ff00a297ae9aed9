using System.Text.Json;
using TorchSharp;
using Vad.Core.Maps;
using Vad.Teachers.Networks;
using Vad.Teachers.Objects;
using static TorchSharp.torch;

namespace Vad.Teachers.Teachers;

/// <summary>Mean and standard deviation of one raw anomaly component over normal (calibration) objects.</summary>
public sealed record ComponentStats(double Mean, double Std)
{
    public double Z(double v) => (v - Mean) / Math.Max(Std, 1e-6);
}

/// <summary>Everything besides the weights: seed, detector, training settings, normalisation statistics.</summary>
public sealed record TeacherConfig
{
    public int Seed { get; init; } = 7;
    public string Detector { get; init; } = "background";
    public int TrainFrameStride { get; init; } = 3;
    public string[] CalibrationClips { get; init; } = ["14", "15", "16"];
    public int AutoEncoderEpochs { get; init; } = 5;
    public int ClassifierEpochs { get; init; } = 3;
    public int MultiTaskEpochs { get; init; } = 48;
    /// <summary>Channel multiplier of T2's 3D-conv trunk (1: 8-16-32 channels, the teachers up to v32; 2: 16-32-64).</summary>
    public int T2Width { get; init; } = 1;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Reconstruction errors are the mean of this top fraction of per-pixel squared errors (robust to boxes
    /// that only partly hold the object).</summary>
    public double ErrorTopFraction { get; init; } = 0.25;
    public Dictionary<string, ComponentStats> Stats { get; init; } = new();
    /// <summary>How T1 combines its components (selected on the pseudo-anomaly validation, see TeacherValidation).</summary>
    public ScoreRule T1Rule { get; init; } = new("probability", TeacherModels.T1ComponentsWithoutPerspective);
    public ScoreRule T2Rule { get; init; } = new("probability", TeacherModels.T2Components);
    /// <summary>Smoothing of each teacher's object scores along object tracks (<see cref="ObjectTracks"/>), selected on
    /// the same validation after the rule; teachers saved before it existed have none.</summary>
    public TrackSmoothing T1Smoothing { get; init; } = TrackSmoothing.None;
    public TrackSmoothing T2Smoothing { get; init; } = TrackSmoothing.None;
    /// <summary>
    /// Add the appearance part (the components best on the turned-crop validation) to T1's rule selected on the sped-up
    /// validation, as the paper sums appearance and motion. On since v14 (the sped-up validation cannot judge
    /// appearance, so it is not left to decide); teachers up to v13 had it off.
    /// </summary>
    public bool T1AppearancePart { get; init; } = true;
    /// <summary>
    /// T2's object score is the paper's combination of all its proxy tasks (arrow of time, motion irregularity,
    /// middle-box prediction); only the scale (probability or z) and the track smoothing are chosen on the validation.
    /// Off: the validation picks the subset, and as its sped-up copies are the irregularity task's own pseudo-anomaly it
    /// always picks irregularity alone (teachers up to v12; v13 turned it on).
    /// </summary>
    public bool T2PaperCombination { get; init; } = true;
    /// <summary>
    /// Smallest side (pixels) of the square T2's stack crops are cut from. 32 (T2's input size): a small box (often a
    /// fragment of a person) is not upsampled but seen with its surroundings; teachers trained before this setting
    /// existed used 8 and say so in their teachers.json.
    /// </summary>
    public int StackMinSide { get; init; } = InputSizes.Stack;
    /// <summary>
    /// T2's stack crops (training and scoring) have the other objects of the frame painted over with the background
    /// (<see cref="NeighbourMask"/>): its score followed the number of people passing through its square (v26). Needs
    /// the background-subtraction detector's background. Off for teachers trained before it existed.
    /// </summary>
    public bool StackMaskNeighbours { get; init; }
    /// <summary>
    /// T2 has its fourth task, distillation from a fixed random network on the object's appearance crop
    /// (<see cref="RandomTargetDistillation"/>, component <see cref="TeacherModels.DistillationComponent"/>), whose
    /// weights are <see cref="TeacherModels.DistillationFile"/>. Off for teachers trained before it existed (v24 and earlier).
    /// </summary>
    public bool T2Distillation { get; init; }
    /// <summary>Epochs of the distillation task's predictor.</summary>
    public int DistillationEpochs { get; init; } = 24;
    /// <summary>
    /// Score objects whose box touches the frame edge too (they are never trained on). Off: such objects were the
    /// top-scoring normal objects of the held-out clips, and the sped-up validation ranks scoring them lower.
    /// </summary>
    public bool ScoreTruncatedObjects { get; init; }
    /// <summary>
    /// Teachers ("t1", "t2") that score truncated objects although <see cref="ScoreTruncatedObjects"/> is off: chosen per
    /// teacher on the validation with the track smoothing (see <see cref="TeacherValidation.BestSmoothing"/>).
    /// </summary>
    public string[] TruncatedScoredBy { get; init; } = [];
    /// <summary>
    /// Statistics of each component over the normal objects touching the frame edge of the calibration clips. Objects
    /// entering or leaving the scene are a population of their own (on the held-out clips their z-scores under
    /// <see cref="Stats"/> reach 2-6 at the 90th percentile): a scored edge object's components are first mapped onto the
    /// other objects' scale (<see cref="TeacherModels.EdgeCalibrated"/>). Empty: no mapping.
    /// </summary>
    public Dictionary<string, ComponentStats> TruncatedStats { get; init; } = new();

    /// <summary>
    /// Statistics of each component over the windows cut from merged groups (<see cref="Detection.BackgroundSubtractionDetector.Split"/>)
    /// in the normal frames of all training clips: on normal frames such windows score higher than whole objects, and the
    /// calibration clips hold almost none. A group window's components are mapped onto the whole objects' scale like an
    /// edge object's. Empty (teachers up to v14): no mapping.
    /// </summary>
    public Dictionary<string, ComponentStats> GroupStats { get; init; } = new();

    /// <summary>
    /// Per component, its trend over the object's ln box height on normal held-out objects (<see cref="NuisanceCalibration"/>),
    /// removed from the raw value before anything else sees it (statistics, rules, edge and group mappings). Empty
    /// (teachers up to v22): components are used as the networks give them.
    /// </summary>
    public Dictionary<string, CovariateTrend> HeightTrends { get; init; } = new();
    /// <summary>Per component, its trend over the number of other detections overlapping the object's stack square
    /// (<see cref="NuisanceCalibration.NeighboursInStackSquare"/>), removed like <see cref="HeightTrends"/>. Empty: none.</summary>
    public Dictionary<string, CovariateTrend> NeighbourTrends { get; init; } = new();

    /// <summary>Whether <paramref name="teacher"/> scores objects whose box touches the frame edge.</summary>
    public bool ScoresTruncated(string teacher) => ScoreTruncatedObjects || TruncatedScoredBy.Contains(teacher);
    public const string SpedUpValidation = "sped-up", InContextValidation = "in-context";
    /// <summary>
    /// What the rules are chosen on: "sped-up" (the held-out clips against copies played faster; teachers up to v15) or
    /// "in-context" (against the same clips with one object at a time sped up 2x or turned upside down,
    /// <see cref="Data.InContextPseudoAnomalies"/>).
    /// </summary>
    public string Validation { get; init; } = SpedUpValidation;
    /// <summary>In-context validation: segments per held-out clip and pseudo-anomaly kind.</summary>
    public int InContextSegmentsPerClip { get; init; } = 6;
    /// <summary>In-context validation: objects are also altered while their box touches the frame edge (entering or
    /// leaving the scene). Off: only objects away from the edge, so the validation cannot reward scoring edge objects.</summary>
    public bool InContextEdgeObjects { get; init; }
    /// <summary>In-context validation: the pseudo-anomaly kinds (<see cref="Data.PseudoAnomalyKind"/>, lower case). Teachers
    /// before glide existed were validated on speed and flip.</summary>
    public string[] InContextKinds { get; init; } = ["speed", "flip"];
    /// <summary>Validation positives drop every n-th frame of the held-out clips (5: 1.25x speed).</summary>
    public int ValidationDropEvery { get; init; } = 5;
    /// <summary>Frame-level AUC of each candidate rule on the validation (<see cref="Validation"/>).</summary>
    public Dictionary<string, double> ValidationAuc { get; init; } = new();
    public int[] Resolutions { get; init; } = AnomalyMapCache.DefaultResolutions;
    /// <summary>
    /// T2 as a seed ensemble: folders (relative to these teachers', under <see cref="TeacherModels.T2MembersFolder"/>)
    /// of further T2 networks, each with its own weights and teachers.json (its own statistics and rule, from its own
    /// `select`). T2's object score is then the mean of this T2's and every member's object score, before the track
    /// smoothing of this config. Empty: T2 is one network (teachers up to v31).
    /// </summary>
    public string[] T2Members { get; init; } = [];
}

/// <summary>
/// A teacher's object score from its raw components. Scale "probability": mean of the components' anomaly evidences
/// on a probability scale (sigmoid of a classifier logit; normal CDF of an error's z-score over normal calibration
/// objects), as the papers average their tasks' outputs. Scale "z": normal CDF of the mean z-score.
/// </summary>
public sealed record ScoreRule(string Scale, string[] Components)
{
    public override string ToString() => $"{Scale}({string.Join("+", Components)})";
}

/// <summary>Raw per-object outputs of both teachers, before normalisation.</summary>
/// <remarks>MotionEnergy is no network output: the mean of the top <see cref="TeacherConfig.ErrorTopFraction"/> of the
/// object's flow magnitudes (pixels per 3 frames, past and future), the motion AE's own input measured directly. The
/// AE and classifier see the flow's shape; this keeps its size, which a fast object changes first. (Divided by the box
/// height, a perspective-free speed, it ranked far lower on the sped-up validation: 0.78 vs 0.94 alone.)
/// Speed is MotionEnergy divided by the expected person height at the box's bottom row (the detector's perspective
/// model, <see cref="Detection.PersonHeightModel"/>): body heights per 3 frames, so a far cyclist and a near walker are
/// no longer ranked by their distance to the camera (Ped2's person height grows about 7x from the far end to the near
/// one). A smooth function of the row, unlike the box's own height, which fragments and merged groups make noisy.
/// NaN when the detector has no perspective model.</remarks>
public sealed record RawComponents(float[] AppError, float[] MotionError, float[] AppLogit, float[] MotionLogit,
    float[] MotionEnergy, float[] Speed, float[] ArrowOfTime, float[] Irregularity, float[] MiddleError, float[] DistillationError);

/// <summary>
/// The two teachers' networks. T1 = appearance AE + motion AE + appearance and motion classifiers (normal vs
/// pseudo-abnormal); T2 = the multi-task 3D-conv network. Object score of a teacher: see <see cref="Scores"/>.
/// </summary>
public sealed class TeacherModels : IDisposable
{
    public const string ConfigFile = "teachers.json";
    public const string ManifestFile = "manifest.json";
    /// <summary>T1's components that need no perspective model (the default rule's, before any selection).</summary>
    public static readonly string[] T1ComponentsWithoutPerspective = ["app_error", "motion_error", "app_logit", "motion_logit", "motion_energy"];
    public static readonly string[] T1Components = [.. T1ComponentsWithoutPerspective, "speed"];
    /// <summary>Components that exist only with the detector's perspective model.</summary>
    public static readonly string[] PerspectiveComponents = ["speed"];
    /// <summary>T2's three proxy tasks of the multi-task network (every T2 has them).</summary>
    public static readonly string[] T2Components = ["arrow_of_time", "irregularity", "middle_error"];
    /// <summary>T2's fourth task, present when <see cref="TeacherConfig.T2Distillation"/> is on.</summary>
    public const string DistillationComponent = "distillation_error";
    public static readonly string[] WeightFiles = ["t1_app_ae.bin", "t1_motion_ae.bin", "t1_app_cls.bin", "t1_motion_cls.bin", "t2_multitask.bin"];
    public const string DistillationFile = "t2_distillation.bin";

    public ConvAutoEncoder AppAe { get; }
    public ConvAutoEncoder MotionAe { get; }
    public CropClassifier AppClassifier { get; }
    public CropClassifier MotionClassifier { get; }
    public MultiTaskNetwork MultiTask { get; }
    /// <summary>T2's distillation task; null when <see cref="TeacherConfig.T2Distillation"/> is off.</summary>
    public RandomTargetDistillation? Distillation { get; }
    public TeacherConfig Config { get; set; }

    /// <summary>T2's components in these teachers: its three tasks, and the distillation task's when it has one.</summary>
    public string[] T2ComponentsInUse => Distillation is null ? T2Components : [.. T2Components, DistillationComponent];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public TeacherModels(TeacherConfig config)
    {
        Vad.Torch.TorchRuntime.EnsureLoaded();
        Config = config;
        torch.manual_seed(config.Seed);
        AppAe = new ConvAutoEncoder("app_ae", 1, 4, sigmoidOutput: true);
        MotionAe = new ConvAutoEncoder("motion_ae", 2, 3, sigmoidOutput: false);
        AppClassifier = new CropClassifier("app_cls", 2);
        MotionClassifier = new CropClassifier("motion_cls", 4);
        MultiTask = new MultiTaskNetwork("t2", config.T2Width);
        // Built last, with its own seed: the other networks are initialised as before it existed.
        if (config.T2Distillation) Distillation = new RandomTargetDistillation("t2_distillation", config.Seed + 1);
    }

    private torch.nn.Module[] Modules => Distillation is null
        ? [AppAe, MotionAe, AppClassifier, MotionClassifier, MultiTask]
        : [AppAe, MotionAe, AppClassifier, MotionClassifier, MultiTask, Distillation];

    /// <summary>The weight file of each of <see cref="Modules"/>, in order.</summary>
    private string[] ModuleFiles => Distillation is null ? WeightFiles : [.. WeightFiles, DistillationFile];

    public void Eval() { foreach (var m in Modules) m.eval(); }

    /// <summary>Where a seed ensemble's further T2 networks live inside the teachers' folder.</summary>
    public const string T2MembersFolder = "t2_members";
    /// <summary>The further T2 networks of a seed ensemble (<see cref="TeacherConfig.T2Members"/>); empty for one T2.
    /// Only their T2 networks are loaded.</summary>
    public IReadOnlyList<TeacherModels> T2MemberModels { get; private set; } = [];

    /// <summary>Loads trained teachers that have no distillation task yet and gives T2 a fresh, untrained one
    /// (<see cref="TeacherConfig.T2Distillation"/> on); everything else is loaded as saved.</summary>
    public static TeacherModels LoadAddingDistillation(string dir, int epochs)
    {
        var saved = ReadConfig(dir);
        if (saved.T2Distillation) throw new InvalidOperationException($"the teachers in {dir} already have T2's distillation task");
        return Load(dir, saved with { T2Distillation = true, DistillationEpochs = epochs }, skip: DistillationFile);
    }

    public static TeacherConfig ReadConfig(string dir)
    {
        string cfgPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"no trained teachers in {dir} (missing {ConfigFile}); run `./vad teachers train` first");
        return JsonSerializer.Deserialize<TeacherConfig>(File.ReadAllText(cfgPath), Json) ?? throw new InvalidDataException($"{cfgPath}: empty");
    }

    public static TeacherModels Load(string dir) => Load(dir, ReadConfig(dir), skip: null);

    private static TeacherModels Load(string dir, TeacherConfig cfg, string? skip)
    {
        var m = new TeacherModels(cfg);
        var mods = m.Modules;
        var files = m.ModuleFiles;
        for (int k = 0; k < mods.Length; k++)
        {
            if (files[k] == skip) continue;
            string path = Path.Combine(dir, files[k]);
            if (!File.Exists(path)) throw new FileNotFoundException($"{dir}: {files[k]} missing ({ConfigFile} asks for it)");
            mods[k].load(path);
        }
        m.Eval();
        m.T2MemberModels = [.. cfg.T2Members.Select(member => LoadT2Member(dir, member, cfg))];
        return m;
    }

    /// <summary>One further T2 network of a seed ensemble, checked to build its crops as <paramref name="owner"/> does
    /// (the crops are cut once per object and shared).</summary>
    private static TeacherModels LoadT2Member(string dir, string member, TeacherConfig owner)
    {
        string path = Path.Combine(dir, member);
        var cfg = ReadConfig(path);
        if (cfg.T2Members.Length > 0) throw new InvalidDataException($"{path}: a T2 member has members of its own");
        if (CropMismatch(owner, cfg) is { } why) throw new InvalidDataException($"{path}: a T2 member of {dir} {why}");
        var m = new TeacherModels(cfg);
        foreach (var (module, file) in m.Modules.Zip(m.ModuleFiles).Where(p => p.Second.StartsWith("t2_", StringComparison.Ordinal)))
        {
            string f = Path.Combine(path, file);
            if (!File.Exists(f)) throw new FileNotFoundException($"{path}: {file} missing (T2 member of {dir})");
            module.load(f);
        }
        m.Eval();
        return m;
    }

    /// <summary>Why T2 networks configured as <paramref name="member"/> and <paramref name="owner"/> cannot share one
    /// crop per object (they cut their stacks differently); null when they can.</summary>
    public static string? CropMismatch(TeacherConfig owner, TeacherConfig member) =>
        member.StackMaskNeighbours == owner.StackMaskNeighbours && member.StackMinSide == owner.StackMinSide ? null
            : $"cuts T2's crops differently (mask neighbours {member.StackMaskNeighbours}, min side {member.StackMinSide}; the "
              + $"ensemble's own T2: {owner.StackMaskNeighbours}, {owner.StackMinSide}): the members of a seed ensemble share one crop per object";

    /// <summary>The files of a T2 network (its weights and config) that make it a member of a seed ensemble.</summary>
    public static string[] T2MemberFiles(string dir) =>
        [.. WeightFiles.Append(DistillationFile).Where(f => f.StartsWith("t2_", StringComparison.Ordinal)).Append(ConfigFile)
            .Where(f => File.Exists(Path.Combine(dir, f)))];

    /// <summary>Fails clearly where a command would change one network of a seed ensemble without the others.</summary>
    public static void RejectT2Ensemble(string dir, string command)
    {
        if (ReadConfig(dir).T2Members.Length > 0)
            throw new ArgumentException($"{dir} holds a T2 seed ensemble: `{command}` works on single teachers; run it on the members before joining them");
    }

    /// <summary>Loads T1's four networks from a trained model directory (T2 keeps its fresh weights).</summary>
    public void LoadT1(string dir)
    {
        var mods = Modules;
        for (int k = 0; k < 4; k++) mods[k].load(Path.Combine(dir, WeightFiles[k]));
        foreach (var m in mods.Take(4)) m.eval();
    }

    /// <summary>Every network's weights into <paramref name="dir"/> (a training checkpoint: no config, no manifest).</summary>
    public void SaveWeights(string dir)
    {
        foreach (var (module, file) in Modules.Zip(ModuleFiles)) module.save(Path.Combine(dir, file));
    }

    /// <summary>Every network's weights from a folder <see cref="SaveWeights"/> wrote.</summary>
    public void LoadWeights(string dir)
    {
        foreach (var (module, file) in Modules.Zip(ModuleFiles))
        {
            string path = Path.Combine(dir, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"{dir}: {file} missing");
            module.load(path);
        }
    }

    /// <summary>Saves weights, config and manifest; <paramref name="command"/> (default: the train command) records how
    /// they were made.</summary>
    public void Save(string dir, string dataset, string? command = null)
    {
        Directory.CreateDirectory(dir);
        SaveWeights(dir);
        File.WriteAllText(Path.Combine(dir, ConfigFile), JsonSerializer.Serialize(Config, Json));
        var files = ModuleFiles.Append(ConfigFile).Append(Detection.DetectorFactory.BackgroundFile).Append(Detection.DetectorFactory.PersonHeightFile)
            .Where(f => File.Exists(Path.Combine(dir, f)))
            .Concat(Config.T2Members.SelectMany(member => T2MemberFiles(Path.Combine(dir, member)).Select(f => Path.Combine(member, f))))
            .ToDictionary(f => f, f => AnomalyMapCache.Sha256OfFile(Path.Combine(dir, f)));
        var manifest = new Dictionary<string, object>
        {
            ["t1_sha256"] = WeightsHash(dir, "t1"),
            ["t2_sha256"] = WeightsHash(dir, "t2"),
            ["files_sha256"] = files,
            ["dataset"] = dataset,
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["command"] = command ?? "./vad teachers train --dataset " + dataset + " --out " + dir,
        };
        File.WriteAllText(Path.Combine(dir, ManifestFile), JsonSerializer.Serialize(manifest, Json));
    }

    /// <summary>The "command" recorded in a saved manifest, or null.</summary>
    public static string? SavedCommand(string dir) => SavedManifestString(dir, "command");

    /// <summary>A text field of a saved manifest ("command", "dataset"), or null.</summary>
    public static string? SavedManifestString(string dir, string field)
    {
        string p = Path.Combine(dir, ManifestFile);
        if (!File.Exists(p)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(p));
        return doc.RootElement.TryGetProperty(field, out var c) ? c.GetString() : null;
    }

    /// <summary>sha256 over a teacher's weight files, its config and the detector background (in that order).</summary>
    public static string WeightsHash(string dir, string teacher)
    {
        var names = WeightFiles.Append(DistillationFile).Where(f => f.StartsWith(teacher + "_", StringComparison.Ordinal))
            .Append(ConfigFile).Append(Detection.DetectorFactory.BackgroundFile).Append(Detection.DetectorFactory.PersonHeightFile);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var n in names)
        {
            string p = Path.Combine(dir, n);
            if (File.Exists(p)) sha.AppendData(File.ReadAllBytes(p));
        }
        if (teacher == "t2" && File.Exists(Path.Combine(dir, ConfigFile)))
            foreach (var member in ReadConfig(dir).T2Members)
                foreach (var f in T2MemberFiles(Path.Combine(dir, member))) sha.AppendData(File.ReadAllBytes(Path.Combine(dir, member, f)));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Per-sample mean of the top fraction of squared errors.</summary>
    public Tensor TopError(Tensor x, Tensor recon)
    {
        using var e = (x - recon).pow(2);
        return TopMean(e);
    }

    /// <summary>Per-sample mean of the top <see cref="TeacherConfig.ErrorTopFraction"/> of the values of [B, ...].</summary>
    public Tensor TopMean(Tensor v)
    {
        using var e = v.flatten(1);
        int k = Math.Max(1, (int)(e.shape[1] * Config.ErrorTopFraction));
        var (values, idx) = e.topk(k, dim: 1);
        using (idx) using (values) return values.mean(new long[] { 1 });
    }

    public static Tensor ClassifierInput(Tensor x, Tensor recon) => torch.cat(new[] { x, (x - recon).abs() }, 1);

    /// <summary>Stack [B, 7, S, S] -> the six neighbours [B, 6, S, S] and the middle [B, 1, S, S].</summary>
    public static (Tensor Neighbours, Tensor Middle) SplitStack(Tensor stack)
    {
        int mid = InputSizes.StackFrames / 2;
        var idx = torch.tensor(Enumerable.Range(0, InputSizes.StackFrames).Where(k => k != mid).Select(k => (long)k).ToArray());
        return (stack.index_select(1, idx), stack.narrow(1, mid, 1));
    }

    /// <summary>Raw components for a batch. app [B*64*64], motion [B*2*32*32], stack [B*7*32*32] (pixel/255);
    /// <paramref name="personHeights"/>: each object's expected person height in pixels (null: no speed).</summary>
    public RawComponents Raw(int count, float[] app, float[] motion, float[] stack, bool t1 = true, bool t2 = true, float[]? personHeights = null)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        float[] Arr(Tensor t) => t.to_type(ScalarType.Float32).data<float>().ToArray();
        float[] empty = [];
        float[] ae = empty, me = empty, al = empty, ml = empty, en = empty, sp = empty, aot = empty, mi = empty, mid = empty, dist = empty;
        if (t1)
        {
            var a = torch.tensor(app, new long[] { count, 1, InputSizes.Appearance, InputSizes.Appearance });
            var m = torch.tensor(motion, new long[] { count, 2, InputSizes.Motion, InputSizes.Motion });
            var ar = AppAe.forward(a);
            var mr = MotionAe.forward(m);
            ae = Arr(TopError(a, ar));
            me = Arr(TopError(m, mr));
            al = Arr(AppClassifier.forward(ClassifierInput(a, ar)));
            ml = Arr(MotionClassifier.forward(ClassifierInput(m, mr)));
            en = Arr(TopMean(m) * InputSizes.MotionScale);
            if (personHeights is not null)
            {
                if (personHeights.Length != count) throw new ArgumentException($"{personHeights.Length} person heights for {count} objects");
                sp = en.Select((e, i) => e / personHeights[i]).ToArray();
            }
        }
        if (t2)
        {
            var s = torch.tensor(stack, new long[] { count, InputSizes.StackFrames, InputSizes.Stack, InputSizes.Stack });
            var (aotL, miL) = MultiTask.forward(s.unsqueeze(1));
            aot = Arr(aotL);
            mi = Arr(miL);
            var (nb, middle) = SplitStack(s);
            var pred = MultiTask.PredictMiddle(nb);
            mid = Arr((pred - middle).abs().flatten(1).mean(new long[] { 1 }));
            if (Distillation is not null)
            {
                if (app.Length != count * InputSizes.Appearance * InputSizes.Appearance)
                    throw new ArgumentException($"T2's distillation task needs the appearance crops: {app.Length} values for {count} objects");
                dist = Arr(Distillation.forward(torch.tensor(app, new long[] { count, 1, InputSizes.Appearance, InputSizes.Appearance })));
            }
        }
        return new RawComponents(ae, me, al, ml, en, sp, aot, mi, mid, dist);
    }

    public static float[] Component(RawComponents r, string name) => name switch
    {
        "app_error" => r.AppError,
        "motion_error" => r.MotionError,
        "app_logit" => r.AppLogit,
        "motion_logit" => r.MotionLogit,
        "motion_energy" => r.MotionEnergy,
        "speed" => r.Speed,
        "arrow_of_time" => r.ArrowOfTime,
        "irregularity" => r.Irregularity,
        "middle_error" => r.MiddleError,
        DistillationComponent => r.DistillationError,
        _ => throw new ArgumentException(name),
    };

    /// <summary>Classifier-type components (logits): their evidence is the predicted probability of "abnormal".</summary>
    public static bool IsLogit(string component) => component is "app_logit" or "motion_logit" or "arrow_of_time" or "irregularity";

    public static readonly string[] AllComponents = [.. T1Components, .. T2Components, DistillationComponent];

    /// <summary>Per object: the raw components in <see cref="AllComponents"/> order (NaN when not computed).</summary>
    public static float[][] PerObject(RawComponents r, int count)
    {
        var result = new float[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = new float[AllComponents.Length];
            for (int c = 0; c < AllComponents.Length; c++)
            {
                var v = Component(r, AllComponents[c]);
                result[i][c] = v.Length > i ? v[i] : float.NaN;
            }
        }
        return result;
    }

    public double Evidence(string component, double v) =>
        IsLogit(component) ? 1.0 / (1.0 + Math.Exp(-v)) : NormalCdf(Config.Stats[component].Z(v));

    /// <summary>Object score in (0, 1) under a rule, from the raw components of one object (AllComponents order).</summary>
    public float Score(ScoreRule rule, float[] raw)
    {
        double acc = 0;
        foreach (var c in rule.Components)
        {
            double v = raw[Array.IndexOf(AllComponents, c)];
            acc += rule.Scale == "z" ? Config.Stats[c].Z(v) : Evidence(c, v);
        }
        acc /= rule.Components.Length;
        return (float)(rule.Scale == "z" ? NormalCdf(acc) : acc);
    }

    /// <summary>
    /// An edge object's raw components mapped onto the scale of the other objects: v' = mean + std * (v - mean_edge) /
    /// std_edge per component (<see cref="TeacherConfig.TruncatedStats"/>); unchanged where no edge statistics exist.
    /// </summary>
    public float[] EdgeCalibrated(float[] raw) => MappedFrom(raw, Config.TruncatedStats);

    /// <summary>The components an object is scored on: edge objects mapped by the edge statistics, windows cut from a
    /// merged group by the group statistics (<see cref="TeacherConfig.GroupStats"/>), other objects as they are.</summary>
    public float[] Calibrated(float[] raw, bool truncated, bool groupWindow) =>
        truncated ? EdgeCalibrated(raw) : groupWindow ? MappedFrom(raw, Config.GroupStats) : raw;

    private float[] MappedFrom(float[] raw, Dictionary<string, ComponentStats> population)
    {
        if (population.Count == 0) return raw;
        var result = (float[])raw.Clone();
        for (int c = 0; c < AllComponents.Length && c < raw.Length; c++)
            if (population.TryGetValue(AllComponents[c], out var own) && Config.Stats.TryGetValue(AllComponents[c], out var all))
                result[c] = (float)(all.Mean + all.Std * own.Z(raw[c]));
        return result;
    }

    /// <summary>The raw components of object <paramref name="k"/> among its frame's <paramref name="boxes"/> with the
    /// configured nuisance trends removed (<see cref="TeacherConfig.HeightTrends"/>, <see cref="TeacherConfig.NeighbourTrends"/>);
    /// the same array when there are none.</summary>
    public float[] NuisanceAdjusted(float[] raw, IReadOnlyList<OpenCvSharp.Rect> boxes, int k)
    {
        if (Config.HeightTrends.Count == 0 && Config.NeighbourTrends.Count == 0) return raw;
        var result = (float[])raw.Clone();
        foreach (var (trends, kind) in new[] { (Config.HeightTrends, NuisanceCovariate.LogHeight), (Config.NeighbourTrends, NuisanceCovariate.Neighbours) })
        {
            if (trends.Count == 0) continue;
            double x = NuisanceCalibration.Covariate(kind, boxes, k, Config.StackMinSide);
            foreach (var (name, trend) in trends)
            {
                int c = Array.IndexOf(AllComponents, name);
                if (c >= 0 && c < result.Length && !float.IsNaN(result[c])) result[c] = (float)trend.Adjust(result[c], x);
            }
        }
        return result;
    }

    public ScoreRule Rule(string teacher) => teacher == "t1" ? Config.T1Rule : Config.T2Rule;
    public TrackSmoothing Smoothing(string teacher) => teacher == "t1" ? Config.T1Smoothing : Config.T2Smoothing;

    /// <summary>Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| &lt; 1.5e-7).</summary>
    public static double NormalCdf(double z)
    {
        double x = Math.Abs(z) / Math.Sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }

    public void Dispose()
    {
        foreach (var m in Modules) m.Dispose();
        foreach (var member in T2MemberModels) member.Dispose();
    }
}
