using System.Globalization;
using Spectre.Console;
using Vad.Core.Cli;
using Vad.Core.Datasets;
using Vad.Core.Evaluation;

namespace Vad.Cli;

/// <summary>
/// `./vad eval --dataset DIR --scores DIR [--sigma S] [--minmax] [--json FILE] [--plots DIR] [--split test]`:
/// frame-level micro/macro AUC of a scores folder against a dataset's test labels.
/// </summary>
public static class EvalCommand
{
    public const string Usage =
        "usage: vad eval --dataset DIR --scores DIR [--sigma S] [--minmax] [--json FILE] [--plots DIR|--no-plots] [--split test]\n" +
        "  --dataset  a dataset root (UCSD frames, Avenue, ShanghaiTech or generic layout)\n" +
        "  --scores   a folder with one <video>.txt per test video, one float per line\n" +
        "  --sigma    temporal Gaussian smoothing in frames (default 0 = none)\n" +
        "  --minmax   per-video min-max normalisation (after smoothing)\n" +
        "  --json     write the result as JSON\n" +
        "  --plots    write one PNG per video (default: <scores>/plots when writable and outside the dataset,\n" +
        "             otherwise <json>-plots next to the JSON, otherwise none)";

    public static int Run(string[] args)
    {
        try
        {
            var a = new CommandArgs(args, "minmax", "no-plots", "help");
            if (a.Flag("help"))
            {
                Console.WriteLine(Usage);
                return 0;
            }
            string dataset = a.Require("dataset");
            string scores = a.Require("scores");
            double sigma = a.GetDouble("sigma", 0);
            bool minmax = a.Flag("minmax");
            string? json = a.Get("json");
            string? plots = a.Get("plots");
            bool noPlots = a.Flag("no-plots");
            string split = a.GetOr("split", "test");
            a.RejectUnknown();
            if (a.Positionals.Count > 0) throw new CommandArgsException($"unexpected argument '{a.Positionals[0]}'");
            if (split != "test") throw new CommandArgsException($"--split {split}: only the test split has labels");
            if (!double.IsFinite(sigma) || sigma < 0) throw new CommandArgsException($"--sigma must be >= 0, got {sigma.ToString(CultureInfo.InvariantCulture)}");

            var data = VideoDataset.Open(dataset);
            var result = FrameLevelEvaluator.Evaluate(data, scores, new EvalOptions { Sigma = sigma, MinMax = minmax });

            AnsiConsole.MarkupLine($"dataset [bold]{Markup.Escape(data.Name)}[/] ({data.Layout}, {data.Test.Count} test videos, labels from {Markup.Escape(data.LabelsSource)})");
            EvalReport.WriteTable(result);

            if (json is not null)
            {
                result.WriteJson(json);
                AnsiConsole.MarkupLine($"wrote {Markup.Escape(Path.GetFullPath(json))}");
            }

            string? note = null;
            string? plotDir = noPlots ? null : plots ?? DefaultPlotFolder(scores, data.Root, json, out note);
            if (note is not null)
                AnsiConsole.MarkupLine(plotDir is null
                    ? $"[grey]plots skipped: {note}; give --plots DIR or --json FILE[/]"
                    : $"[grey]plots go next to the JSON: {note}[/]");
            if (plotDir is not null)
            {
                var files = EvalReport.WritePlots(result, plotDir);
                AnsiConsole.MarkupLine($"wrote {files.Count} plot(s) to {Markup.Escape(Path.GetFullPath(plotDir))}");
            }
            return 0;
        }
        catch (Exception e) when (e is CommandArgsException or DatasetException or EvaluationException)
        {
            Console.Error.WriteLine($"vad eval: {e.Message}{(e is CommandArgsException ? " (see ./vad eval --help)" : "")}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"vad eval: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Plots go to SCORES/plots only when that folder is writable (by its permission bits, which root would otherwise
    /// ignore) and not inside the dataset; else next to the JSON (JSONNAME-plots/); else nowhere.
    /// </summary>
    public static string? DefaultPlotFolder(string scores, string datasetRoot, string? json, out string? note)
    {
        note = null;
        string scoresFull = Path.GetFullPath(scores);
        string rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(datasetRoot)) + Path.DirectorySeparatorChar;
        bool insideDataset = (scoresFull + Path.DirectorySeparatorChar).StartsWith(rootFull, StringComparison.Ordinal);
        if (!insideDataset && IsWritable(scoresFull)) return Path.Combine(scoresFull, "plots");
        note = insideDataset ? "scores folder is inside the dataset" : "scores folder is not writable";
        if (json is null) return null;
        string jsonFull = Path.GetFullPath(json);
        return Path.Combine(Path.GetDirectoryName(jsonFull)!, Path.GetFileNameWithoutExtension(jsonFull) + "-plots");
    }

    private static bool IsWritable(string dir)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(dir);
            if ((mode & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0) return false;
        }
        string probe = Path.Combine(dir, $".vad-write-probe-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
