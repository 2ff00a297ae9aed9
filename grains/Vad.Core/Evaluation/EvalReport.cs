using System.Globalization;
using ScottPlot;
using Spectre.Console;

namespace Vad.Core.Evaluation;

/// <summary>Readable outputs of an <see cref="EvalResult"/>: a console table and one PNG per video.</summary>
public static class EvalReport
{
    private static string F(double? v) => v is null ? "n/a" : v.Value.ToString("0.0000", CultureInfo.InvariantCulture);

    public static Table BuildTable(EvalResult result)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"frame-level AUC  (sigma {result.Sigma.ToString(CultureInfo.InvariantCulture)}, min-max {(result.Minmax ? "on" : "off")})");
        table.AddColumn("video");
        table.AddColumn(new TableColumn("frames").RightAligned());
        table.AddColumn(new TableColumn("abnormal").RightAligned());
        table.AddColumn(new TableColumn("AUC").RightAligned());
        table.AddColumn("note");
        foreach (var v in result.PerVideo)
            table.AddRow(Markup.Escape(v.Video), v.Frames.ToString(CultureInfo.InvariantCulture), v.Abnormal.ToString(CultureInfo.InvariantCulture),
                F(v.Auc), Markup.Escape(v.ExcludedReason is null ? "" : "excluded from macro: " + v.ExcludedReason));
        table.AddEmptyRow();
        table.AddRow("[bold]micro[/]", result.Frames.ToString(CultureInfo.InvariantCulture), result.AbnormalFrames.ToString(CultureInfo.InvariantCulture),
            $"[bold]{F(result.MicroAuc)}[/]", "all frames concatenated");
        int included = result.PerVideo.Count - result.MacroExcluded.Count;
        table.AddRow("[bold]macro[/]", "", "", $"[bold]{F(result.MacroAuc)}[/]",
            Markup.Escape($"mean of {included} per-video AUCs" + (result.MacroExcluded.Count > 0 ? $"; excluded (single class): {string.Join(", ", result.MacroExcluded)}" : "")));
        return table;
    }

    public static void WriteTable(EvalResult result, IAnsiConsole? console = null)
    {
        console ??= AnsiConsole.Console;
        console.Write(BuildTable(result));
        foreach (string w in result.Warnings) console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(w)}");
    }

    /// <summary>Writes <c>VIDEO.png</c> per video into <paramref name="folder"/>: the evaluated score per frame,
    /// abnormal ground-truth ranges shaded. Returns the files written.</summary>
    public static IReadOnlyList<string> WritePlots(EvalResult result, string folder, int width = 1000, int height = 320)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var v in result.PerVideo)
        {
            var plot = new Plot();
            UseSystemFont(plot);
            bool first = true;
            foreach (var (start, end) in AbnormalRanges(v.Labels))
            {
                var span = plot.Add.HorizontalSpan(start - 0.5, end + 0.5);
                if (first) span.LegendText = "abnormal (ground truth)";
                first = false;
                span.FillStyle.Color = Colors.Red.WithAlpha(0.18);
                span.LineStyle.Width = 0;
            }
            var xs = Enumerable.Range(0, v.Scores.Length).Select(i => (double)i).ToArray();
            var line = plot.Add.ScatterLine(xs, v.Scores);
            line.Color = Colors.Navy;
            line.LineWidth = 1.5f;
            line.LegendText = "score";
            plot.Title($"{v.Video}: AUC {F(v.Auc)}{(v.ExcludedReason is null ? "" : " (" + v.ExcludedReason + ")")}");
            plot.XLabel("frame");
            plot.YLabel("anomaly score");
            if (v.Scores.Length > 0) plot.Axes.SetLimitsX(0, Math.Max(1, v.Scores.Length - 1));
            string path = Path.Combine(folder, v.Video + ".png");
            plot.SavePng(path, width, height);
            written.Add(path);
        }
        return written;
    }

    /// <summary>
    /// SkiaSharp's NoDependencies native build has no fontconfig, so system font names resolve to an empty typeface
    /// and every label renders blank. Register a TrueType file from the usual font folders instead.
    /// </summary>
    /// <summary>Makes a ScottPlot plot render its text with a font file found on this machine (see <see cref="PlotFont"/>);
    /// returns false when no TrueType font was found (labels then stay blank).</summary>
    public static bool UseSystemFont(Plot plot)
    {
        if (PlotFont.Value is not { } font) return false;
        plot.Font.Set(font);
        return true;
    }

    private static readonly Lazy<string?> PlotFont = new(() =>
    {
        string[] preferred = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf", "FreeSans.ttf", "Arial.ttf"];
        var roots = new[] { "/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", @"C:\Windows\Fonts" }.Where(Directory.Exists).ToList();
        List<string> files;
        try { files = roots.SelectMany(r => Directory.EnumerateFiles(r, "*.ttf", SearchOption.AllDirectories)).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        string? file = preferred.Select(p => files.FirstOrDefault(f => Path.GetFileName(f).Equals(p, StringComparison.OrdinalIgnoreCase))).FirstOrDefault(f => f is not null)
            ?? files.FirstOrDefault();
        if (file is null) return null;
        const string name = "VadPlotFont";
        Fonts.AddFontFile(name, file);
        return name;
    });

    /// <summary>Maximal runs of abnormal frames as inclusive 0-based (start, end) pairs.</summary>
    public static IEnumerable<(int Start, int End)> AbnormalRanges(IReadOnlyList<int> labels)
    {
        int i = 0;
        while (i < labels.Count)
        {
            if (labels[i] == 0) { i++; continue; }
            int start = i;
            while (i + 1 < labels.Count && labels[i + 1] != 0) i++;
            yield return (start, i);
            i++;
        }
    }
}
