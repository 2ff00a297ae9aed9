using Xunit;
using Vad.Core.Datasets;
using Vad.Core.Formats;
using W = Vad.Core.Tests.MatTestWriter;

namespace Vad.Core.Tests;

public class MatFileTests
{
    private static MatFile Parse(byte[] bytes) => MatFile.Read(bytes, "test.mat");

    [Fact]
    public void RealPed2MatHoldsTheDocumentedRanges()
    {
        string ped2 = Ped2Location.Require();
        var mat = MatFile.Read(Path.Combine(ped2, "ped2.mat"));
        var cell = Assert.IsType<MatCellArray>(Assert.Single(mat.Variables));
        Assert.Equal([1, 12], cell.Dimensions);
        // The README's ranges (1-based, inclusive) per test clip.
        int[][] expected =
        [
            [61, 180], [95, 180], [1, 146], [31, 180], [1, 129], [1, 159],
            [46, 180], [1, 180], [1, 120], [1, 150], [1, 180], [88, 180],
        ];
        for (int i = 0; i < 12; i++)
        {
            var m = Assert.IsType<MatNumericArray>(cell[i]);
            Assert.Equal([2, 1], m.Dimensions);
            Assert.Equal(expected[i], m.ToDoubles().Select(d => (int)d).ToArray());
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void CellOfRangesRoundTrips(bool bigEndian, bool compressed)
    {
        var w = new W(bigEndian);
        byte[] file = w.File((w.Cell("gt", [1, 3],
            w.Numeric("", MatClass.Double, [2, 1], [5, 9], W.MiUInt8),
            w.Numeric("", MatClass.Double, [2, 2], [1, 3, 300, 310], W.MiUInt16),
            w.Numeric("", MatClass.Double, [2, 1], [2.5, 7], W.MiDouble)), compressed));
        var cell = Assert.IsType<MatCellArray>(Parse(file)["gt"]);
        Assert.Equal(3, cell.Count);
        Assert.Equal([5.0, 9.0], ((MatNumericArray)cell[0]).ToDoubles());
        var two = (MatNumericArray)cell[1];
        Assert.Equal(MatClass.Double, two.Class);
        Assert.IsType<double[]>(two.Real);
        Assert.Equal(300.0, two[0, 1]);
        Assert.Equal(3.0, two[1, 0]);
        Assert.Equal(2.5, ((MatNumericArray)cell[2])[0]);
    }

    [Theory]
    [InlineData(MatClass.Int8, W.MiInt8, typeof(sbyte[]))]
    [InlineData(MatClass.UInt8, W.MiUInt8, typeof(byte[]))]
    [InlineData(MatClass.Int16, W.MiInt16, typeof(short[]))]
    [InlineData(MatClass.UInt16, W.MiUInt16, typeof(ushort[]))]
    [InlineData(MatClass.Int32, W.MiInt32, typeof(int[]))]
    [InlineData(MatClass.UInt32, W.MiUInt32, typeof(uint[]))]
    [InlineData(MatClass.Int64, W.MiInt64, typeof(long[]))]
    [InlineData(MatClass.UInt64, W.MiUInt64, typeof(ulong[]))]
    [InlineData(MatClass.Single, W.MiSingle, typeof(float[]))]
    [InlineData(MatClass.Double, W.MiDouble, typeof(double[]))]
    [InlineData(MatClass.Int32, W.MiInt8, typeof(int[]))] // MATLAB stores small values in a smaller type
    [InlineData(MatClass.Single, W.MiInt16, typeof(float[]))]
    public void NumericClassesKeepTheirTypeAndValues(MatClass cls, int storeType, Type storage)
    {
        bool signed = cls is MatClass.Int8 or MatClass.Int16 or MatClass.Int32 or MatClass.Int64 or MatClass.Single or MatClass.Double
            && storeType is not (W.MiUInt8 or W.MiUInt16 or W.MiUInt32 or W.MiUInt64);
        double[] values = signed ? [-3, 0, 7, 100, -100, 1] : [3, 0, 7, 100, 200, 1];
        var w = new W();
        var m = Assert.IsType<MatNumericArray>(Parse(w.File((w.Numeric("x", cls, [2, 3], values, storeType), false)))["x"]);
        Assert.Equal(cls, m.Class);
        Assert.IsType(storage, m.Real);
        Assert.Equal(values, m.ToDoubles());
        // Column-major: element (row 1, column 2) is linear index 1 + 2*2 = 5.
        Assert.Equal(values[5], m[1, 2]);
    }

    [Fact]
    public void ThreeDimensionalArraysAreColumnMajor()
    {
        var w = new W();
        double[] values = Enumerable.Range(0, 24).Select(i => (double)i).ToArray();
        var m = (MatNumericArray)Parse(w.File((w.Numeric("v", MatClass.Double, [2, 3, 4], values, W.MiDouble), true)))["v"];
        Assert.Equal([2, 3, 4], m.Dimensions);
        Assert.Equal(1 + 2 * 2 + 3 * 6, m.LinearIndex(1, 2, 3));
        Assert.Equal(23.0, m[m.LinearIndex(1, 2, 3)]);
        Assert.Equal(2.0, m[m.LinearIndex(0, 1, 0)]);
    }

    [Fact]
    public void LogicalComplexCharAndStructAreRead()
    {
        var w = new W();
        byte[] file = w.File(
            (w.Numeric("mask", MatClass.UInt8, [3, 2], [0, 0, 0, 0, 1, 0], W.MiUInt8, logical: true), true),
            (w.Numeric("z", MatClass.Double, [1, 2], [1, 2], W.MiDouble, imaginary: [3, -4]), false),
            (w.Char("s", "avenue"), false),
            (w.Struct("st", ("a", w.Numeric("", MatClass.Double, [1, 1], [42], W.MiDouble)), ("bb", w.Char("", "hi"))), true));
        var mat = Parse(file);
        Assert.Equal(["mask", "z", "s", "st"], mat.Variables.Select(v => v.Name).ToArray());
        var mask = (MatNumericArray)mat["mask"];
        Assert.True(mask.IsLogical);
        Assert.True(mask.AnyNonZero());
        var z = (MatNumericArray)mat["z"];
        Assert.True(z.IsComplex);
        Assert.Equal([3.0, -4.0], ((double[])z.Imaginary!));
        Assert.Equal("avenue", ((MatCharArray)mat["s"]).Value);
        var st = (MatStructArray)mat["st"];
        Assert.Equal(["a", "bb"], st.FieldNames.ToArray());
        Assert.Equal(42.0, ((MatNumericArray)st[0, "a"])[0]);
        Assert.Equal("hi", ((MatCharArray)st[0, "bb"]).Value);
    }

    [Fact]
    public void SmallDataElementsAreUnpacked()
    {
        // A 1x1 double stored as one miUINT8 byte and a 4-char name both fit the 4-byte small element form.
        var w = new W();
        byte[] matrix = w.Numeric("abcd", MatClass.Double, [1, 1], [9], W.MiUInt8);
        // matrix tag (8) + flags (16) + dims (2 x int32: 16) + name (8, small) + data (8, small)
        Assert.Equal(8 + 16 + 16 + 8 + 8, matrix.Length);
        var m = (MatNumericArray)Parse(w.File((matrix, false)))["abcd"];
        Assert.Equal(9.0, m[0]);
    }

    [Fact]
    public void CompressedCellsOfStructsAndSeveralCompressedVariables()
    {
        var w = new W();
        byte[] file = w.File(
            (w.Cell("c", [2, 2],
                w.Struct("", ("r", w.Numeric("", MatClass.Double, [1, 2], [1, 2], W.MiDouble))),
                w.Char("", "x"),
                w.Cell("", [1, 1], w.Numeric("", MatClass.Int16, [1, 1], [-7], W.MiInt16)),
                w.Element(W.MiMatrix, [])), true),
            (w.Element(W.MiMatrix, []), true),
            (w.Numeric("after", MatClass.Double, [1, 1], [3], W.MiDouble), true));
        var mat = Parse(file);
        Assert.Equal(3, mat.Variables.Count);
        var c = (MatCellArray)mat["c"];
        Assert.Equal([2, 2], c.Dimensions);
        Assert.Equal(2.0, ((MatNumericArray)((MatStructArray)c[0])[0, "r"])[1]);
        Assert.Equal("x", ((MatCharArray)c[1]).Value);
        Assert.Equal(-7.0, ((MatNumericArray)((MatCellArray)c[2])[0])[0]);
        Assert.Equal(0, c[3].Count);
        Assert.Equal(3.0, ((MatNumericArray)mat["after"])[0]);

        // A compressed stream cut short is reported, not read as a shorter cell.
        var full = w.Cell("c", [1, 3], w.Numeric("", MatClass.Double, [1, 1], [1], W.MiDouble),
            w.Numeric("", MatClass.Double, [1, 1], [2], W.MiDouble), w.Numeric("", MatClass.Double, [1, 1], [3], W.MiDouble));
        byte[] cut = W.Compress(full[..^24]);
        byte[] header = w.File();
        byte[] tag = w.Element(W.MiCompressed, cut);
        var e = Assert.Throws<MatFormatException>(() => Parse([.. header, .. tag]));
        Assert.Contains("test.mat", e.Message);
    }

    [Fact]
    public void EmptyMatrixElementIsAnEmptyArray()
    {
        var w = new W();
        var m = Parse(w.File((w.Cell("c", [1, 1], w.Element(W.MiMatrix, [])), false)))["c"];
        Assert.Equal(0, ((MatCellArray)m)[0].Count);
    }

    [Fact]
    public void NumericTransformReducesArraysAsTheyAreRead()
    {
        var w = new W();
        var masks = Enumerable.Range(0, 5).Select(i => w.Numeric("", MatClass.UInt8, [4, 6], Enumerable.Range(0, 24).Select(k => i % 2 == 1 && k == 13 ? 1.0 : 0).ToArray(), W.MiUInt8, logical: true)).ToArray();
        int calls = 0;
        var options = new MatReadOptions { NumericTransform = m => { calls++; return m; } };
        var cell = (MatCellArray)MatFile.Read(w.File((w.Cell("volLabel", [1, 5], masks), true)), "t.mat", options)["volLabel"];
        Assert.Equal(5, calls);
        Assert.Equal([false, true, false, true, false], cell.Cells.Select(c => ((MatNumericArray)c).AnyNonZero()).ToArray());
    }

    [Fact]
    public void BadFilesGetTypedErrorsNamingTheSource()
    {
        var w = new W();
        byte[] good = w.File((w.Numeric("x", MatClass.Double, [1, 3], [1, 2, 3], W.MiDouble), false));

        var e = Assert.Throws<MatFormatException>(() => MatFile.Read(new byte[50], "short.mat"));
        Assert.Contains("short.mat", e.Message);

        byte[] noEndian = (byte[])good.Clone();
        noEndian[126] = (byte)'X';
        Assert.Contains("endian", Assert.Throws<MatFormatException>(() => MatFile.Read(noEndian, "a.mat")).Message);

        byte[] truncated = good[..^6];
        Assert.Contains("truncated", Assert.Throws<MatFormatException>(() => MatFile.Read(truncated, "t.mat")).Message);

        byte[] hdf5 = new byte[512];
        System.Text.Encoding.Latin1.GetBytes("\x89HDF\r\n\x1a\n").CopyTo(hdf5, 0);
        Assert.Contains("v7.3", Assert.Throws<MatFormatException>(() => MatFile.Read(hdf5, "h.mat")).Message);

        byte[] sparse = w.File((w.SparseHeaderOnly("sp"), false));
        Assert.Contains("sparse", Assert.Throws<MatFormatException>(() => MatFile.Read(sparse, "s.mat")).Message);

        byte[] badZlib = w.File((w.Numeric("x", MatClass.Double, [1, 1], [1], W.MiDouble), true));
        badZlib[136] = 0xFF; // the zlib header right after the miCOMPRESSED tag: compression method 15 is invalid
        badZlib[137] = 0xFF;
        Assert.Contains("miCOMPRESSED", Assert.Throws<MatFormatException>(() => MatFile.Read(badZlib, "z.mat")).Message);

        // data element announcing more values than the dimensions
        byte[] wrongCount = w.File((w.Numeric("x", MatClass.Double, [1, 2], [1, 2, 3], W.MiDouble), false));
        Assert.Contains("dimensions", Assert.Throws<MatFormatException>(() => MatFile.Read(wrongCount, "c.mat")).Message);

        string missing = Path.Combine(Path.GetTempPath(), "vad-no-such-file.mat");
        Assert.Contains(missing, Assert.Throws<MatFormatException>(() => MatFile.Read(missing)).Message);
    }
}

/// <summary>Finds the shared Ped2 dataset beside the repository; the tests that need it fail loudly without it.</summary>
internal static class Ped2Location
{
    public static string Require() => KnownDatasets.FindPed2()
        ?? throw new InvalidOperationException(
            $"UCSD Ped2 not found: expected shared/data/ped2 beside the repository (searched up from {AppContext.BaseDirectory}) or ${KnownDatasets.Ped2Variable}");
}
