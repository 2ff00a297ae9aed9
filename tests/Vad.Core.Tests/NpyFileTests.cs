using Xunit;
using System.Buffers.Binary;
using System.Text;
using Vad.Core.Formats;

namespace Vad.Core.Tests;

/// <summary>Writes .npy files the way numpy.save does (magic, version, padded dict header, raw data).</summary>
internal static class NpyTestWriter
{
    public static byte[] Write(string descr, int[] shape, byte[] data, bool fortran = false, int major = 1)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shapeText}, }}";
        return WriteHeader(dict, data, major);
    }

    public static byte[] WriteHeader(string dict, byte[] data, int major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int total = prefix + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        var ms = new MemoryStream();
        ms.Write(Encoding.Latin1.GetBytes("\x93NUMPY"));
        ms.WriteByte((byte)major);
        ms.WriteByte(0);
        var len = new byte[major == 1 ? 2 : 4];
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length);
        ms.Write(len);
        ms.Write((major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] Bools(params int[] values) => Write("|b1", [values.Length], values.Select(v => (byte)v).ToArray());
}

public class NpyFileTests
{
    private static byte[] Le<T>(T[] values, int size, Action<byte[], T> put) where T : struct
    {
        var all = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var b = new byte[size];
            put(b, values[i]);
            b.CopyTo(all, i * size);
        }
        return all;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void BoolMaskInEveryHeaderVersion(int major)
    {
        var a = NpyFile.Read(NpyTestWriter.Write("|b1", [6], [0, 0, 1, 1, 0, 1], major: major), "m.npy");
        Assert.Equal([6], a.Shape);
        Assert.IsType<bool[]>(a.Data);
        Assert.Equal([0.0, 0, 1, 1, 0, 1], a.ToDoublesCOrder());
    }

    [Fact]
    public void IntegerAndFloatDtypes()
    {
        Assert.Equal([3.0, 255], NpyFile.Read(NpyTestWriter.Write("|u1", [2], [3, 255]), "x").ToDoublesCOrder());
        Assert.Equal([-2.0, 5], NpyFile.Read(NpyTestWriter.Write("|i1", [2], [0xFE, 5]), "x").ToDoublesCOrder());
        Assert.Equal([-300.0, 7], NpyFile.Read(NpyTestWriter.Write("<i2", [2], Le(new short[] { -300, 7 }, 2, (b, v) => BinaryPrimitives.WriteInt16LittleEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([-70000.0, 1], NpyFile.Read(NpyTestWriter.Write("<i4", [2], Le(new[] { -70000, 1 }, 4, (b, v) => BinaryPrimitives.WriteInt32LittleEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([1e12, -1], NpyFile.Read(NpyTestWriter.Write("<i8", [2], Le(new[] { 1_000_000_000_000L, -1 }, 8, (b, v) => BinaryPrimitives.WriteInt64LittleEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([4e9, 2], NpyFile.Read(NpyTestWriter.Write("<u4", [2], Le(new[] { 4_000_000_000u, 2u }, 4, (b, v) => BinaryPrimitives.WriteUInt32LittleEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([0.5, -2.25], NpyFile.Read(NpyTestWriter.Write("<f4", [2], Le(new[] { 0.5f, -2.25f }, 4, (b, v) => BinaryPrimitives.WriteSingleLittleEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([0.1, 1e-300], NpyFile.Read(NpyTestWriter.Write("<f8", [2], Le(new[] { 0.1, 1e-300 }, 8, (b, v) => BinaryPrimitives.WriteDoubleLittleEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([1.5], NpyFile.Read(NpyTestWriter.Write("<f2", [1], Le(new[] { (Half)1.5 }, 2, (b, v) => BinaryPrimitives.WriteHalfLittleEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([-300.0, 7], NpyFile.Read(NpyTestWriter.Write(">i2", [2], Le(new short[] { -300, 7 }, 2, (b, v) => BinaryPrimitives.WriteInt16BigEndian(b, v))), "x").ToDoublesCOrder());
        Assert.Equal([2.5], NpyFile.Read(NpyTestWriter.Write(">f8", [1], Le(new[] { 2.5 }, 8, (b, v) => BinaryPrimitives.WriteDoubleBigEndian(b, v))), "x").ToDoublesCOrder());
    }

    [Fact]
    public void FortranAndCOrderGiveTheSameLogicalArray()
    {
        // The 2x3 matrix [[0,1,2],[3,4,5]]: C order stores rows, Fortran order stores columns.
        var c = NpyFile.Read(NpyTestWriter.Write("|u1", [2, 3], [0, 1, 2, 3, 4, 5]), "c.npy");
        var f = NpyFile.Read(NpyTestWriter.Write("|u1", [2, 3], [0, 3, 1, 4, 2, 5], fortran: true), "f.npy");
        Assert.True(f.FortranOrder);
        Assert.Equal([0.0, 1, 2, 3, 4, 5], c.ToDoublesCOrder());
        Assert.Equal(c.ToDoublesCOrder(), f.ToDoublesCOrder());
        Assert.Equal(5.0, f.At(1, 2));
        Assert.Equal(3.0, c.At(1, 0));
    }

    [Fact]
    public void BadFilesGetTypedErrorsNamingTheSource()
    {
        Assert.Contains("bad.npy", Assert.Throws<NpyFormatException>(() => NpyFile.Read("not numpy at all"u8.ToArray(), "bad.npy")).Message);
        Assert.Contains("dtype", Assert.Throws<NpyFormatException>(() => NpyFile.Read(NpyTestWriter.Write("<c16", [1], new byte[16]), "c.npy")).Message);
        Assert.Contains("truncated", Assert.Throws<NpyFormatException>(() => NpyFile.Read(NpyTestWriter.Write("<f8", [4], new byte[16]), "t.npy")).Message);
        Assert.Contains("version", Assert.Throws<NpyFormatException>(() => NpyFile.Read(NpyTestWriter.Write("|u1", [1], [1], major: 4), "v.npy")).Message);
        Assert.Contains("structured", Assert.Throws<NpyFormatException>(() =>
            NpyFile.Read(NpyTestWriter.WriteHeader("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", new byte[8]), "s.npy")).Message);
        string missing = Path.Combine(Path.GetTempPath(), "vad-no-such.npy");
        Assert.Contains(missing, Assert.Throws<NpyFormatException>(() => NpyFile.Read(missing)).Message);
    }
}
