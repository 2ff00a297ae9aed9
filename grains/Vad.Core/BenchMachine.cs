using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Vad.Core;

/// <summary>What every benchmark records next to its figures: the machine and the tools.</summary>
public static class BenchMachine
{
    /// <summary>The processor's model name from /proc/cpuinfo ("unknown" where there is none).</summary>
    public static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException) { return "unknown"; }
    }

    public static JsonObject Describe()
    {
        return new JsonObject
        {
            ["cpu"] = CpuModel(),
            ["cores"] = Environment.ProcessorCount,
            ["memory_gib"] = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0, 1),
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["host"] = Environment.MachineName,
            ["load_average"] = LoadAverage(),
        };
    }

    /// <summary>The 1-minute load average when the figures were taken: other work on the machine distorts them.</summary>
    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Trim(); }
        catch (IOException) { return "unknown"; }
    }

    /// <summary>The 1-minute figure of <see cref="LoadAverage"/>; null where it cannot be read.</summary>
    public static double? OneMinuteLoad() =>
        double.TryParse(LoadAverage().Split(' ')[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var load) ? load : null;

    public static string FfmpegVersion()
    {
        try
        {
            var psi = new ProcessStartInfo("ffmpeg", "-version") { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi);
            return p?.StandardOutput.ReadLine() ?? "unknown";
        }
        catch (System.ComponentModel.Win32Exception) { return "not installed"; }
    }

    public static string MarkdownTable(JsonObject result, JsonArray rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {result["benchmark"]} benchmark").AppendLine();
        sb.AppendLine($"- command: `{result["command"]}`");
        sb.AppendLine($"- date (UTC): {result["created_utc"]}");
        sb.AppendLine($"- machine: {result["machine"]?.ToJsonString()}");
        if (result["method"] is { } m) sb.AppendLine($"- method: {m}");
        sb.AppendLine();
        if (rows.Count == 0) return sb.ToString();
        var keys = ((JsonObject)rows[0]!).Select(kv => kv.Key).ToList();
        sb.AppendLine("| " + string.Join(" | ", keys) + " |");
        sb.AppendLine("|" + string.Concat(keys.Select(_ => "---|")));
        foreach (var row in rows.OfType<JsonObject>())
            sb.AppendLine("| " + string.Join(" | ", keys.Select(k => row[k]?.ToString() ?? "")) + " |");
        return sb.ToString();
    }
}
