namespace Vad.Grains;
internal static class AssemblyMarker { }
