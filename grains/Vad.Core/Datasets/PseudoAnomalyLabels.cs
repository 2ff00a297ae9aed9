namespace Vad.Core.Datasets;

/// <summary>
/// Per-frame labels of pseudo-anomaly clips in a derived dataset folder (<c>./vad teachers make-local</c>):
/// training/pseudo-labels/&lt;clip&gt;.txt, one line per frame: 1 altered, 0 as filmed, - context (not counted).
/// </summary>
public static class PseudoAnomalyLabels
{
    public const string Folder = "pseudo-labels";

    public static string PathFor(string datasetRoot, string clip) => Path.Combine(datasetRoot, "training", Folder, clip + ".txt");

    public static string Line(bool? abnormal) => abnormal switch { true => "1", false => "0", null => "-" };

    /// <summary>Reads a labels file; throws <see cref="DatasetException"/> naming the file on a bad line.</summary>
    public static int?[] Read(string path) =>
        [.. File.ReadAllLines(path).Select((l, i) => l.Trim() switch
        {
            "1" => 1,
            "0" => 0,
            "-" => (int?)null,
            var other => throw new DatasetException($"{path}:{i + 1}: '{other}' is not 1, 0 or -"),
        })];
}
