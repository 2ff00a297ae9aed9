using Spectre.Console;
using Vad.Contracts;
using Vad.Core.Cli;
using Vad.Core.Frames;
using Vad.Silo;

namespace Vad.Client;

public static class Program
{
    private const string Usage = """
        usage: vad-client COMMAND [options]   (./vad ingest|cameras|alerts|watch|status|demo, ./vad bench cluster)
          ingest SOURCE --camera ID [--realtime|--max-speed] [--on-silo]
                                   stream a video file, frames folder or URL into a camera grain (--on-silo: the camera's
                                   silo reads the source itself, reconnecting with backoff)
          cameras [--json]         cameras with status and counters
          cameras CAMERA [--upper X] [--lower X] [--open-after K] [--sigma S] [--fps F] [--enable|--disable]
                  [--max-alerts N] [--retention-days D]
                                   show or change a camera's settings
          alerts CAMERA [--since T] [--json]
                                   a camera's alert log (T: ISO time or 30s, 10m, 2h, 1d)
          watch [--camera ID] [--seconds S]
                                   live alerts from the alert stream
          status [--json]          silos, roles, inference grains, model version
          demo [--model FILE.onnx] [--out DIR] [--clips 01,02]
                                   in-process silo; streams the Ped2 test clips, prints alerts and per-clip AUC, writes plots
          bench-cluster --cameras N [--json FILE] [--model FILE.onnx] [--max-batch B] [--max-delay-ms D] [--queue Q] [--rounds R] [--note TEXT]
                                   N cameras at full speed through a localhost cluster vs raw ONNX Runtime
          bench-swap [--cameras 32] [--fps 2] [--json FILE] [--model FILE.onnx] [--steady-seconds 10] [--after-seconds 5]
                                   rollout of another version while N cameras stream: swap time, frames lost, latency
        """ + ModelsCommands.Usage + "\n" + JobsCommands.Usage + "\n" + """
        Cluster connection: VAD_CLUSTERING, VAD_REDIS, VAD_SERVICE_ID, VAD_CLUSTER_ID, VAD_GATEWAY_PORT, VAD_TLS_* (CONFIG-CONTRACT).
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args.Skip(1).Any(x => x is "-h" or "--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }
        try
        {
            string[] flags = args[0] switch
            {
                "ingest" => ["realtime", "max-speed", "on-silo"],
                "cameras" => ["json", "enable", "disable"],
                "alerts" or "status" => ["json"],
                "models" => ModelsCommands.Flags,
                "jobs" => JobsCommands.Flags,
                _ => [],
            };
            var a = new CommandArgs(args.Skip(1), flags);
            return args[0] switch
            {
                "ingest" when a.Flag("on-silo") => await StartOnSiloAsync(a),
                "ingest" => await Commands.IngestAsync(a),
                "cameras" => await Commands.CamerasAsync(a),
                "alerts" => await Commands.AlertsAsync(a),
                "watch" => await Commands.WatchAsync(a),
                "status" => await Commands.StatusAsync(a),
                "demo" => await Demo.RunAsync(a),
                "bench-cluster" => await BenchCluster.RunAsync(a),
                "bench-swap" => await BenchSwap.RunAsync(a),
                "models" => await ModelsCommands.RunAsync(a),
                "jobs" => await JobsCommands.RunAsync(a),
                "make-motion-model" => MakeMotionModel(a),
                _ => throw new CommandArgsException($"unknown command '{args[0]}'"),
            };
        }
        catch (Exception e) when (e is CommandArgsException or VadConfigException or ClusterUnavailableException or UnknownCameraException
                                       or InvalidFrameException or NoInferenceException or FrameSourceException or Vad.Core.Datasets.DatasetException
                                       or FileNotFoundException or InvalidDataException or TimeoutException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return e is CommandArgsException ? 2 : 1;
        }
    }

    private static int MakeMotionModel(CommandArgs a)
    {
        int w = a.GetInt("width", 256), h = a.GetInt("height", 160);
        a.RejectUnknown();
        if (a.Positionals.Count != 1) throw new CommandArgsException("usage: make-motion-model OUT.onnx [--width W --height H]");
        var m = MotionEnergyModel.Write(a.Positionals[0], w, h);
        Console.WriteLine($"{a.Positionals[0]}: motion-energy baseline, version {m.Version}");
        return 0;
    }

    private static async Task<int> StartOnSiloAsync(CommandArgs a)
    {
        string camera = a.Require("camera");
        bool realtime = a.Flag("realtime");
        a.Flag("max-speed");
        a.RejectUnknown();
        if (a.Positionals.Count != 1) throw new CommandArgsException("usage: ingest SOURCE --camera ID --on-silo [--realtime]");
        await using var conn = await ClusterConnection.ConnectAsync(VadConfig.FromEnvironment());
        await conn.Client.GetGrain<ICameraGrain>(camera).StartSource(a.Positionals[0], realtime);
        AnsiConsole.MarkupLine($"camera [bold]{Markup.Escape(camera)}[/] now reads {Markup.Escape(a.Positionals[0])} on its silo; follow it with ./vad cameras");
        return 0;
    }
}
