using Google.Protobuf;
using Onnx;
using Vad.Core.Cli;
using Vad.Core.Models;

namespace Vad.Student.Onnx;

/// <summary>
/// Weight averaging of exported students (stochastic weight averaging, Izmailov et al. 2018, applied to a run's epoch
/// exports): the element-wise mean of every float initializer of ONNX models that share one graph. The exports have
/// BatchNorm folded into the convolutions, so this averages the folded networks; SWA proper averages raw weights and
/// recomputes BatchNorm statistics, which needs the raw weights of every epoch.
/// </summary>
public static class WeightAveraging
{
    public const string Usage = """
        usage: ./vad average-weights --models A.onnx,B.onnx[,...] --out FILE.onnx
          --models  two or more exported students of one architecture (e.g. a run's epochs/epoch-NN.onnx), each with
                    its manifest (X.json) next to it; they must agree on input, heads, profile, training data, teachers
          --out     the averaged model; its manifest (FILE.json) is the last model's, with a new version and the command
        """;

    private const int FloatType = 1;

    /// <summary>The averaged model's bytes. Throws <see cref="InvalidDataException"/> when the graphs differ.</summary>
    public static byte[] Average(IReadOnlyList<byte[]> models, IReadOnlyList<string>? names = null)
    {
        if (models.Count < 2) throw new InvalidDataException($"weight averaging needs two or more models, got {models.Count}");
        string Name(int i) => names?[i] ?? $"model {i + 1}";
        var parsed = models.Select((bytes, i) =>
        {
            try { return ModelProto.Parser.ParseFrom(bytes); }
            catch (InvalidProtocolBufferException e) { throw new InvalidDataException($"{Name(i)}: not an ONNX model ({e.Message})"); }
        }).ToList();
        var first = parsed[0];
        var structure = Structure(first);
        var sums = new double[first.Graph.Initializer.Count][];
        for (int m = 0; m < parsed.Count; m++)
        {
            var model = parsed[m];
            if (!Structure(model).Equals(structure))
                throw new InvalidDataException($"{Name(m)}: its graph (nodes, inputs, outputs or opset) differs from {Name(0)}'s; only exports of one architecture can be averaged");
            if (model.Graph.Initializer.Count != first.Graph.Initializer.Count)
                throw new InvalidDataException($"{Name(m)}: {model.Graph.Initializer.Count} initializers, {Name(0)} has {first.Graph.Initializer.Count}");
            for (int k = 0; k < sums.Length; k++)
            {
                var t = model.Graph.Initializer[k];
                var f = first.Graph.Initializer[k];
                if (t.Name != f.Name || t.DataType != f.DataType || !t.Dims.SequenceEqual(f.Dims))
                    throw new InvalidDataException($"{Name(m)}: initializer {k} is '{t.Name}' {t.DataType} [{string.Join(",", t.Dims)}], " +
                                                   $"{Name(0)}'s is '{f.Name}' {f.DataType} [{string.Join(",", f.Dims)}]");
                if (t.DataType != FloatType)
                {
                    // Shapes and axes (int64) are part of the graph: equal in every model, copied as they are.
                    if (!t.Equals(f)) throw new InvalidDataException($"{Name(m)}: non-float initializer '{t.Name}' differs from {Name(0)}'s");
                    continue;
                }
                var values = Floats(t);
                sums[k] ??= new double[values.Length];
                if (values.Length != sums[k].Length) throw new InvalidDataException($"{Name(m)}: initializer '{t.Name}' has {values.Length} values, expected {sums[k].Length}");
                for (int i = 0; i < values.Length; i++) sums[k][i] += values[i];
            }
        }
        var averaged = first.Clone();
        for (int k = 0; k < sums.Length; k++)
        {
            if (sums[k] is not { } sum) continue;
            var mean = new float[sum.Length];
            for (int i = 0; i < sum.Length; i++) mean[i] = (float)(sum[i] / parsed.Count);
            var bytes = new byte[mean.Length * 4];
            Buffer.BlockCopy(mean, 0, bytes, 0, bytes.Length);
            var t = averaged.Graph.Initializer[k];
            t.FloatData.Clear();
            t.RawData = ByteString.CopyFrom(bytes);
        }
        return averaged.ToByteArray();
    }

    /// <summary>Everything of a model but its initializers' values: what must be identical for averaging to mean anything.</summary>
    private static ByteString Structure(ModelProto model)
    {
        var copy = model.Clone();
        copy.Graph.Initializer.Clear();
        return copy.ToByteString();
    }

    private static float[] Floats(TensorProto t)
    {
        if (t.FloatData.Count > 0) return t.FloatData.ToArray();
        if (BitConverter.IsLittleEndian is false) throw new PlatformNotSupportedException("ONNX raw data is little-endian");
        var raw = t.RawData.Span;
        if (raw.Length % 4 != 0) throw new InvalidDataException($"initializer '{t.Name}': {raw.Length} raw bytes is not a whole number of floats");
        var values = new float[raw.Length / 4];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
        return values;
    }

    /// <summary>
    /// Averages the models' weights into <paramref name="outPath"/> and writes its manifest: the last model's, with the
    /// new version and <paramref name="command"/> appended to its training command. The manifests must agree on
    /// everything that makes the models comparable.
    /// </summary>
    public static StudentManifest AverageFiles(IReadOnlyList<string> modelPaths, string outPath, string command)
    {
        var manifests = modelPaths.Select(p =>
        {
            string json = StudentManifest.PathFor(p);
            if (!File.Exists(p)) throw new FileNotFoundException($"no model {p}");
            if (!File.Exists(json)) throw new FileNotFoundException($"no manifest {json} next to {p}");
            return StudentManifest.Load(json);
        }).ToList();
        var a = manifests[0];
        for (int i = 1; i < manifests.Count; i++)
        {
            var b = manifests[i];
            var differences = new List<string>();
            if (a.InputWidth != b.InputWidth || a.InputHeight != b.InputHeight) differences.Add("input size");
            if (a.Channels != b.Channels || a.Frames != b.Frames || a.StrideT != b.StrideT || a.Normalisation != b.Normalisation) differences.Add("input layout");
            if (!a.Heads.SequenceEqual(b.Heads)) differences.Add("heads");
            if (a.Profile != b.Profile) differences.Add("profile");
            if (a.TrainingData != b.TrainingData) differences.Add("training data");
            if (a.TeacherHashes.Count != b.TeacherHashes.Count || a.TeacherHashes.Any(kv => !b.TeacherHashes.TryGetValue(kv.Key, out var h) || h != kv.Value))
                differences.Add("teachers");
            if (differences.Count > 0)
                throw new InvalidDataException($"{modelPaths[i]} and {modelPaths[0]} differ in {string.Join(", ", differences)}: not one run's models");
        }
        var bytes = Average(modelPaths.Select(File.ReadAllBytes).ToList(), modelPaths);
        if (Path.GetDirectoryName(Path.GetFullPath(outPath)) is { } parent) Directory.CreateDirectory(parent);
        string tmp = outPath + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, outPath, overwrite: true);
        var last = manifests[^1];
        var metrics = new Dictionary<string, double>(last.Metrics) { ["weights_averaged_models"] = modelPaths.Count };
        var manifest = last with
        {
            Version = StudentManifest.HashFile(outPath),
            CreatedUtc = DateTime.UtcNow,
            Metrics = metrics,
            TrainCommand = string.IsNullOrEmpty(last.TrainCommand) ? command : $"{last.TrainCommand} && {command}",
            // The golden score belongs to the weights it was measured on.
            GoldenScore = null,
        };
        manifest.Save(StudentManifest.PathFor(outPath));
        return manifest;
    }

    /// <summary><c>./vad average-weights --models A.onnx,B.onnx[,...] --out FILE.onnx</c>.</summary>
    public static int Run(string[] argv)
    {
        var args = new CommandArgs(argv, "help");
        if (args.Flag("help")) { Console.WriteLine(Usage); return 0; }
        var models = args.GetAll("models").ToList();
        string outPath = args.Require("out");
        args.RejectUnknown();
        if (models.Count < 2) throw new CommandArgsException($"--models needs two or more models, got {models.Count}\n{Usage}");
        if (models.Any(m => Path.GetFullPath(m) == Path.GetFullPath(outPath))) throw new CommandArgsException("--out must not be one of --models");
        string command = $"./vad average-weights --models {string.Join(",", models)} --out {outPath}";
        var manifest = AverageFiles(models, outPath, command);
        Console.WriteLine($"averaged {models.Count} models -> {outPath} ({new FileInfo(outPath).Length / 1e6:0.0} MB); version {manifest.Version}");
        return 0;
    }
}
