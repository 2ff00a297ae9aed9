using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Vad.Core.Formats;

namespace Vad.Core.Tests;

/// <summary>A tiny MATLAB v5 writer for test fixtures (independent of the reader): data elements with 8-byte tags or
/// packed small elements, miMATRIX nesting, optional miCOMPRESSED wrapping, either byte order.</summary>
internal sealed class MatTestWriter(bool bigEndian = false)
{
    public const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7,
        MiDouble = 9, MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15, MiUtf8 = 16;

    private static int Size(int type) => type switch
    {
        MiInt8 or MiUInt8 or MiUtf8 => 1,
        MiInt16 or MiUInt16 => 2,
        MiInt32 or MiUInt32 or MiSingle => 4,
        _ => 8,
    };

    private byte[] U32(uint v)
    {
        var b = new byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    public byte[] Element(int type, byte[] data, bool allowSmall = true)
    {
        var ms = new MemoryStream();
        if (allowSmall && data.Length <= 4 && type != MiMatrix && type != MiCompressed)
        {
            ms.Write(U32(((uint)data.Length << 16) | (uint)type));
            ms.Write(data);
            ms.Write(new byte[4 - data.Length]);
            return ms.ToArray();
        }
        ms.Write(U32((uint)type));
        ms.Write(U32((uint)data.Length));
        ms.Write(data);
        if (type != MiCompressed) ms.Write(new byte[(8 - data.Length % 8) % 8]);
        return ms.ToArray();
    }

    public byte[] Values(int type, IEnumerable<double> values)
    {
        var ms = new MemoryStream();
        foreach (double v in values)
        {
            var b = new byte[Size(type)];
            switch (type)
            {
                case MiInt8: b[0] = (byte)(sbyte)v; break;
                case MiUInt8: b[0] = (byte)v; break;
                case MiInt16: if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(b, (short)v); else BinaryPrimitives.WriteInt16LittleEndian(b, (short)v); break;
                case MiUInt16: if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); break;
                case MiInt32: if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(b, (int)v); else BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); break;
                case MiUInt32: if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)v); break;
                case MiSingle: if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(b, (float)v); else BinaryPrimitives.WriteSingleLittleEndian(b, (float)v); break;
                case MiInt64: if (bigEndian) BinaryPrimitives.WriteInt64BigEndian(b, (long)v); else BinaryPrimitives.WriteInt64LittleEndian(b, (long)v); break;
                case MiUInt64: if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, (ulong)v); else BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)v); break;
                default: if (bigEndian) BinaryPrimitives.WriteDoubleBigEndian(b, v); else BinaryPrimitives.WriteDoubleLittleEndian(b, v); break;
            }
            ms.Write(b);
        }
        return ms.ToArray();
    }

    private byte[] Header(MatClass cls, int[] dims, string name, bool logical = false, bool complex = false)
    {
        uint flags = (uint)cls | (logical ? 0x200u : 0) | (complex ? 0x800u : 0);
        var ms = new MemoryStream();
        ms.Write(Element(MiUInt32, [.. U32(flags), .. U32(0)]));
        ms.Write(Element(MiInt32, Values(MiInt32, dims.Select(d => (double)d))));
        ms.Write(Element(MiInt8, Encoding.ASCII.GetBytes(name)));
        return ms.ToArray();
    }

    /// <summary>A numeric miMATRIX: values in column-major order, stored as <paramref name="storeType"/>.</summary>
    public byte[] Numeric(string name, MatClass cls, int[] dims, double[] values, int storeType, bool logical = false, double[]? imaginary = null)
    {
        var ms = new MemoryStream();
        ms.Write(Header(cls, dims, name, logical, imaginary is not null));
        ms.Write(Element(storeType, Values(storeType, values)));
        if (imaginary is not null) ms.Write(Element(storeType, Values(storeType, imaginary)));
        return Element(MiMatrix, ms.ToArray());
    }

    public byte[] Cell(string name, int[] dims, params byte[][] cells)
    {
        var ms = new MemoryStream();
        ms.Write(Header(MatClass.Cell, dims, name));
        foreach (var c in cells) ms.Write(c);
        return Element(MiMatrix, ms.ToArray());
    }

    public byte[] Char(string name, string text)
    {
        var ms = new MemoryStream();
        ms.Write(Header(MatClass.Char, [1, text.Length], name));
        ms.Write(Element(MiUInt16, Values(MiUInt16, text.Select(c => (double)c))));
        return Element(MiMatrix, ms.ToArray());
    }

    /// <summary>A 1x1 struct with the given fields.</summary>
    public byte[] Struct(string name, params (string Field, byte[] Value)[] fields)
    {
        const int width = 32;
        var ms = new MemoryStream();
        ms.Write(Header(MatClass.Struct, [1, 1], name));
        ms.Write(Element(MiInt32, Values(MiInt32, [width])));
        var names = new byte[width * fields.Length];
        for (int i = 0; i < fields.Length; i++) Encoding.ASCII.GetBytes(fields[i].Field).CopyTo(names, i * width);
        ms.Write(Element(MiInt8, names));
        foreach (var f in fields) ms.Write(f.Value);
        return Element(MiMatrix, ms.ToArray());
    }

    public byte[] SparseHeaderOnly(string name)
    {
        var ms = new MemoryStream();
        ms.Write(Header(MatClass.Sparse, [2, 2], name));
        return Element(MiMatrix, ms.ToArray());
    }

    public static byte[] Compress(byte[] element)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(element);
        return ms.ToArray();
    }

    /// <summary>A whole file: the 128-byte header, then each variable (wrapped in miCOMPRESSED when asked).</summary>
    public byte[] File(params (byte[] Matrix, bool Compressed)[] variables)
    {
        var ms = new MemoryStream();
        var text = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, written by the Vad.Core tests".PadRight(116));
        ms.Write(text);
        ms.Write(new byte[8]);
        ms.Write(bigEndian ? [0x01, 0x00, (byte)'M', (byte)'I'] : [0x00, 0x01, (byte)'I', (byte)'M']);
        foreach (var (matrix, compressed) in variables)
            ms.Write(compressed ? Element(MiCompressed, Compress(matrix)) : matrix);
        return ms.ToArray();
    }
}
