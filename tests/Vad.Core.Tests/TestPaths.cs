using Vad.Core.Datasets;

namespace Vad.Core.Tests;

internal static class TestPaths
{
    public static string? Ped2() => KnownDatasets.FindPed2();
}
