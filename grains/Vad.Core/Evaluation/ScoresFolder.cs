using System.Globalization;
using System.Text;

namespace Vad.Core.Evaluation;

/// <summary>A scores folder or evaluation input that cannot be used; the message names the file or video.</summary>
public sealed class EvaluationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The scores format shared by every scorer: a folder with one <c>VIDEO.txt</c> per test video, one float per line
/// (invariant culture), line k = frame k. Trailing blank lines are ignored; any other non-number is an error.
/// </summary>
public static class ScoresFolder
{
    /// <summary>Reads every *.txt in <paramref name="folder"/> (keyed by file name without extension).</summary>
    public static IReadOnlyDictionary<string, double[]> Read(string folder)
    {
        if (!Directory.Exists(folder)) throw new EvaluationException($"{folder}: scores folder does not exist");
        var result = new SortedDictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(folder, "*.txt"))
            result[Path.GetFileNameWithoutExtension(file)] = ReadFile(file);
        if (result.Count == 0) throw new EvaluationException($"{folder}: no <video>.txt score files");
        return result;
    }

    /// <summary>Reads the scores of the named videos only; a missing file is an error naming the video.</summary>
    public static IReadOnlyDictionary<string, double[]> Read(string folder, IEnumerable<string> videos)
    {
        if (!Directory.Exists(folder)) throw new EvaluationException($"{folder}: scores folder does not exist");
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string video in videos)
        {
            string file = Path.Combine(folder, video + ".txt");
            if (!File.Exists(file)) throw new EvaluationException($"{file}: missing scores for test video '{video}'");
            result[video] = ReadFile(file);
        }
        return result;
    }

    public static double[] ReadFile(string file)
    {
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EvaluationException($"{file}: cannot read scores: {e.Message}", e);
        }
        int n = lines.Length;
        while (n > 0 && string.IsNullOrWhiteSpace(lines[n - 1])) n--;
        var scores = new double[n];
        for (int i = 0; i < n; i++)
        {
            string s = lines[i].Trim();
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw new EvaluationException($"{file}:{i + 1}: not a finite number: '{s}'");
            scores[i] = v;
        }
        return scores;
    }

    /// <summary>Writes one video's scores (round-trippable invariant-culture floats).</summary>
    public static void Write(string folder, string video, IEnumerable<double> scores)
    {
        Directory.CreateDirectory(folder);
        var sb = new StringBuilder();
        foreach (double s in scores)
        {
            if (!double.IsFinite(s)) throw new EvaluationException($"video '{video}': cannot write non-finite score {s}");
            sb.Append(s.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        File.WriteAllText(Path.Combine(folder, video + ".txt"), sb.ToString());
    }

    public static void Write(string folder, IReadOnlyDictionary<string, double[]> scores)
    {
        foreach (var (video, values) in scores) Write(folder, video, values);
    }
}
