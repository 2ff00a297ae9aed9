namespace Vad.Contracts;
internal static class AssemblyMarker { }
