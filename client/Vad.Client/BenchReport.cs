using System.Text;
using System.Text.Json;
using Spectre.Console;
using Vad.Core;

namespace Vad.Client;

/// <summary>
/// A cluster benchmark's outputs: the JSON result, the same metrics as a console table and as a markdown table next to
/// the JSON (same name, .md) headed by the machine and date.
/// </summary>
internal sealed class BenchReport(string title)
{
    private readonly List<(string Metric, string Value)> rows = new();
    private readonly List<string> notes = new();

    public BenchReport Row(string metric, string value) { rows.Add((metric, value)); return this; }

    /// <summary>A line under the markdown heading (command, model, notes).</summary>
    public BenchReport Note(string? line) { if (line is not null) notes.Add(line); return this; }

    public void Write(string jsonPath, object result)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(jsonPath, JsonSerializer.Serialize(result, Commands.Json) + "\n");
        var table = new Table().Title(title).AddColumns("metric", "value");
        foreach (var (m, v) in rows) table.AddRow(Markup.Escape(m), Markup.Escape(v));
        AnsiConsole.Write(table);
        var md = new StringBuilder();
        md.AppendLine($"# {title} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {BenchMachine.CpuModel()})");
        foreach (var n in notes) md.AppendLine(n);
        md.AppendLine();
        md.AppendLine("| metric | value |\n|---|---|");
        foreach (var (m, v) in rows) md.AppendLine($"| {m} | {v} |");
        string mdPath = Path.ChangeExtension(jsonPath, ".md");
        File.WriteAllText(mdPath, md.ToString());
        AnsiConsole.MarkupLine($"wrote {Markup.Escape(jsonPath)} and {Markup.Escape(mdPath)}");
    }
}
