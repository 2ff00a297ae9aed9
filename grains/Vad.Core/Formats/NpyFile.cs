using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Vad.Core.Formats;

/// <summary>Bad or unsupported .npy content; the message names the file.</summary>
public sealed class NpyFormatException(string message) : Exception(message);

/// <summary>
/// A NumPy .npy array (format versions 1.0, 2.0 and 3.0). <see cref="Data"/> is a typed array in the file's own
/// element order (C or Fortran, see <see cref="FortranOrder"/>): bool[] for '?', byte[] for 'u1', sbyte[], short[],
/// ushort[], int[], uint[], long[], ulong[], Half[], float[], double[]. Multi-byte values are converted to the host order.
/// </summary>
public sealed class NpyArray
{
    internal NpyArray(string descr, int[] shape, bool fortranOrder, Array data)
    {
        Descr = descr;
        Shape = shape;
        FortranOrder = fortranOrder;
        Data = data;
    }

    /// <summary>The dtype descriptor as written in the header, e.g. "|b1", "&lt;f8".</summary>
    public string Descr { get; }
    public int[] Shape { get; }
    public bool FortranOrder { get; }
    public Array Data { get; }
    public int Count => Data.Length;

    /// <summary>Element at a linear index of the stored order.</summary>
    public double this[int storedIndex] => GetDouble(storedIndex);

    /// <summary>Element at a multi-dimensional index, honouring C or Fortran order.</summary>
    public double At(params int[] index)
    {
        if (index.Length != Shape.Length)
            throw new ArgumentException($"expected {Shape.Length} indices, got {index.Length}");
        int linear = 0, stride = 1;
        for (int n = 0; n < index.Length; n++)
        {
            int k = FortranOrder ? n : index.Length - 1 - n;
            if ((uint)index[k] >= (uint)Shape[k])
                throw new ArgumentOutOfRangeException(nameof(index), $"index {k} = {index[k]} outside [0, {Shape[k]})");
            linear += index[k] * stride;
            stride *= Shape[k];
        }
        return GetDouble(linear);
    }

    /// <summary>All elements as doubles in C (row-major) order.</summary>
    public double[] ToDoublesCOrder()
    {
        var result = new double[Count];
        if (!FortranOrder || Shape.Length <= 1)
        {
            for (int i = 0; i < result.Length; i++) result[i] = GetDouble(i);
            return result;
        }
        var idx = new int[Shape.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = At(idx);
            for (int k = Shape.Length - 1; k >= 0; k--)
            {
                if (++idx[k] < Shape[k]) break;
                idx[k] = 0;
            }
        }
        return result;
    }

    private double GetDouble(int i) => MatNumericArray.GetDouble(Data, i);
}

public static class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NpyFormatException($"{path}: cannot read .npy file: {e.Message}");
        }
        return Read(bytes, path);
    }

    /// <param name="source">Used in error messages.</param>
    public static NpyArray Read(byte[] bytes, string source)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new NpyFormatException($"{source}: not a .npy file (missing \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw new NpyFormatException($"{source}: truncated .npy header");
                headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
                headerStart = 12;
                break;
            default:
                throw new NpyFormatException($"{source}: unsupported .npy format version {major}.{bytes[7]}");
        }
        if ((long)headerStart + headerLength > bytes.Length)
            throw new NpyFormatException($"{source}: truncated .npy header ({headerLength} bytes announced)");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, headerLength);
        var (descr, fortran, shape) = ParseHeader(header, source);

        long count = shape.Aggregate(1L, (a, d) => a * d);
        char byteOrder = descr[0];
        string kind = descr[1..];
        int itemSize = kind switch
        {
            "b1" or "u1" or "i1" => 1,
            "i2" or "u2" or "f2" => 2,
            "i4" or "u4" or "f4" => 4,
            "i8" or "u8" or "f8" => 8,
            _ => throw new NpyFormatException($"{source}: unsupported dtype '{descr}' (bool, int, uint and float are supported)"),
        };
        bool bigEndian = byteOrder == '>' || (byteOrder == '=' && !BitConverter.IsLittleEndian);
        if (byteOrder is not ('<' or '>' or '|' or '='))
            throw new NpyFormatException($"{source}: invalid byte order in dtype '{descr}'");
        int dataStart = headerStart + headerLength;
        long needed = count * itemSize;
        if (bytes.Length - dataStart < needed)
            throw new NpyFormatException($"{source}: data truncated: shape ({string.Join(", ", shape)}) needs {needed} bytes, file has {bytes.Length - dataStart}");
        if (bytes.Length - dataStart > needed)
            throw new NpyFormatException($"{source}: {bytes.Length - dataStart - needed} unexpected bytes after the data");
        byte[] d = bytes[dataStart..(dataStart + (int)needed)];
        int n = (int)count;
        Array data = kind switch
        {
            "b1" => Fill(n, i => d[i] != 0),
            "u1" => d,
            "i1" => Fill(n, i => (sbyte)d[i]),
            "i2" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(d.AsSpan(2 * i)) : BinaryPrimitives.ReadInt16LittleEndian(d.AsSpan(2 * i))),
            "u2" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(2 * i)) : BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(2 * i))),
            "f2" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadHalfBigEndian(d.AsSpan(2 * i)) : BinaryPrimitives.ReadHalfLittleEndian(d.AsSpan(2 * i))),
            "i4" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(4 * i)) : BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(4 * i))),
            "u4" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(4 * i)) : BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(4 * i))),
            "f4" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(d.AsSpan(4 * i)) : BinaryPrimitives.ReadSingleLittleEndian(d.AsSpan(4 * i))),
            "i8" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(d.AsSpan(8 * i)) : BinaryPrimitives.ReadInt64LittleEndian(d.AsSpan(8 * i))),
            "u8" => Fill(n, i => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(d.AsSpan(8 * i)) : BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(8 * i))),
            _ => Fill(n, i => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(d.AsSpan(8 * i)) : BinaryPrimitives.ReadDoubleLittleEndian(d.AsSpan(8 * i))),
        };
        return new NpyArray(descr, shape, fortran, data);
    }

    private delegate T Reader<out T>(int i);

    private static T[] Fill<T>(int n, Reader<T> read)
    {
        var a = new T[n];
        for (int i = 0; i < n; i++) a[i] = read(i);
        return a;
    }

    /// <summary>Parses the header's Python dict literal, e.g. {'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), }.</summary>
    private static (string Descr, bool Fortran, int[] Shape) ParseHeader(string header, string source)
    {
        NpyFormatException Bad(string why) => new($"{source}: bad .npy header ({why}): {header.Trim()}");
        string h = header.Trim().TrimEnd('\n').Trim();
        if (!h.StartsWith('{') || !h.EndsWith('}')) throw Bad("not a dict");
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        int p = 1;
        while (true)
        {
            SkipSpaceAndCommas(h, ref p);
            if (p >= h.Length - 1) break;
            string key = ReadQuoted(h, ref p) ?? throw Bad("expected a quoted key");
            SkipSpace(h, ref p);
            if (p >= h.Length || h[p] != ':') throw Bad($"expected ':' after '{key}'");
            p++;
            SkipSpace(h, ref p);
            switch (key)
            {
                case "descr":
                    descr = ReadQuoted(h, ref p) ?? throw Bad("descr is not a simple string (structured dtypes are not supported)");
                    break;
                case "fortran_order":
                    if (string.CompareOrdinal(h, p, "True", 0, 4) == 0) { fortran = true; p += 4; }
                    else if (string.CompareOrdinal(h, p, "False", 0, 5) == 0) { fortran = false; p += 5; }
                    else throw Bad("fortran_order is not True/False");
                    break;
                case "shape":
                {
                    if (h[p] != '(') throw Bad("shape is not a tuple");
                    int close = h.IndexOf(')', p);
                    if (close < 0) throw Bad("unterminated shape");
                    var parts = h[(p + 1)..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    shape = parts.Select(x => int.TryParse(x.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out int d)
                        ? d : throw Bad($"shape entry '{x}'")).ToArray();
                    p = close + 1;
                    break;
                }
                default:
                    throw Bad($"unexpected key '{key}'");
            }
        }
        if (descr is null || fortran is null || shape is null) throw Bad("missing descr, fortran_order or shape");
        if (descr.Length < 3) throw Bad($"dtype '{descr}'");
        return (descr, fortran.Value, shape);
    }

    private static void SkipSpace(string h, ref int p)
    {
        while (p < h.Length && char.IsWhiteSpace(h[p])) p++;
    }

    private static void SkipSpaceAndCommas(string h, ref int p)
    {
        while (p < h.Length && (char.IsWhiteSpace(h[p]) || h[p] == ',')) p++;
    }

    private static string? ReadQuoted(string h, ref int p)
    {
        if (p >= h.Length || (h[p] != '\'' && h[p] != '"')) return null;
        char q = h[p];
        int end = h.IndexOf(q, p + 1);
        if (end < 0) return null;
        string value = h[(p + 1)..end];
        p = end + 1;
        return value;
    }
}
