using Microsoft.ML.OnnxRuntime;

namespace Vad.Student.Onnx;

/// <summary>
/// An ONNX Runtime CPU session over a student graph: input "input" [N, F*C, H, W], outputs "head_r" [N, 1, r, r].
/// Created once; <see cref="Run"/> takes a batch laid out contiguously.
/// </summary>
public sealed class StudentSession : IDisposable
{
    private readonly InferenceSession session;
    // One RunOptions for the session's life, disposed with it: a RunOptions per call left to the finalizer (after the
    // session was gone) crashed the process natively when sessions were opened one after another.
    private readonly RunOptions runOptions = new();
    public int InputChannels { get; }
    public int InputHeight { get; }
    public int InputWidth { get; }
    public int[] HeadResolutions { get; }
    public string[] OutputNames { get; }

    public StudentSession(byte[] model, int threads = 0) : this(s => new InferenceSession(model, s), threads) { }
    public StudentSession(string path, int threads = 0) : this(s => new InferenceSession(path, s), threads) { }

    private StudentSession(Func<SessionOptions, InferenceSession> open, int threads)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads > 0) options.IntraOpNumThreads = threads;
        session = open(options);
        if (!session.InputMetadata.TryGetValue("input", out var input))
            throw new InvalidDataException("student ONNX has no input named 'input'");
        var dims = input.Dimensions;
        if (dims.Length != 4) throw new InvalidDataException($"student ONNX input has rank {dims.Length}, expected 4");
        (InputChannels, InputHeight, InputWidth) = (dims[1], dims[2], dims[3]);
        OutputNames = session.OutputMetadata.Keys.Where(k => k.StartsWith("head_", StringComparison.Ordinal)).ToArray();
        if (OutputNames.Length == 0) throw new InvalidDataException("student ONNX has no head_<r> outputs");
        HeadResolutions = OutputNames.Select(n => int.Parse(n[5..], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    public int FrameSize => InputChannels * InputHeight * InputWidth;

    /// <summary>Runs <paramref name="batch"/> frames; returns per head a [batch * r * r] array (row-major).</summary>
    public float[][] Run(float[] input, int batch)
    {
        if (input.Length < batch * FrameSize) throw new ArgumentException($"input holds {input.Length} values, need {batch * FrameSize}");
        float[] data = input.Length == batch * FrameSize ? input : input.AsSpan(0, batch * FrameSize).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(data, new long[] { batch, InputChannels, InputHeight, InputWidth });
        using var results = session.Run(runOptions, new[] { "input" }, new[] { value }, OutputNames);
        var outputs = new float[OutputNames.Length][];
        for (int i = 0; i < OutputNames.Length; i++) outputs[i] = results[i].GetTensorDataAsSpan<float>().ToArray();
        return outputs;
    }

    public void Dispose()
    {
        session.Dispose();
        runOptions.Dispose();
    }
}
