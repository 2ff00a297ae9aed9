using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Vad.Core.Formats;

/// <summary>MATLAB array classes (mxClassID) as stored in the Array Flags subelement of a MAT v5 file.</summary>
public enum MatClass
{
    Cell = 1, Struct = 2, Object = 3, Char = 4, Sparse = 5, Double = 6, Single = 7,
    Int8 = 8, UInt8 = 9, Int16 = 10, UInt16 = 11, Int32 = 12, UInt32 = 13, Int64 = 14, UInt64 = 15,
}

/// <summary>One MATLAB array read from a MAT v5 file. Element order is MATLAB's column-major order.</summary>
public abstract class MatArray
{
    private protected MatArray(string name, int[] dimensions, MatClass matClass)
    {
        Name = name;
        Dimensions = dimensions;
        Class = matClass;
        long count = 1;
        foreach (int d in dimensions) count *= d;
        Count = checked((int)count);
    }

    /// <summary>Variable name (empty for the elements of a cell or struct).</summary>
    public string Name { get; }
    public int[] Dimensions { get; }
    public MatClass Class { get; }
    /// <summary>Number of elements (product of the dimensions).</summary>
    public int Count { get; }

    /// <summary>Column-major linear index of a subscript (0-based).</summary>
    public int LinearIndex(params int[] subscript)
    {
        if (subscript.Length != Dimensions.Length)
            throw new ArgumentException($"expected {Dimensions.Length} subscripts, got {subscript.Length}");
        int index = 0, stride = 1;
        for (int k = 0; k < subscript.Length; k++)
        {
            if ((uint)subscript[k] >= (uint)Dimensions[k])
                throw new ArgumentOutOfRangeException(nameof(subscript), $"subscript {k} = {subscript[k]} outside [0, {Dimensions[k]})");
            index += subscript[k] * stride;
            stride *= Dimensions[k];
        }
        return index;
    }

    public string DimensionsText => string.Join("x", Dimensions);
}

/// <summary>A numeric or logical array. <see cref="Real"/> is a typed array matching <see cref="MatArray.Class"/>
/// (double[], float[], sbyte[], byte[], short[], ushort[], int[], uint[], long[], ulong[]; logical arrays are byte[]).</summary>
public sealed class MatNumericArray : MatArray
{
    internal MatNumericArray(string name, int[] dimensions, MatClass matClass, bool isLogical, Array real, Array? imaginary)
        : base(name, dimensions, matClass)
    {
        IsLogical = isLogical;
        Real = real;
        Imaginary = imaginary;
    }

    public bool IsLogical { get; }
    public bool IsComplex => Imaginary is not null;
    public Array Real { get; }
    public Array? Imaginary { get; }

    public double this[int linearIndex] => GetDouble(Real, linearIndex);

    public double this[int row, int column] => this[LinearIndex(row, column)];

    /// <summary>All real elements as doubles, in column-major order.</summary>
    public double[] ToDoubles()
    {
        var result = new double[Count];
        for (int i = 0; i < result.Length; i++) result[i] = GetDouble(Real, i);
        return result;
    }

    /// <summary>True when any real (or imaginary) element is non-zero.</summary>
    public bool AnyNonZero()
    {
        if (Real.GetType() == typeof(byte[]) && Real is byte[] bytes) return bytes.AsSpan().IndexOfAnyExcept((byte)0) >= 0;
        for (int i = 0; i < Count; i++)
            if (GetDouble(Real, i) != 0) return true;
        if (Imaginary is not null)
            for (int i = 0; i < Count; i++)
                if (GetDouble(Imaginary, i) != 0) return true;
        return false;
    }

    // Exact type tests: the CLR lets sbyte[] pass as byte[] (and short[]/ushort[], int[]/uint[], long[]/ulong[]).
    internal static double GetDouble(Array a, int i)
    {
        Type t = a.GetType();
        if (t == typeof(double[])) return ((double[])a)[i];
        if (t == typeof(float[])) return ((float[])a)[i];
        if (t == typeof(byte[])) return ((byte[])a)[i];
        if (t == typeof(sbyte[])) return ((sbyte[])a)[i];
        if (t == typeof(short[])) return ((short[])a)[i];
        if (t == typeof(ushort[])) return ((ushort[])a)[i];
        if (t == typeof(int[])) return ((int[])a)[i];
        if (t == typeof(uint[])) return ((uint[])a)[i];
        if (t == typeof(long[])) return ((long[])a)[i];
        if (t == typeof(ulong[])) return ((ulong[])a)[i];
        if (t == typeof(bool[])) return ((bool[])a)[i] ? 1 : 0;
        if (t == typeof(Half[])) return (double)((Half[])a)[i];
        throw new InvalidOperationException($"unexpected storage {t.Name}");
    }
}

public sealed class MatCellArray : MatArray
{
    internal MatCellArray(string name, int[] dimensions, IReadOnlyList<MatArray> cells)
        : base(name, dimensions, MatClass.Cell) => Cells = cells;

    /// <summary>The cells in column-major order.</summary>
    public IReadOnlyList<MatArray> Cells { get; }
    public MatArray this[int linearIndex] => Cells[linearIndex];
}

public sealed class MatCharArray : MatArray
{
    internal MatCharArray(string name, int[] dimensions, string value)
        : base(name, dimensions, MatClass.Char) => Value = value;

    /// <summary>The characters in column-major order (for a 1xN char array: the string).</summary>
    public string Value { get; }
}

public sealed class MatStructArray : MatArray
{
    private readonly IReadOnlyList<IReadOnlyDictionary<string, MatArray>> _elements;

    internal MatStructArray(string name, int[] dimensions, MatClass matClass, string? className,
        IReadOnlyList<string> fieldNames, IReadOnlyList<IReadOnlyDictionary<string, MatArray>> elements)
        : base(name, dimensions, matClass)
    {
        ClassName = className;
        FieldNames = fieldNames;
        _elements = elements;
    }

    /// <summary>For MATLAB objects (mxOBJECT), the class name; null for plain structs.</summary>
    public string? ClassName { get; }
    public IReadOnlyList<string> FieldNames { get; }
    public MatArray this[int linearIndex, string field] => _elements[linearIndex][field];
}

/// <summary>Bad or unsupported MAT file content; the message names the file.</summary>
public sealed class MatFormatException(string message) : Exception(message);

/// <summary>Options for <see cref="MatFile.Read(string, MatReadOptions?)"/>.</summary>
public sealed record MatReadOptions
{
    /// <summary>Applied to every numeric array as soon as it is read (including cell elements), so that large
    /// arrays (e.g. per-frame masks) can be reduced without holding all of them in memory.</summary>
    public Func<MatNumericArray, MatArray>? NumericTransform { get; init; }
}

/// <summary>
/// A reader for MATLAB Level 5 MAT-files (the format MATLAB writes with -v5/-v6/-v7): data elements with 8-byte
/// tags and small (4-byte packed) elements, miMATRIX nesting, miCOMPRESSED (zlib) elements, numeric arrays of every
/// class (real and complex, logical), cell arrays, char arrays and structs. Sparse arrays and v7.3 (HDF5) files are
/// rejected with a <see cref="MatFormatException"/>.
/// </summary>
public sealed class MatFile
{
    private const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7,
        MiDouble = 9, MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15, MiUtf8 = 16, MiUtf16 = 17, MiUtf32 = 18;

    private MatFile(string header, IReadOnlyList<MatArray> variables)
    {
        HeaderText = header;
        Variables = variables;
    }

    /// <summary>The 116-byte descriptive text of the header, trimmed.</summary>
    public string HeaderText { get; }
    public IReadOnlyList<MatArray> Variables { get; }

    public MatArray this[string name] =>
        Variables.FirstOrDefault(v => v.Name == name)
        ?? throw new KeyNotFoundException($"no variable '{name}' (variables: {string.Join(", ", Variables.Select(v => v.Name))})");

    public bool TryGet(string name, out MatArray? value)
    {
        value = Variables.FirstOrDefault(v => v.Name == name);
        return value is not null;
    }

    public static MatFile Read(string path, MatReadOptions? options = null)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MatFormatException($"{path}: cannot read MAT file: {e.Message}");
        }
        return Read(bytes, path, options);
    }

    /// <param name="source">Used in error messages.</param>
    public static MatFile Read(byte[] bytes, string source, MatReadOptions? options = null)
    {
        if (bytes.Length < 128)
            throw new MatFormatException($"{source}: not a MAT v5 file ({bytes.Length} bytes, the header alone is 128)");
        string header = Encoding.ASCII.GetString(bytes, 0, 116).TrimEnd(' ', '\0');
        bool bigEndian;
        if (bytes[126] == (byte)'I' && bytes[127] == (byte)'M') bigEndian = false;
        else if (bytes[126] == (byte)'M' && bytes[127] == (byte)'I') bigEndian = true;
        else
        {
            if (bytes.AsSpan(0, 8).SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A]))
                throw new MatFormatException($"{source}: an HDF5 file (MAT v7.3); only MAT v5 is supported");
            throw new MatFormatException($"{source}: not a MAT v5 file (no endian indicator at bytes 126-127)");
        }
        if (header.StartsWith("MATLAB 7.3", StringComparison.Ordinal))
            throw new MatFormatException($"{source}: a MAT v7.3 (HDF5) file; only MAT v5 is supported");
        int version = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(124)) : BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(124));
        if (version != 0x0100)
            throw new MatFormatException($"{source}: unsupported MAT version 0x{version:x4} (expected 0x0100)");

        var parser = new Parser(source, bigEndian, options ?? new MatReadOptions());
        var variables = new List<MatArray>();
        parser.ReadTopLevel(bytes.AsMemory(128), variables);
        return new MatFile(header, variables);
    }

    private sealed class Parser(string source, bool bigEndian, MatReadOptions options)
    {
        private readonly struct Element(int type, ReadOnlyMemory<byte> data)
        {
            public int Type { get; } = type;
            public ReadOnlyMemory<byte> Data { get; } = data;
        }

        private MatFormatException Error(string what) => new($"{source}: {what}");

        private uint U32(ReadOnlySpan<byte> s) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

        public void ReadTopLevel(ReadOnlyMemory<byte> data, List<MatArray> variables)
        {
            int pos = 0;
            while (data.Length - pos >= 8)
            {
                var element = ReadElement(data, ref pos);
                if (element.Type == MiCompressed)
                {
                    ReadCompressed(element.Data, variables);
                }
                else if (element.Type == MiMatrix)
                {
                    variables.Add(ReadMatrix(element.Data, ""));
                }
                else
                {
                    throw Error($"unexpected top-level data element type {element.Type} (expected miMATRIX or miCOMPRESSED)");
                }
            }
        }

        /// <summary>
        /// A compressed element holds one (rarely more) complete data element. A cell array is inflated one cell at a
        /// time, so that e.g. Avenue's per-frame masks (hundreds of MB inflated) never sit in memory all at once
        /// when <see cref="MatReadOptions.NumericTransform"/> reduces them.
        /// </summary>
        private void ReadCompressed(ReadOnlyMemory<byte> compressed, List<MatArray> variables)
        {
            try
            {
                using var input = new MemoryStream(compressed.ToArray());
                using var z = new ZLibStream(input, CompressionMode.Decompress);
                var tag = new byte[8];
                while (ReadExactOrEnd(z, tag))
                {
                    uint first = U32(tag);
                    if ((first >> 16) != 0 || first != MiMatrix)
                    {
                        // Not a matrix (or a packed small element): inflate the rest and parse it as usual.
                        using var rest = new MemoryStream();
                        rest.Write(tag);
                        z.CopyTo(rest);
                        ReadTopLevel(rest.ToArray(), variables);
                        return;
                    }
                    uint size = U32(tag.AsSpan(4));
                    variables.Add(ReadMatrixStreamed(z, size));
                    int pad = (int)((8 - size % 8) % 8);
                    if (pad > 0) ReadExactOrEnd(z, new byte[pad]);
                }
            }
            catch (InvalidDataException e)
            {
                throw Error($"corrupt miCOMPRESSED element: {e.Message}");
            }
        }

        private MatArray ReadMatrixStreamed(Stream z, uint size)
        {
            if (size == 0) return ReadMatrix(Array.Empty<byte>(), "");
            // The matrix header (flags, dimensions, name) is small: read its three subelements.
            var header = new MemoryStream();
            long consumed = 0;
            for (int k = 0; k < 3 && consumed < size; k++) consumed += CopySubelement(z, header, size - consumed);
            byte[] head = header.ToArray();
            int pos = 0;
            var flags = ReadElement(head, ref pos);
            bool isCell = flags.Type == MiUInt32 && flags.Data.Length >= 8 && (U32(flags.Data.Span) & 0xFF) == (uint)MatClass.Cell;
            if (!isCell)
            {
                var body = new byte[head.Length + (size - consumed)];
                head.CopyTo(body, 0);
                ReadExact(z, body.AsSpan(head.Length));
                return ReadMatrix(body, "");
            }
            var dimsElement = ReadElement(head, ref pos);
            int[] dims = ToInt32s(dimsElement, "dimensions");
            string name = Encoding.ASCII.GetString(ReadElement(head, ref pos).Data.Span);
            long count = dims.Aggregate(1L, (a, d) => a * d);
            var cells = new List<MatArray>();
            for (long i = 0; i < count; i++)
            {
                if (size - consumed < 8) throw Error($"cell '{name}' ends after {i} of {count} elements (truncated?)");
                var cellBuffer = new MemoryStream();
                consumed += CopySubelement(z, cellBuffer, size - consumed);
                byte[] cellBytes = cellBuffer.ToArray();
                int p = 0;
                var cell = ReadElement(cellBytes, ref p);
                if (cell.Type != MiMatrix) throw Error($"cell element {i} of '{name}' is data type {cell.Type}, not miMATRIX");
                cells.Add(ReadMatrix(cell.Data, ""));
            }
            if (consumed < size) ReadExact(z, new byte[size - consumed]);
            return new MatCellArray(name, dims, cells);
        }

        /// <summary>Copies one data element (tag, data and padding) from the stream; returns the bytes it took.</summary>
        private long CopySubelement(Stream z, Stream into, long remaining)
        {
            var tag = new byte[8];
            ReadExact(z, tag);
            into.Write(tag);
            uint first = U32(tag);
            if ((first >> 16) != 0) return 8;
            long size = U32(tag.AsSpan(4));
            long total = 8 + size + (8 - size % 8) % 8;
            if (total > remaining)
                throw Error($"data element of {size} bytes overruns its enclosing miMATRIX ({remaining - 8} bytes left)");
            var data = new byte[total - 8];
            ReadExact(z, data);
            into.Write(data);
            return total;
        }

        private void ReadExact(Stream s, Span<byte> buffer)
        {
            if (!ReadExactOrEnd(s, buffer)) throw Error("miCOMPRESSED element ends early (truncated file?)");
        }

        /// <summary>Fills the buffer; false when the stream was already at its end, an error when it ends midway.</summary>
        private bool ReadExactOrEnd(Stream s, Span<byte> buffer)
        {
            int got = 0;
            while (got < buffer.Length)
            {
                int n = s.Read(buffer[got..]);
                if (n == 0)
                {
                    if (got == 0) return false;
                    throw Error("miCOMPRESSED element ends early (truncated file?)");
                }
                got += n;
            }
            return true;
        }

        private Element ReadElement(ReadOnlyMemory<byte> data, ref int pos)
        {
            var span = data.Span;
            if (span.Length - pos < 8) throw Error($"truncated data element tag at offset {pos}");
            uint first = U32(span[pos..]);
            if ((first >> 16) != 0)
            {
                // Small data element: size in the upper 16 bits, type in the lower, data in the next 4 bytes.
                int smallType = (int)(first & 0xFFFF);
                int smallSize = (int)(first >> 16);
                if (smallSize > 4) throw Error($"small data element claims {smallSize} bytes (at most 4) at offset {pos}");
                var small = data.Slice(pos + 4, smallSize);
                pos += 8;
                return new Element(smallType, small);
            }
            int type = (int)first;
            uint size = U32(span[(pos + 4)..]);
            if (size > (uint)(span.Length - pos - 8))
                throw Error($"data element of type {type} at offset {pos} claims {size} bytes but only {span.Length - pos - 8} remain (truncated file?)");
            var body = data.Slice(pos + 8, (int)size);
            pos += 8 + (int)size;
            // Elements are padded to 8 bytes; compressed elements are not.
            if (type != MiCompressed)
            {
                int pad = (8 - (int)(size % 8)) % 8;
                pos = Math.Min(pos + pad, span.Length);
            }
            return new Element(type, body);
        }

        private MatArray ReadMatrix(ReadOnlyMemory<byte> data, string inheritedName)
        {
            if (data.Length == 0)
                return new MatNumericArray(inheritedName, [0, 0], MatClass.Double, false, Array.Empty<double>(), null);
            int pos = 0;
            var flags = ReadElement(data, ref pos);
            if (flags.Type != MiUInt32 || flags.Data.Length < 8) throw Error("miMATRIX without a valid Array Flags subelement");
            uint flagWord = U32(flags.Data.Span);
            var matClass = (MatClass)(flagWord & 0xFF);
            bool complex = (flagWord & 0x800) != 0;
            bool logical = (flagWord & 0x200) != 0;

            var dimsElement = ReadElement(data, ref pos);
            int[] dims = ToInt32s(dimsElement, "dimensions");
            if (dims.Length < 2) throw Error($"array with {dims.Length} dimensions (at least 2 expected)");
            if (dims.Any(d => d < 0)) throw Error($"negative dimension in {string.Join("x", dims)}");

            var nameElement = ReadElement(data, ref pos);
            string name = Encoding.ASCII.GetString(nameElement.Data.Span);
            if (name.Length == 0) name = inheritedName;

            switch (matClass)
            {
                case MatClass.Cell:
                {
                    long n = dims.Aggregate(1L, (a, d) => a * d);
                    var cells = new List<MatArray>();
                    for (long i = 0; i < n; i++)
                    {
                        var cell = ReadElement(data, ref pos);
                        if (cell.Type != MiMatrix) throw Error($"cell element {i} of '{name}' is data type {cell.Type}, not miMATRIX");
                        cells.Add(ReadMatrix(cell.Data, ""));
                    }
                    return new MatCellArray(name, dims, cells);
                }
                case MatClass.Struct:
                case MatClass.Object:
                {
                    string? className = null;
                    if (matClass == MatClass.Object)
                        className = Encoding.ASCII.GetString(ReadElement(data, ref pos).Data.Span);
                    int fieldNameLength = ToInt32s(ReadElement(data, ref pos), "field name length")[0];
                    var namesData = ReadElement(data, ref pos).Data.Span;
                    if (fieldNameLength <= 0 || namesData.Length % fieldNameLength != 0)
                        throw Error($"struct '{name}' has an invalid field name table");
                    var fields = new List<string>();
                    for (int k = 0; k < namesData.Length / fieldNameLength; k++)
                        fields.Add(Encoding.ASCII.GetString(namesData.Slice(k * fieldNameLength, fieldNameLength)).TrimEnd('\0'));
                    long n = dims.Aggregate(1L, (a, d) => a * d);
                    var elements = new List<IReadOnlyDictionary<string, MatArray>>();
                    for (long i = 0; i < n; i++)
                    {
                        var values = new Dictionary<string, MatArray>(StringComparer.Ordinal);
                        foreach (string f in fields)
                        {
                            var fe = ReadElement(data, ref pos);
                            if (fe.Type != MiMatrix) throw Error($"field '{f}' of struct '{name}' is data type {fe.Type}, not miMATRIX");
                            values[f] = ReadMatrix(fe.Data, "");
                        }
                        elements.Add(values);
                    }
                    return new MatStructArray(name, dims, matClass, className, fields, elements);
                }
                case MatClass.Char:
                {
                    var chars = ReadElement(data, ref pos);
                    string text = chars.Type switch
                    {
                        MiUtf8 or MiUInt8 or MiInt8 => Encoding.UTF8.GetString(chars.Data.Span),
                        MiUtf16 or MiUInt16 or MiInt16 => (bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode).GetString(chars.Data.Span),
                        MiUtf32 or MiUInt32 or MiInt32 => new UTF32Encoding(bigEndian, false).GetString(chars.Data.Span),
                        _ => throw Error($"char array '{name}' stored as data type {chars.Type}"),
                    };
                    return new MatCharArray(name, dims, text);
                }
                case MatClass.Sparse:
                    throw Error($"'{name}' is a sparse array; sparse arrays are not supported");
                case MatClass.Double or MatClass.Single or MatClass.Int8 or MatClass.UInt8 or MatClass.Int16
                    or MatClass.UInt16 or MatClass.Int32 or MatClass.UInt32 or MatClass.Int64 or MatClass.UInt64:
                {
                    int count = checked((int)dims.Aggregate(1L, (a, d) => a * d));
                    Array real = ReadNumeric(ReadElement(data, ref pos), matClass, count, name, "real part");
                    Array? imaginary = complex ? ReadNumeric(ReadElement(data, ref pos), matClass, count, name, "imaginary part") : null;
                    var array = new MatNumericArray(name, dims, matClass, logical, real, imaginary);
                    return options.NumericTransform is { } transform ? transform(array) : array;
                }
                default:
                    throw Error($"'{name}' has unsupported array class {(int)matClass}");
            }
        }

        private int[] ToInt32s(Element e, string what)
        {
            int size = ElementSize(e.Type) ?? throw Error($"{what} stored as data type {e.Type}");
            int n = e.Data.Length / size;
            var result = new int[n];
            for (int i = 0; i < n; i++) result[i] = checked((int)ReadValueAsLong(e.Data.Span, e.Type, i));
            return result;
        }

        private static int? ElementSize(int type) => type switch
        {
            MiInt8 or MiUInt8 => 1,
            MiInt16 or MiUInt16 => 2,
            MiInt32 or MiUInt32 or MiSingle => 4,
            MiDouble or MiInt64 or MiUInt64 => 8,
            _ => null,
        };

        private long ReadValueAsLong(ReadOnlySpan<byte> s, int type, int i) => type switch
        {
            MiInt8 => (sbyte)s[i],
            MiUInt8 => s[i],
            MiInt16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(s[(2 * i)..]),
            MiUInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]),
            MiInt32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(s[(4 * i)..]),
            MiUInt32 => U32(s[(4 * i)..]),
            MiInt64 => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]),
            MiUInt64 => (long)(bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..])),
            MiSingle => (long)ReadValueAsDouble(s, type, i),
            MiDouble => (long)ReadValueAsDouble(s, type, i),
            _ => throw Error($"unsupported numeric data type {type}"),
        };

        private double ReadValueAsDouble(ReadOnlySpan<byte> s, int type, int i) => type switch
        {
            MiSingle => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]),
            MiDouble => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(s[(8 * i)..]),
            MiUInt64 => (double)(ulong)ReadValueAsLong(s, type, i),
            _ => ReadValueAsLong(s, type, i),
        };

        /// <summary>MATLAB may store an array's data in a smaller type than its class (e.g. a double array of small
        /// integers as miUINT8); the values are converted to the class's type here.</summary>
        private Array ReadNumeric(Element e, MatClass matClass, int count, string name, string part)
        {
            int size = ElementSize(e.Type) ?? throw Error($"{part} of '{name}' stored as unsupported data type {e.Type}");
            if (e.Data.Length != (long)count * size)
                throw Error($"{part} of '{name}' holds {e.Data.Length / size} values, its dimensions say {count}");
            var s = e.Data.Span;
            bool integral = e.Type is not (MiSingle or MiDouble);
            switch (matClass)
            {
                case MatClass.Double:
                {
                    var a = new double[count];
                    for (int i = 0; i < count; i++) a[i] = ReadValueAsDouble(s, e.Type, i);
                    return a;
                }
                case MatClass.Single:
                {
                    var a = new float[count];
                    for (int i = 0; i < count; i++) a[i] = (float)ReadValueAsDouble(s, e.Type, i);
                    return a;
                }
                case MatClass.UInt8 when e.Type == MiUInt8:
                    return s.ToArray();
                case MatClass.UInt64 when e.Type == MiUInt64:
                {
                    var a = new ulong[count];
                    for (int i = 0; i < count; i++) a[i] = (ulong)ReadValueAsLong(s, e.Type, i);
                    return a;
                }
            }
            var values = new long[count];
            for (int i = 0; i < count; i++)
                values[i] = integral ? ReadValueAsLong(s, e.Type, i) : (long)Math.Round(ReadValueAsDouble(s, e.Type, i));
            return matClass switch
            {
                MatClass.Int8 => values.Select(v => (sbyte)v).ToArray(),
                MatClass.UInt8 => values.Select(v => (byte)v).ToArray(),
                MatClass.Int16 => values.Select(v => (short)v).ToArray(),
                MatClass.UInt16 => values.Select(v => (ushort)v).ToArray(),
                MatClass.Int32 => values.Select(v => (int)v).ToArray(),
                MatClass.UInt32 => values.Select(v => (uint)v).ToArray(),
                MatClass.Int64 => values,
                MatClass.UInt64 => values.Select(v => (ulong)v).ToArray(),
                _ => throw Error($"'{name}' has unsupported numeric class {matClass}"),
            };
        }
    }
}
