using System.Runtime.CompilerServices;

namespace Vad.Testing;

internal static class TrainingProcess
{
    /// <summary>
    /// Linked into each test assembly that trains. Such tests train and score in one process, in parallel: its kernels
    /// are a training process's from the start (oneDNN capped before its first use), so no trainer's gradient check
    /// switches kernels under a concurrent test.
    /// </summary>
#pragma warning disable CA2255 // a test assembly's own start-up, not a library's
    [ModuleInitializer]
    internal static void UseTrainingKernels() => Vad.Torch.TorchRuntime.EnsureLoaded(training: true);
#pragma warning restore CA2255
}
