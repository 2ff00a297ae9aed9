namespace Vad.Torch;
internal static class AssemblyMarker { }
