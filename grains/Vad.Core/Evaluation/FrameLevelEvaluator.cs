using System.Text.Json;
using System.Text.Json.Serialization;
using Vad.Core.Datasets;

namespace Vad.Core.Evaluation;

/// <summary>Post-processing applied to each video's scores before the AUC: Gaussian smoothing first, then min-max.</summary>
public sealed record EvalOptions
{
    /// <summary>Temporal Gaussian sigma in frames; 0 = no smoothing.</summary>
    public double Sigma { get; init; }
    /// <summary>Per-video min-max normalisation to [0, 1] (after smoothing).</summary>
    public bool MinMax { get; init; }
}

public sealed class VideoEvalResult
{
    public required string Video { get; init; }
    public required int Frames { get; init; }
    public required int Abnormal { get; init; }
    /// <summary>This video's AUC; null when it holds one class only.</summary>
    public double? Auc { get; init; }
    /// <summary>Why the video is left out of the macro mean (null when it is included).</summary>
    public string? ExcludedReason { get; init; }
    /// <summary>The scores after smoothing / min-max, as evaluated.</summary>
    [JsonIgnore] public double[] Scores { get; init; } = [];
    [JsonIgnore] public int[] Labels { get; init; } = [];
}

/// <summary>Frame-level evaluation result; serialises to the JSON that `./vad eval --json` writes.</summary>
public sealed class EvalResult
{
    /// <summary>AUC over all test frames of all videos concatenated (after per-video post-processing).</summary>
    public double? MicroAuc { get; init; }
    /// <summary>Mean of the per-video AUCs over the videos that hold both classes (see <see cref="MacroRule"/>).</summary>
    public double? MacroAuc { get; init; }
    public double Sigma { get; init; }
    public bool Minmax { get; init; }
    public required string Dataset { get; init; }
    public required string Scores { get; init; }
    public int Frames { get; init; }
    public int AbnormalFrames { get; init; }
    public string MacroRule => FrameLevelEvaluator.MacroRule;
    public required IReadOnlyList<string> MacroExcluded { get; init; }
    public required IReadOnlyList<VideoEvalResult> PerVideo { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void WriteJson(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToJson() + "\n");
    }
}

/// <summary>The frame-level evaluation protocol (micro and macro ROC AUC).</summary>
public static class FrameLevelEvaluator
{
    /// <summary>The rule for single-class videos, written into every result.</summary>
    public const string MacroRule =
        "macro_auc is the mean of per-video AUCs over videos holding both normal and abnormal frames; a video whose " +
        "frames are all abnormal or all normal has an undefined AUC (null) and is excluded from the macro mean " +
        "(listed in macro_excluded); micro_auc always uses every frame";

    /// <summary>Evaluates a scores folder against a dataset's test labels.</summary>
    public static EvalResult Evaluate(VideoDataset dataset, string scoresFolder, EvalOptions? options = null)
    {
        var missing = dataset.Test.Where(v => v.Labels is null).Select(v => v.Name).ToList();
        if (missing.Count > 0) throw new EvaluationException($"{dataset.Root}: test videos without labels: {string.Join(", ", missing)}");
        var scores = ScoresFolder.Read(scoresFolder, dataset.Test.Select(v => v.Name));
        var names = dataset.Test.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var extra = Directory.GetFiles(scoresFolder, "*.txt").Select(Path.GetFileNameWithoutExtension).Where(n => !names.Contains(n!)).ToList();
        var warnings = extra.Count > 0
            ? new[] { $"ignored {extra.Count} score file(s) that match no test video: {string.Join(", ", extra.Take(10))}{(extra.Count > 10 ? ", ..." : "")}" }
            : Array.Empty<string>();
        var result = Evaluate(dataset.Test.Select(v => (v.Name, v.Labels!)).ToList(), scores, options, dataset.Root, Path.GetFullPath(scoresFolder));
        return new EvalResult
        {
            MicroAuc = result.MicroAuc, MacroAuc = result.MacroAuc, Sigma = result.Sigma, Minmax = result.Minmax,
            Dataset = result.Dataset, Scores = result.Scores, Frames = result.Frames, AbnormalFrames = result.AbnormalFrames,
            MacroExcluded = result.MacroExcluded, PerVideo = result.PerVideo, Warnings = warnings, CreatedUtc = result.CreatedUtc,
        };
    }

    /// <summary>Evaluates per-video scores against per-video labels (same order as <paramref name="videos"/>).</summary>
    public static EvalResult Evaluate(IReadOnlyList<(string Name, int[] Labels)> videos, IReadOnlyDictionary<string, double[]> scores,
        EvalOptions? options = null, string dataset = "", string scoresSource = "")
    {
        options ??= new EvalOptions();
        if (double.IsNaN(options.Sigma) || options.Sigma < 0 || double.IsInfinity(options.Sigma))
            throw new EvaluationException($"sigma must be a finite number >= 0, got {options.Sigma}");
        if (videos.Count == 0) throw new EvaluationException("no test videos to evaluate");

        var perVideo = new List<VideoEvalResult>();
        var allScores = new List<double>();
        var allLabels = new List<int>();
        foreach (var (name, labels) in videos)
        {
            if (!scores.TryGetValue(name, out var raw))
                throw new EvaluationException($"missing scores for test video '{name}' ({scoresSource})");
            if (raw.Length != labels.Length)
                throw new EvaluationException($"video '{name}': {raw.Length} scores but {labels.Length} labelled frames ({scoresSource})");
            foreach (double s in raw)
                if (!double.IsFinite(s)) throw new EvaluationException($"video '{name}': non-finite score {s}");
            double[] processed = ScoreTransforms.GaussianSmooth(raw, options.Sigma);
            if (options.MinMax) processed = ScoreTransforms.MinMax(processed);

            int abnormal = labels.Count(l => l != 0);
            double? auc = FrameAuc.Compute(processed, labels);
            string? reason = auc is null
                ? abnormal == labels.Length
                    ? $"all {labels.Length} frames abnormal: AUC undefined"
                    : $"all {labels.Length} frames normal: AUC undefined"
                : null;
            perVideo.Add(new VideoEvalResult
            {
                Video = name, Frames = labels.Length, Abnormal = abnormal, Auc = auc, ExcludedReason = reason,
                Scores = processed, Labels = labels,
            });
            allScores.AddRange(processed);
            allLabels.AddRange(labels);
        }
        var included = perVideo.Where(v => v.Auc is not null).ToList();
        return new EvalResult
        {
            MicroAuc = FrameAuc.Compute(allScores, allLabels),
            MacroAuc = included.Count > 0 ? included.Average(v => v.Auc!.Value) : null,
            Sigma = options.Sigma,
            Minmax = options.MinMax,
            Dataset = dataset,
            Scores = scoresSource,
            Frames = allLabels.Count,
            AbnormalFrames = allLabels.Count(l => l != 0),
            MacroExcluded = perVideo.Where(v => v.Auc is null).Select(v => v.Video).ToList(),
            PerVideo = perVideo,
        };
    }
}
