using Xunit;

namespace Vad.Testing;

/// <summary>
/// Linked into the test assemblies that train. Tests that compare two trainings built from the same seed (a killed and
/// resumed run against an uninterrupted one) need libtorch's global generator to themselves: networks draw their initial
/// weights from it, and a test class running in parallel that builds a network in between gives one of the two runs
/// other weights (a CI run saw a resumed teacher differ by 0.35 that way). This collection runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeededTorchCollection
{
    public const string Name = "seeded torch initialisation";
}
