using System.Globalization;
using Vad.Core.Formats;

namespace Vad.Core.Datasets;

/// <summary>Recognises and reads the standard on-disk dataset layouts (see <see cref="DatasetLayout"/>).</summary>
internal static class DatasetLayouts
{
    internal static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"];
    internal static readonly string[] VideoExtensions = [".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg", ".m4v", ".wmv", ".flv", ".ts"];

    public static VideoDataset Open(string root)
    {
        if (string.IsNullOrWhiteSpace(root)) throw new DatasetException("dataset root is empty");
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full)) throw new DatasetException($"{full}: dataset folder does not exist");
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(full));

        if (Directory.Exists(Path.Combine(full, "testing_videos")))
            return OpenAvenue(full, name);
        if (Directory.Exists(Path.Combine(full, "testing", "test_frame_mask")))
            return OpenShanghaiTech(full, name);
        if (Directory.Exists(Path.Combine(full, "testing", "frames")))
            return OpenUcsdFrames(full, name);
        if (Directory.Exists(Path.Combine(full, "Test")) && Directory.GetFiles(Path.Combine(full, "Test"), "UCSDped*.m").Length > 0)
            return OpenUcsdOriginal(full, name);
        if (Directory.Exists(Path.Combine(full, "test")))
            return OpenGeneric(full, name);
        throw new DatasetException(
            $"{full}: unknown dataset layout. Expected one of: UCSD (training/frames, testing/frames + testing/labels or a .mat of ranges), " +
            "UCSD original (Train/TrainNNN, Test/TestNNN, Test/UCSDpedN.m), CUHK Avenue (training_videos, testing_videos, ground_truth_demo/testing_label_mask), " +
            "ShanghaiTech (training/videos or training/frames, testing/frames, testing/test_frame_mask), " +
            "generic (train/, test/ with one labels .txt per video)");
    }

    // ---------------- UCSD Ped1/Ped2 "frames folder" layout ----------------

    private static VideoDataset OpenUcsdFrames(string root, string name)
    {
        string trainDir = Path.Combine(root, "training", "frames");
        string testDir = Path.Combine(root, "testing", "frames");
        var train = Directory.Exists(trainDir)
            ? FrameFolders(trainDir).Select(d => new DatasetVideo(Path.GetFileName(d), d, null)).ToList()
            : new List<DatasetVideo>();
        var testFolders = FrameFolders(testDir);
        if (testFolders.Count == 0) throw new DatasetException($"{testDir}: no frame folders (folders of jpg/png/tif/bmp images)");

        string labelsDir = Path.Combine(root, "testing", "labels");
        var test = new List<DatasetVideo>();
        string labelsSource;
        if (Directory.Exists(labelsDir))
        {
            labelsSource = labelsDir;
            foreach (string folder in testFolders)
            {
                string clip = Path.GetFileName(folder);
                string file = Path.Combine(labelsDir, clip + ".txt");
                if (!File.Exists(file)) throw new DatasetException($"{file}: missing labels file for test clip '{clip}'");
                int[] labels = ReadLabelsText(file);
                CheckCount(labels.Length, CountFrames(folder), file, folder);
                test.Add(new DatasetVideo(clip, folder, labels));
            }
        }
        else
        {
            string matPath = FindRangesMat(root, name);
            labelsSource = matPath;
            var ranges = ReadRangesCell(matPath, testFolders.Count);
            for (int i = 0; i < testFolders.Count; i++)
            {
                string folder = testFolders[i];
                string clip = Path.GetFileName(folder);
                int frames = CountFrames(folder);
                test.Add(new DatasetVideo(clip, folder, RangesToLabels(ranges[i], frames, $"{matPath} (cell {i + 1}, clip '{clip}')")));
            }
        }
        return new VideoDataset(name, root, DatasetLayout.UcsdFrames, train, test, labelsSource);
    }

    private static string FindRangesMat(string root, string name)
    {
        var mats = Directory.GetFiles(root, "*.mat").OrderBy(p => p, NaturalComparer.Instance).ToList();
        if (mats.Count == 0)
            throw new DatasetException($"{root}: no test labels: neither testing/labels/*.txt nor a .mat file of frame ranges (e.g. {name}.mat)");
        return mats.FirstOrDefault(m => string.Equals(Path.GetFileNameWithoutExtension(m), name, StringComparison.OrdinalIgnoreCase))
            ?? (mats.Count == 1 ? mats[0] : throw new DatasetException(
                $"{root}: several .mat files ({string.Join(", ", mats.Select(Path.GetFileName))}) and none named {name}.mat: cannot tell which holds the labels"));
    }

    /// <summary>Reads a 1xN cell whose elements are [start; end] ranges (1-based, inclusive), one or more per clip:
    /// a 2xK matrix holds K ranges as columns (a Kx2 matrix with K != 2 holds them as rows).</summary>
    internal static IReadOnlyList<(int Start, int End)[]> ReadRangesCell(string matPath, int expectedClips)
    {
        MatFile mat;
        try { mat = MatFile.Read(matPath); }
        catch (MatFormatException e) { throw new DatasetException(e.Message, e); }
        var cell = mat.Variables.OfType<MatCellArray>().FirstOrDefault()
            ?? throw new DatasetException($"{matPath}: no cell array of frame ranges (variables: {string.Join(", ", mat.Variables.Select(v => $"{v.Name} {v.Class} {v.DimensionsText}"))})");
        if (cell.Count != expectedClips)
            throw new DatasetException($"{matPath}: cell '{cell.Name}' has {cell.Count} entries but there are {expectedClips} test clips");
        var result = new List<(int, int)[]>();
        for (int i = 0; i < cell.Count; i++)
        {
            if (cell[i] is not MatNumericArray m || m.Dimensions.Length != 2)
                throw new DatasetException($"{matPath}: cell {i + 1} is not a numeric matrix of ranges");
            int rows = m.Dimensions[0], cols = m.Dimensions[1];
            var ranges = new List<(int, int)>();
            if (m.Count == 0) { result.Add([]); continue; }
            if (rows == 2)
                for (int c = 0; c < cols; c++) ranges.Add((ToFrame(m[0, c], matPath, i), ToFrame(m[1, c], matPath, i)));
            else if (cols == 2)
                for (int r = 0; r < rows; r++) ranges.Add((ToFrame(m[r, 0], matPath, i), ToFrame(m[r, 1], matPath, i)));
            else
                throw new DatasetException($"{matPath}: cell {i + 1} is {m.DimensionsText}; expected 2xK [start; end] ranges");
            result.Add(ranges.ToArray());
        }
        return result;
    }

    private static int ToFrame(double v, string path, int cell) =>
        v == Math.Floor(v) && v >= 1 && v <= int.MaxValue
            ? (int)v
            : throw new DatasetException($"{path}: cell {cell + 1} holds '{v.ToString(CultureInfo.InvariantCulture)}', not a 1-based frame number");

    internal static int[] RangesToLabels((int Start, int End)[] ranges, int frames, string where)
    {
        var labels = new int[frames];
        foreach (var (start, end) in ranges)
        {
            if (start > end) throw new DatasetException($"{where}: range {start}-{end} is reversed");
            if (end > frames) throw new DatasetException($"{where}: range {start}-{end} goes past the clip's {frames} frames (label count mismatch)");
            for (int f = start; f <= end; f++) labels[f - 1] = 1;
        }
        return labels;
    }

    // ---------------- UCSD original distribution (UCSDped1/UCSDped2 as downloaded) ----------------

    /// <summary>Train/Train001/001.tif ..., Test/Test001/001.tif ... (TestNNN_gt pixel-mask folders skipped) and the
    /// frame-level ground truth in Test/UCSDpedN.m: one <c>TestVideoFile{end+1}.gt_frame = [a:b, c:d];</c> per clip.</summary>
    private static VideoDataset OpenUcsdOriginal(string root, string name)
    {
        string testDir = Path.Combine(root, "Test");
        string mFile = Directory.GetFiles(testDir, "UCSDped*.m").OrderBy(f => f, NaturalComparer.Instance).First();
        var train = Directory.Exists(Path.Combine(root, "Train"))
            ? FrameFolders(Path.Combine(root, "Train")).Select(d => new DatasetVideo(Path.GetFileName(d), d, null)).ToList()
            : new List<DatasetVideo>();
        var folders = FrameFolders(testDir).Where(d => !d.EndsWith("_gt", StringComparison.Ordinal)).ToList();
        var ranges = ReadMatlabGtFrames(mFile);
        if (ranges.Count != folders.Count)
            throw new DatasetException($"{mFile}: {ranges.Count} gt_frame entries but {testDir} has {folders.Count} test clips");
        var test = folders.Select((d, i) => new DatasetVideo(Path.GetFileName(d), d,
            RangesToLabels(ranges[i], CountFrames(d), $"{mFile} (entry {i + 1}, clip '{Path.GetFileName(d)}')"))).ToList();
        return new VideoDataset(name, root, DatasetLayout.UcsdFrames, train, test, mFile);
    }

    internal static List<(int Start, int End)[]> ReadMatlabGtFrames(string mFile)
    {
        var result = new List<(int, int)[]>();
        string[] lines = File.ReadAllLines(mFile);
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            int comment = line.IndexOf('%');
            if (comment >= 0) line = line[..comment];
            int key = line.IndexOf("gt_frame", StringComparison.Ordinal);
            if (key < 0) continue;
            int open = line.IndexOf('[', key), close = line.IndexOf(']', key);
            if (open < 0 || close < open) throw new DatasetException($"{mFile}:{n + 1}: expected gt_frame = [a:b, ...]");
            var ranges = new List<(int, int)>();
            foreach (string token in line[(open + 1)..close].Split([',', ' ', ';', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                string[] ends = token.Split(':');
                if (ends.Length > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                    throw new DatasetException($"{mFile}:{n + 1}: cannot read frame range '{token}'");
                int a = int.Parse(ends[0], CultureInfo.InvariantCulture), b = int.Parse(ends[^1], CultureInfo.InvariantCulture);
                if (a < 1) throw new DatasetException($"{mFile}:{n + 1}: frame numbers are 1-based, got {a}");
                ranges.Add((a, b));
            }
            result.Add(ranges.ToArray());
        }
        if (result.Count == 0) throw new DatasetException($"{mFile}: no gt_frame entries");
        return result;
    }

    // ---------------- CUHK Avenue ----------------

    private static VideoDataset OpenAvenue(string root, string name)
    {
        string trainDir = Path.Combine(root, "training_videos");
        string testDir = Path.Combine(root, "testing_videos");
        var train = Directory.Exists(trainDir)
            ? VideoFiles(trainDir).Select(f => new DatasetVideo(Path.GetFileNameWithoutExtension(f), f, null)).ToList()
            : new List<DatasetVideo>();
        var testFiles = VideoFiles(testDir);
        if (testFiles.Count == 0) throw new DatasetException($"{testDir}: no video files");
        string maskDir = new[]
        {
            Path.Combine(root, "ground_truth_demo", "testing_label_mask"),
            Path.Combine(root, "testing_label_mask"),
        }.FirstOrDefault(Directory.Exists)
            ?? throw new DatasetException($"{root}: missing labels folder ground_truth_demo/testing_label_mask (N_label.mat per test video)");

        var test = new List<DatasetVideo>();
        foreach (string file in testFiles)
        {
            string clip = Path.GetFileNameWithoutExtension(file);
            if (!int.TryParse(clip, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
                throw new DatasetException($"{file}: Avenue test videos are numbered (01.avi ...); cannot match '{clip}' to a N_label.mat");
            string labelFile = Path.Combine(maskDir, $"{number}_label.mat");
            if (!File.Exists(labelFile)) throw new DatasetException($"{labelFile}: missing labels for test video {Path.GetFileName(file)}");
            test.Add(new DatasetVideo(clip, file, ReadAvenueMasks(labelFile)));
        }
        return new VideoDataset(name, root, DatasetLayout.Avenue, train, test, maskDir);
    }

    /// <summary>Avenue's N_label.mat holds volLabel, a 1xF cell of per-frame pixel masks: a frame is abnormal iff its
    /// mask has a set pixel. Masks are reduced as they are read, so a long clip never holds all masks at once.</summary>
    internal static int[] ReadAvenueMasks(string labelFile)
    {
        MatFile mat;
        var options = new MatReadOptions
        {
            NumericTransform = m => new MatNumericArray(m.Name, [1, 1], MatClass.UInt8, true, new[] { m.AnyNonZero() ? (byte)1 : (byte)0 }, null),
        };
        try { mat = MatFile.Read(labelFile, options); }
        catch (MatFormatException e) { throw new DatasetException(e.Message, e); }
        MatCellArray cell = (mat.TryGet("volLabel", out var v) ? v as MatCellArray : null)
            ?? mat.Variables.OfType<MatCellArray>().FirstOrDefault()
            ?? throw new DatasetException($"{labelFile}: no volLabel cell of frame masks");
        var labels = new int[cell.Count];
        for (int i = 0; i < cell.Count; i++)
        {
            if (cell[i] is not MatNumericArray m) throw new DatasetException($"{labelFile}: cell {i + 1} of '{cell.Name}' is not a numeric mask");
            labels[i] = m[0] != 0 ? 1 : 0;
        }
        return labels;
    }

    // ---------------- ShanghaiTech Campus ----------------

    private static VideoDataset OpenShanghaiTech(string root, string name)
    {
        string trainVideos = Path.Combine(root, "training", "videos");
        string trainFrames = Path.Combine(root, "training", "frames");
        var train = new List<DatasetVideo>();
        if (Directory.Exists(trainVideos))
            train.AddRange(VideoFiles(trainVideos).Select(f => new DatasetVideo(Path.GetFileNameWithoutExtension(f), f, null)));
        else if (Directory.Exists(trainFrames))
            train.AddRange(FrameFolders(trainFrames).Select(d => new DatasetVideo(Path.GetFileName(d), d, null)));

        string testDir = Path.Combine(root, "testing", "frames");
        string maskDir = Path.Combine(root, "testing", "test_frame_mask");
        if (!Directory.Exists(testDir)) throw new DatasetException($"{testDir}: missing (ShanghaiTech test frames, one folder per video)");
        var folders = FrameFolders(testDir);
        if (folders.Count == 0) throw new DatasetException($"{testDir}: no frame folders");
        var test = new List<DatasetVideo>();
        foreach (string folder in folders)
        {
            string clip = Path.GetFileName(folder);
            string npy = Path.Combine(maskDir, clip + ".npy");
            if (!File.Exists(npy)) throw new DatasetException($"{npy}: missing labels for test video '{clip}'");
            NpyArray array;
            try { array = NpyFile.Read(npy); }
            catch (NpyFormatException e) { throw new DatasetException(e.Message, e); }
            if (array.Shape.Length != 1) throw new DatasetException($"{npy}: expected a 1-D frame mask, got shape ({string.Join(", ", array.Shape)})");
            var labels = new int[array.Count];
            for (int i = 0; i < labels.Length; i++)
            {
                double x = array[i];
                labels[i] = x == 0 ? 0 : x == 1 ? 1 : throw new DatasetException($"{npy}: element {i} is {x.ToString(CultureInfo.InvariantCulture)}, not 0/1");
            }
            CheckCount(labels.Length, CountFrames(folder), npy, folder);
            test.Add(new DatasetVideo(clip, folder, labels));
        }
        return new VideoDataset(name, root, DatasetLayout.ShanghaiTech, train, test, maskDir);
    }

    // ---------------- generic ----------------

    private static VideoDataset OpenGeneric(string root, string name)
    {
        string trainDir = Path.Combine(root, "train");
        string testDir = Path.Combine(root, "test");
        var train = Directory.Exists(trainDir) ? Clips(trainDir).Select(c => new DatasetVideo(c.Name, c.Source, null)).ToList() : new List<DatasetVideo>();
        var clips = Clips(testDir);
        if (clips.Count == 0) throw new DatasetException($"{testDir}: no test videos or frame folders");
        string[] labelDirs = [testDir, Path.Combine(testDir, "labels"), Path.Combine(root, "test_labels")];
        var test = new List<DatasetVideo>();
        foreach (var (clip, source) in clips)
        {
            string file = labelDirs.Select(d => Path.Combine(d, clip + ".txt")).FirstOrDefault(File.Exists)
                ?? throw new DatasetException($"{Path.Combine(testDir, clip + ".txt")}: missing labels file for test video '{clip}' (also looked in test/labels/ and test_labels/)");
            int[] labels = ReadLabelsText(file);
            if (Directory.Exists(source)) CheckCount(labels.Length, CountFrames(source), file, source);
            test.Add(new DatasetVideo(clip, source, labels));
        }
        return new VideoDataset(name, root, DatasetLayout.Generic, train, test, testDir);
    }

    private static List<(string Name, string Source)> Clips(string dir)
    {
        var clips = VideoFiles(dir).Select(f => (Path.GetFileNameWithoutExtension(f), f))
            .Concat(FrameFolders(dir).Select(d => (Path.GetFileName(d), d)))
            .OrderBy(c => c.Item1, NaturalComparer.Instance)
            .ToList();
        var duplicate = clips.GroupBy(c => c.Item1).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new DatasetException($"{dir}: two clips named '{duplicate.Key}' ({string.Join(", ", duplicate.Select(d => Path.GetFileName(d.Item2)))})");
        return clips;
    }

    // ---------------- helpers ----------------

    internal static List<string> FrameFolders(string dir) =>
        Directory.GetDirectories(dir).Where(d => CountFrames(d) > 0).OrderBy(Path.GetFileName, NaturalComparer.Instance).ToList();

    internal static List<string> VideoFiles(string dir) =>
        Directory.Exists(dir)
            ? Directory.GetFiles(dir).Where(f => VideoExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(Path.GetFileName, NaturalComparer.Instance).ToList()
            : new List<string>();

    // "._name" files are macOS resource forks that some archives of these datasets carry.
    internal static int CountFrames(string folder) =>
        Directory.EnumerateFiles(folder).Count(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())
            && !Path.GetFileName(f).StartsWith("._", StringComparison.Ordinal));

    private static void CheckCount(int labels, int frames, string labelsPath, string framesPath)
    {
        if (labels != frames)
            throw new DatasetException($"{labelsPath}: {labels} labels but {framesPath} has {frames} frames (label count mismatch)");
    }

    /// <summary>One 0/1 per line; blank lines only at the end.</summary>
    internal static int[] ReadLabelsText(string file)
    {
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new DatasetException($"{file}: cannot read labels: {e.Message}", e); }
        int n = lines.Length;
        while (n > 0 && string.IsNullOrWhiteSpace(lines[n - 1])) n--;
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = lines[i].Trim() switch
            {
                "0" => 0,
                "1" => 1,
                var other => throw new DatasetException($"{file}:{i + 1}: expected 0 or 1, got '{other}'"),
            };
        }
        if (n == 0) throw new DatasetException($"{file}: empty labels file");
        return labels;
    }
}

/// <summary>Orders names with embedded numbers numerically ("2" before "10"), then ordinally.</summary>
public sealed class NaturalComparer : IComparer<string?>
{
    public static readonly NaturalComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                var a = x.AsSpan(si, i - si).TrimStart('0');
                var b = y.AsSpan(sj, j - sj).TrimStart('0');
                if (a.Length != b.Length) return a.Length.CompareTo(b.Length);
                int c = a.SequenceCompareTo(b);
                if (c != 0) return c;
            }
            else
            {
                int c = x[i].CompareTo(y[j]);
                if (c != 0) return c;
                i++;
                j++;
            }
        }
        int rest = (x.Length - i).CompareTo(y.Length - j);
        return rest != 0 ? rest : string.CompareOrdinal(x, y);
    }
}
