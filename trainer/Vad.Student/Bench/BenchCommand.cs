using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Spectre.Console;
using TorchSharp;
using Vad.Core.Cli;
using Vad.Student.Model;
using Vad.Student.Onnx;
using static TorchSharp.torch;
using Vad.Core;

namespace Vad.Student.Bench;

/// <summary><c>./vad bench student --json FILE</c>: the student's speed against the teachers and the machine's GEMM peak.</summary>
public static class BenchCommand
{
    public const string Usage = """
        usage: ./vad bench student [--json FILE] [--model models/ped2/student.onnx] [--teachers-json FILE | --no-teachers-run] [--seconds S] [--threads N]
                                 [--write-onnx DIR]   (also writes the benchmarked profile graphs, e.g. for the GPU timing script)
          ONNX Runtime frames/s at batch 1, 8, 32 for each profile (random weights, same graph as a trained model), the
          shipped model at batch 32, TorchSharp forward at batch 8, GFLOPs per frame counted on the exported graph, a 2048^3
          float32 MatMul through ONNX Runtime (peak), and the teachers' frames/s: their bench run in the same run (when built),
          else read from --teachers-json or bench/results/teachers*.json.
        """;

    public static int Run(string[] argv)
    {
        var args = new CommandArgs(argv, "help", "no-teachers-run");
        if (args.Flag("help")) { Console.WriteLine(Usage); return 0; }
        string jsonPath = args.Get("json") ?? RepoPaths.Resolve(Path.Combine("bench", "results", "student", "bench.json"));
        string modelPath = args.Get("model") ?? RepoPaths.Resolve(Path.Combine("models", "ped2", "student.onnx"));
        string? teachersJson = args.Get("teachers-json");
        bool runTeachers = !args.Flag("no-teachers-run");
        double seconds = args.GetDouble("seconds", 3);
        int threads = args.GetInt("threads", 0);
        string? writeOnnx = args.Get("write-onnx");
        args.RejectUnknown();
        Vad.Torch.TorchRuntime.EnsureLoaded();
        // libtorch's OpenMP threads spin badly when the cores are shared: the same count as ONNX Runtime gets.
        if (threads > 0) set_num_threads(threads);
        var sw = Stopwatch.StartNew();

        var root = new JsonObject
        {
            ["command"] = "./vad bench student " + string.Join(' ', argv),
            ["date_utc"] = DateTime.UtcNow.ToString("O"),
            ["machine"] = Machine(),
            ["onnxruntime_threads"] = threads > 0 ? threads : Environment.ProcessorCount,
            ["note"] = LoadNote(),
        };
        var profiles = new JsonObject();
        string shippedProfile = "cpu";
        if (File.Exists(Vad.Core.Models.StudentManifest.PathFor(modelPath)))
            shippedProfile = Vad.Core.Models.StudentManifest.Load(Vad.Core.Models.StudentManifest.PathFor(modelPath)).Profile;
        double shippedGflops = 0;
        foreach (var profile in new[] { "cpu", "paper" })
        {
            var cfg = StudentConfig.ForProfile(profile);
            manual_seed(1);
            using var net = new StudentNetwork(cfg);
            net.eval();
            var (bytes, flops) = OnnxExporter.ExportWithFlops(net);
            if (writeOnnx is not null)
            {
                Directory.CreateDirectory(writeOnnx);
                File.WriteAllBytes(Path.Combine(writeOnnx, $"student-{profile}.onnx"), bytes);
            }
            var p = new JsonObject
            {
                ["input"] = $"{cfg.InputWidth}x{cfg.InputHeight}x{cfg.InputChannels}",
                ["token_map"] = $"{cfg.TokenMap.Width}x{cfg.TokenMap.Height}",
                ["gflops_per_frame"] = Math.Round(flops / 1e9, 4),
                ["parameters"] = net.parameters().Sum(t => t.numel()),
            };
            if (profile == shippedProfile) shippedGflops = flops / 1e9;
            using var session = new StudentSession(bytes, threads);
            foreach (int b in new[] { 1, 8, 32 })
            {
                double fps = TimeOrt(session, b, seconds);
                p[$"ort_fps_batch{b}"] = Math.Round(fps, 1);
                Console.WriteLine($"{profile}: ONNX Runtime batch {b}: {fps:0.0} frames/s");
            }
            double tfps = TimeTorch(net, cfg, 8, seconds);
            p["torchsharp_fps_batch8"] = Math.Round(tfps, 1);
            Console.WriteLine($"{profile}: TorchSharp forward batch 8: {tfps:0.0} frames/s");
            profiles[profile] = p;
        }
        root["profiles"] = profiles;

        double studentFps;
        if (File.Exists(modelPath))
        {
            using var shipped = new StudentSession(modelPath, threads);
            studentFps = TimeOrt(shipped, 32, seconds);
            root["shipped_model"] = modelPath;
        }
        else
        {
            studentFps = profiles[shippedProfile]!["ort_fps_batch32"]!.GetValue<double>();
            root["shipped_model"] = $"none at {modelPath}: the {shippedProfile} profile with random weights (same graph)";
        }
        root["shipped_profile"] = shippedProfile;
        root["student_fps_batch32"] = Math.Round(studentFps, 1);
        root["gflops_per_frame"] = Math.Round(shippedGflops, 4);

        double peak = PeakGflops(threads, seconds);
        root["peak_gflops"] = Math.Round(peak, 1);
        root["peak_method"] = "one-node ONNX MatMul [2048,2048] x [2048,2048] float32 through ONNX Runtime (CPU EP)";
        root["achieved_gflops"] = Math.Round(studentFps * shippedGflops, 1);
        root["fraction_of_peak"] = Math.Round(studentFps * shippedGflops / peak, 3);

        if (teachersJson is null && runTeachers && RunTeachersBench() is { } fresh) teachersJson = fresh;
        var (teacherFps, teacherSource) = TeacherFps(teachersJson);
        root["teacher_fps_best"] = teacherFps is null ? null : Math.Round(teacherFps.Value, 2);
        root["teacher_fps_source"] = teacherSource;
        root["speedup"] = teacherFps is > 0 ? Math.Round(studentFps / teacherFps.Value, 1) : null;
        root["seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 1);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
        File.WriteAllText(jsonPath, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string md = Table(root);
        File.WriteAllText(Path.ChangeExtension(jsonPath, ".md"), md);
        Console.WriteLine(md);
        Console.WriteLine($"wrote {jsonPath} and {Path.ChangeExtension(jsonPath, ".md")}");
        return 0;
    }

    private static string Machine()
    {
        return $"{BenchMachine.CpuModel()}, {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}";
    }

    /// <summary>Frames/s of the session at batch <paramref name="batch"/> (one warm-up call, then at least 2 calls and <paramref name="seconds"/> s).</summary>
    public static double TimeOrt(StudentSession session, int batch, double seconds)
    {
        var rng = new Random(1);
        var input = new float[batch * session.FrameSize];
        for (int i = 0; i < input.Length; i++) input[i] = (float)rng.NextDouble();
        session.Run(input, batch);
        var sw = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 2 || sw.Elapsed.TotalSeconds < seconds) { session.Run(input, batch); calls++; }
        return calls * batch / sw.Elapsed.TotalSeconds;
    }

    private static double TimeTorch(StudentNetwork net, StudentConfig cfg, int batch, double seconds)
    {
        using var noGrad = no_grad();
        using var x = rand(batch, cfg.InputChannels, cfg.InputHeight, cfg.InputWidth);
        foreach (var t in net.call(x)) t.Dispose();
        var sw = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 2 || sw.Elapsed.TotalSeconds < seconds)
        {
            foreach (var t in net.call(x)) t.Dispose();
            calls++;
        }
        return calls * batch / sw.Elapsed.TotalSeconds;
    }

    /// <summary>GFLOP/s of a 2048^3 float32 MatMul through ONNX Runtime: the practical peak of this runtime here.</summary>
    public static double PeakGflops(int threads, double seconds)
    {
        const int n = 2048;
        var graph = new GraphProto { Name = "gemm" };
        graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "matmul", Input = { "a", "b" }, Output = { "c" } });
        foreach (var name in new[] { "a", "b", "c" })
        {
            var shape = new TensorShapeProto();
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = n });
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = n });
            var vi = new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
            (name == "c" ? graph.Output : graph.Input).Add(vi);
        }
        var model = new ModelProto { IrVersion = OnnxExporter.IrVersion, Graph = graph, ProducerName = "Vad.Student bench" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExporter.Opset });
        using var options = new SessionOptions();
        if (threads > 0) options.IntraOpNumThreads = threads;
        using var session = new InferenceSession(model.ToByteArray(), options);
        var rng = new Random(2);
        float[] a = new float[n * n], b = new float[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = (float)rng.NextDouble(); b[i] = (float)rng.NextDouble(); }
        using var va = OrtValue.CreateTensorValueFromMemory(a, new long[] { n, n });
        using var vb = OrtValue.CreateTensorValueFromMemory(b, new long[] { n, n });
        using var run = new RunOptions();
        session.Run(run, new[] { "a", "b" }, new[] { va, vb }, new[] { "c" }).Dispose();
        var sw = Stopwatch.StartNew();
        int calls = 0;
        double best = double.MaxValue;
        while (calls < 3 || sw.Elapsed.TotalSeconds < seconds)
        {
            var t = Stopwatch.StartNew();
            session.Run(run, new[] { "a", "b" }, new[] { va, vb }, new[] { "c" }).Dispose();
            best = Math.Min(best, t.Elapsed.TotalSeconds);
            calls++;
        }
        // Best call: the peak the machine reaches when the other tenants leave it a moment.
        return 2.0 * n * n * n / best / 1e9;
    }

    /// <summary>
    /// What the figures are worth, from the 1-minute load average at the start (this process has not loaded the CPU yet):
    /// other jobs on the cores make every frames/s a lower bound. Other tenants of the host are invisible from here.
    /// </summary>
    private static string LoadNote()
    {
        if (BenchMachine.OneMinuteLoad() is not { } load) return "load average unknown: figures may be lower bounds of an idle machine";
        string at = $"1-minute load average {load.ToString("0.00", CultureInfo.InvariantCulture)} at the start on {Environment.ProcessorCount} cores";
        return load >= 0.5
            ? $"{at}: other jobs were using the CPU, figures are lower bounds of an idle machine"
            : $"{at}: no other job was using the CPU (other tenants of the host cannot be seen from here)";
    }

    /// <summary>Runs the teachers' own bench (same machine, same run) when its program is built; returns its JSON path.</summary>
    private static string? RunTeachersBench()
    {
        string? root = null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Cluster.sln"))) { root = d.FullName; break; }
        string dll = Path.Combine(root ?? ".", "trainer", "Vad.Teachers", "bin", "Release", "net10.0", "linux-x64", "Vad.Teachers.dll");
        if (root is null || !File.Exists(dll)) { Console.WriteLine("teachers' program not built: reading their bench JSON instead"); return null; }
        string json = Path.Combine(root, "bench", "results", "tmp", "teachers-for-student-bench.json");
        Console.WriteLine($"running the teachers' bench: dotnet {dll} bench --json {json}");
        var psi = new ProcessStartInfo("dotnet", ["exec", dll, "bench", "--json", json]) { WorkingDirectory = root };
        using var p = Process.Start(psi)!;
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); Console.WriteLine("teachers' bench timed out (10 min)"); return null; }
        return p.ExitCode == 0 && File.Exists(json) ? json : null;
    }

    /// <summary>The faster teacher's frames/s from the teachers' bench JSON (any "*fps*" number per teacher, the largest wins).</summary>
    private static (double? Fps, string Source) TeacherFps(string? path)
    {
        var candidates = path is not null ? new[] { path } : new[]
        {
            Path.Combine("bench", "results", "teachers.json"), Path.Combine("bench", "results", "teachers", "bench.json"),
            Path.Combine("bench", "results", "ped2", "teachers.json"), Path.Combine("bench", "results", "teachers", "teachers.json"),
        };
        foreach (var c in candidates.Where(File.Exists))
        {
            var node = JsonNode.Parse(File.ReadAllText(c));
            if (node?["teacher_fps_best"] is JsonValue v && v.TryGetValue(out double best)) return (best, c + " (teacher_fps_best)");
            var found = new List<(string Key, double Value)>();
            Walk(node, "", found);
            var fps = found.Where(f => f.Key.Contains("fps", StringComparison.OrdinalIgnoreCase) && f.Value > 0).ToList();
            if (fps.Count > 0)
            {
                var max = fps.MaxBy(f => f.Value);
                return (max.Value, $"{c} ({max.Key})");
            }
        }
        return (null, "no teachers' bench JSON found (looked for " + string.Join(", ", candidates) + "); run ./vad bench teachers --json bench/results/teachers.json, then this bench");
    }

    private static void Walk(JsonNode? node, string path, List<(string, double)> found)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (k, v) in o) Walk(v, path == "" ? k : $"{path}.{k}", found); break;
            case JsonArray a: for (int i = 0; i < a.Count; i++) Walk(a[i], $"{path}[{i}]", found); break;
            case JsonValue v when v.TryGetValue(out double d): found.Add((path, d)); break;
        }
    }

    private static string Table(JsonObject root)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Student benchmark ({root["date_utc"]})");
        sb.AppendLine();
        sb.AppendLine($"Command: `{root["command"]}`  ");
        sb.AppendLine($"Machine: {root["machine"]}  ");
        sb.AppendLine($"{root["note"]}");
        sb.AppendLine();
        sb.AppendLine("| profile | input WxHxC | token map | GFLOPs/frame | ORT fps b1 | b8 | b32 | TorchSharp fps b8 |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, p) in root["profiles"]!.AsObject())
            sb.AppendLine($"| {name} | {p!["input"]} | {p["token_map"]} | {p["gflops_per_frame"]} | {p["ort_fps_batch1"]} | {p["ort_fps_batch8"]} | {p["ort_fps_batch32"]} | {p["torchsharp_fps_batch8"]} |");
        sb.AppendLine();
        foreach (var key in new[] { "shipped_model", "shipped_profile", "student_fps_batch32", "gflops_per_frame", "peak_gflops", "achieved_gflops", "fraction_of_peak", "teacher_fps_best", "teacher_fps_source", "speedup" })
            sb.AppendLine($"- {key}: {root[key]?.ToJsonString() ?? "null"}");
        return sb.ToString();
    }
}
