using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using Vad.Contracts;
using Vad.Core.Cli;
using Vad.Core.Models;
using Vad.Grains;
using Vad.Registry;
using Vad.Silo;

namespace Vad.Client;

/// <summary><c>./vad models list|show|upload|rollout|promote|rollback|pin|status|audit</c>: the registry and the rollout grain.</summary>
public static class ModelsCommands
{
    public const string Usage = """
          models list [--json]     registered versions (registry: VAD_REGISTRY folder or redis; default runs/registry)
          models show VERSION [--json]
                                   a version's manifest (VERSION: the sha256 or a unique prefix)
          models upload FILE.onnx [--no-golden]
                                   register FILE.onnx + FILE.json; records the golden score (checked by every rollout)
          models rollout VERSION [--canary P] [--watch S] [--wait]
                                   every inference grain preloads + validates it, P% of cameras (hash) move to it; after S s
                                   of healthy canary it is promoted, else rolled back (--canary 100: at once)
          models promote [--reason TEXT] | models rollback [--reason TEXT]
          models pin CAMERA VERSION | models pin CAMERA --unpin
          models status [--json] | models audit [--max N] [--json]
        """;

    public static readonly string[] Flags = ["json", "no-golden", "wait", "unpin"];

    public static async Task<int> RunAsync(CommandArgs a)
    {
        if (a.Positionals.Count == 0) throw new CommandArgsException("usage: models list|show|upload|rollout|promote|rollback|pin|status|audit");
        string sub = a.Positionals[0];
        var rest = a.Positionals.Skip(1).ToList();
        try
        {
            return sub switch
            {
                "list" => await ListAsync(a),
                "show" => await ShowAsync(a, rest),
                "upload" => await UploadAsync(a, rest),
                "rollout" => await RolloutAsync(a, rest),
                "promote" => await WithRollout(a, g => g.Promote(a.GetOr("reason", "manual promote"))),
                "rollback" => await WithRollout(a, g => g.Rollback(a.GetOr("reason", "manual rollback"))),
                "pin" => await PinAsync(a, rest),
                "status" => await WithRollout(a, g => g.GetStatus()),
                "audit" => await AuditAsync(a),
                _ => throw new CommandArgsException($"unknown models command '{sub}'"),
            };
        }
        catch (Exception e) when (e is ModelRegistryException or ModelRejectedException or InvalidOperationException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }

    private static string Short(string? v) => string.IsNullOrEmpty(v) ? "-" : v[..Math.Min(12, v.Length)];

    private static async Task<int> ListAsync(CommandArgs a)
    {
        bool json = a.Flag("json");
        a.RejectUnknown();
        var list = await ModelRegistryFactory.FromEnvironment().ListAsync();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(list, Commands.Json));
            return 0;
        }
        var t = new Table().AddColumns("version", "size", "registered (UTC)", "input", "profile", "golden", "serving");
        foreach (var v in list)
            t.AddRow(Short(v.Version), $"{v.SizeBytes / 1024.0 / 1024.0:0.00} MB", v.RegisteredUtc.ToString("yyyy-MM-dd HH:mm:ss"),
                $"{v.Manifest.InputWidth}x{v.Manifest.InputHeight}x{v.Manifest.Channels}", Markup.Escape(v.Manifest.Profile),
                v.Manifest.GoldenScore?.ToString("G6") ?? "-", v.Serving ? "[green]yes[/]" : "");
        AnsiConsole.Write(t);
        return 0;
    }

    private static async Task<int> ShowAsync(CommandArgs a, List<string> rest)
    {
        a.Flag("json");
        a.RejectUnknown();
        if (rest.Count != 1) throw new CommandArgsException("usage: models show VERSION");
        var registry = ModelRegistryFactory.FromEnvironment();
        var info = await registry.FindAsync(await registry.ResolveAsync(rest[0])) ?? throw new ModelNotFoundException(rest[0]);
        Console.WriteLine(JsonSerializer.Serialize(new { info.Version, info.SizeBytes, info.RegisteredUtc, info.Serving, manifest = info.Manifest }, StudentManifest.JsonOptions));
        return 0;
    }

    private static async Task<int> UploadAsync(CommandArgs a, List<string> rest)
    {
        bool noGolden = a.Flag("no-golden");
        a.RejectUnknown();
        if (rest.Count != 1) throw new CommandArgsException("usage: models upload FILE.onnx [--no-golden]");
        string path = rest[0];
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such ONNX file", path);
        string manifestPath = StudentManifest.PathFor(path);
        if (!File.Exists(manifestPath)) throw new ModelRegistryException($"{path}: its manifest {manifestPath} is missing");
        var manifest = StudentManifest.Load(manifestPath);
        if (!noGolden && manifest.GoldenScore is null)
        {
            // Loading it here also checks the graph against the student contract before it enters the registry.
            using var runner = ModelRunner.Load(path, null, 1, 0, NullLogger.Instance);
            manifest = manifest with { GoldenScore = ModelValidation.GoldenScore(runner) };
        }
        var info = await ModelRegistryFactory.FromEnvironment().RegisterAsync(await File.ReadAllBytesAsync(path), manifest);
        AnsiConsole.MarkupLine($"registered [bold]{info.Version}[/] ({info.SizeBytes / 1024.0 / 1024.0:0.00} MB, golden score {info.Manifest.GoldenScore?.ToString("G6") ?? "none"})");
        return 0;
    }

    private static async Task<int> RolloutAsync(CommandArgs a, List<string> rest)
    {
        int canary = a.GetInt("canary", 10);
        double watch = a.GetDouble("watch", 60);
        bool wait = a.Flag("wait");
        bool json = a.Flag("json");
        a.RejectUnknown();
        if (rest.Count != 1) throw new CommandArgsException("usage: models rollout VERSION [--canary P] [--watch S] [--wait]");
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var grain = conn.Client.GetGrain<IRolloutGrain>(0);
        var status = await grain.Rollout(rest[0], canary, new RolloutPolicy { WatchSeconds = watch });
        while (wait && status.Phase == RolloutPhase.Canary)
        {
            await Task.Delay(1000);
            status = await grain.GetStatus();
        }
        Write(status, json);
        return 0;
    }

    private static async Task<int> PinAsync(CommandArgs a, List<string> rest)
    {
        bool unpin = a.Flag("unpin");
        bool json = a.Flag("json");
        a.RejectUnknown();
        if (rest.Count != (unpin ? 1 : 2)) throw new CommandArgsException("usage: models pin CAMERA VERSION | models pin CAMERA --unpin");
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        Write(await conn.Client.GetGrain<IRolloutGrain>(0).Pin(rest[0], unpin ? null : rest[1]), json);
        return 0;
    }

    private static async Task<int> WithRollout(CommandArgs a, Func<IRolloutGrain, Task<RolloutStatus>> action)
    {
        bool json = a.Flag("json");
        a.GetOr("reason", "");
        a.RejectUnknown();
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        Write(await action(conn.Client.GetGrain<IRolloutGrain>(0)), json);
        return 0;
    }

    private static async Task<int> AuditAsync(CommandArgs a)
    {
        bool json = a.Flag("json");
        int max = a.GetInt("max", 50);
        a.RejectUnknown();
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        var audit = await conn.Client.GetGrain<IRolloutGrain>(0).GetAudit(max);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(audit, Commands.Json));
            return 0;
        }
        var t = new Table().AddColumns("time (UTC)", "action", "version", "ok", "detail");
        foreach (var e in audit)
            t.AddRow(e.Utc.ToString("yyyy-MM-dd HH:mm:ss"), e.Action, Short(e.Version), e.Ok ? "yes" : "[red]no[/]", Markup.Escape(e.Detail));
        AnsiConsole.Write(t);
        return 0;
    }

    private static void Write(RolloutStatus s, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(s, Commands.Json));
            return;
        }
        AnsiConsole.MarkupLine($"phase [bold]{s.Phase}[/]: stable {Short(s.Plan.Stable)}, candidate {Short(s.Plan.Candidate)} ({s.Plan.CanaryPercent}%), previous {Short(s.Previous)}, plan epoch {s.Plan.Epoch}"
            + (s.WatchUntilUtc is DateTime w ? $", watching until {w:HH:mm:ss} UTC" : ""));
        if (s.LastDecision is not null) AnsiConsole.MarkupLine($"last decision: {Markup.Escape(s.LastDecision)}");
        foreach (var (camera, v) in s.Plan.Pins) AnsiConsole.MarkupLine($"pinned: {Markup.Escape(camera)} -> {Short(v)}");
        var t = new Table().AddColumns("inference grain", "serving", "loaded", "frames by version");
        foreach (var g in s.Grains)
            t.AddRow(Markup.Escape(g.Key), Short(g.Serving), string.Join(", ", g.Loaded.Select(m => Short(m.Version))),
                string.Join(", ", g.Health.Select(h => $"{Short(h.Version)}: {h.Frames}")));
        AnsiConsole.Write(t);
    }
}
