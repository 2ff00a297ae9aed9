namespace Vad.Grains;

/// <summary>
/// Consistent hashing of camera ids over the registered inference grains (virtual nodes, FNV-1a 64): when a grain
/// disappears only its cameras move, when one appears it takes a fair share.
/// </summary>
public sealed class ConsistentHashRing
{
    private readonly ulong[] _points;
    private readonly string[] _owners;

    public ConsistentHashRing(IEnumerable<string> members, int virtualNodes = 64)
    {
        var entries = new List<(ulong Point, string Owner)>();
        foreach (var m in members.Distinct(StringComparer.Ordinal))
            for (int v = 0; v < virtualNodes; v++)
                entries.Add((Hash($"{m}#{v}"), m));
        entries.Sort((a, b) => a.Point.CompareTo(b.Point));
        _points = entries.Select(e => e.Point).ToArray();
        _owners = entries.Select(e => e.Owner).ToArray();
    }

    public bool IsEmpty => _points.Length == 0;

    public string? Owner(string key)
    {
        if (_points.Length == 0) return null;
        ulong h = Hash(key);
        int i = Array.BinarySearch(_points, h);
        if (i < 0) i = ~i;
        return _owners[i == _points.Length ? 0 : i];
    }

    public static ulong Hash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        // Final avalanche (splitmix64) so near-identical keys spread over the ring.
        h ^= h >> 30; h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27; h *= 0x94d049bb133111ebUL;
        h ^= h >> 31;
        return h;
    }
}
