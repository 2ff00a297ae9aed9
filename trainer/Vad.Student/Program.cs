using Vad.Core.Cli;
using Vad.Student.Training;

namespace Vad.Student;

public static class Program
{
    private const string Usage = """
        Vad.Student - the paper's CvT student: train, export, score, bench
          train  --dataset DIR --teachers DIR --profile cpu|paper [--epochs N] ...   (train --help)
          export --run DIR [--out FILE.onnx]
          select-epoch --run DIR --dataset DIR --clips 14,15,16   (model selection on held-out training clips)
          average-weights --models A.onnx,B.onnx[,...] --out FILE.onnx   (the mean of one run's exported weights)
          score  --model FILE.onnx --dataset DIR --split test --out DIR [--teachers DIR]
          bench  [--json FILE]
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        try
        {
            return args[0] switch
            {
                "train" => TrainCommand.Run(args[1..]),
                "export" => TrainCommand.ExportRun(args[1..]),
                "select-epoch" => SelectEpochCommand.Run(args[1..]),
                "average-weights" => Onnx.WeightAveraging.Run(args[1..]),
                "bench" => Bench.BenchCommand.Run(args[1..]),
                "score" => Scoring.ScoreCommand.Run(args[1..]),
                _ => Fail($"unknown command '{args[0]}'\n{Usage}"),
            };
        }
        catch (CommandArgsException e) { return Fail(e.Message); }
        catch (Exception e) when (e is Vad.Core.Datasets.DatasetException or Vad.Core.Maps.AnomalyMapCacheException
                                      or Model.StudentConfigException or Onnx.OnnxExportException or NonFiniteTrainingException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"vad: {message}");
        return 2;
    }
}
