using System.Diagnostics;
using Vad.Core.Datasets;
using Vad.Core.Formats;
using Xunit;
using W = Vad.Core.Tests.MatTestWriter;

namespace Vad.Core.Tests;

public class DatasetsPed2Tests
{
    [Fact]
    public void Ped2OpensWithTheDocumentedCounts()
    {
        string root = Ped2Location.Require();
        var ds = VideoDataset.Open(root);
        Assert.Equal("ped2", ds.Name);
        Assert.Equal(DatasetLayout.UcsdFrames, ds.Layout);
        Assert.Equal(16, ds.Train.Count);
        Assert.Equal(12, ds.Test.Count);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => i.ToString("00")), ds.Test.Select(v => v.Name));
        Assert.All(ds.Train, v => Assert.Null(v.Labels));
        Assert.All(ds.Test, v => Assert.True(v.IsFramesFolder));
        Assert.Equal(Path.Combine(root, "testing", "frames", "01"), ds.Test[0].Source);
        Assert.Equal(2550, ds.Train.Sum(v => Directory.GetFiles(v.Source, "*.jpg").Length));
        Assert.Equal(2010, ds.TestFrames);
        Assert.Equal(1648, ds.TestAbnormalFrames);
        Assert.Equal(Path.Combine(root, "testing", "labels"), ds.LabelsSource);
    }

    [Fact]
    public void Ped2MatAndLabelsFolderAgreeExactly()
    {
        string root = Ped2Location.Require();
        var fromTxt = VideoDataset.Open(root);
        // The same frames with ped2.mat as the only ground truth (links, nothing copied or written in the dataset).
        string parent = Directory.CreateTempSubdirectory("vad-ped2mat-").FullName;
        try
        {
            string view = Path.Combine(parent, "ped2");
            Directory.CreateDirectory(Path.Combine(view, "training"));
            Directory.CreateDirectory(Path.Combine(view, "testing"));
            Directory.CreateSymbolicLink(Path.Combine(view, "training", "frames"), Path.Combine(root, "training", "frames"));
            Directory.CreateSymbolicLink(Path.Combine(view, "testing", "frames"), Path.Combine(root, "testing", "frames"));
            File.CreateSymbolicLink(Path.Combine(view, "ped2.mat"), Path.Combine(root, "ped2.mat"));
            var fromMat = VideoDataset.Open(view);
            Assert.EndsWith("ped2.mat", fromMat.LabelsSource);
            Assert.Equal(12, fromMat.Test.Count);
            Assert.Equal(2010, fromMat.TestFrames);
            Assert.Equal(1648, fromMat.TestAbnormalFrames);
            for (int i = 0; i < 12; i++)
            {
                Assert.Equal(fromTxt.Test[i].Name, fromMat.Test[i].Name);
                Assert.Equal(fromTxt.Test[i].Labels, fromMat.Test[i].Labels);
            }
            Assert.Equal(4, fromMat.Test.Count(v => v.Labels!.All(l => l == 1)));
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public void FindPed2LocatesTheSharedDatasetBesideTheRepository()
    {
        string? found = KnownDatasets.FindPed2();
        Assert.NotNull(found);
        Assert.True(File.Exists(Path.Combine(found, "ped2.mat")));
        if (Environment.GetEnvironmentVariable(KnownDatasets.Ped2Variable) is not { Length: > 0 })
            Assert.EndsWith(Path.Combine("shared", "data", "ped2"), found);
    }
}

/// <summary>Small layouts built by the tests: real frames and videos made by ffmpeg, masks as MAT v5, .npy masks.</summary>
public sealed class DatasetsLayoutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vad-datasets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Ffmpeg(string args)
    {
        var psi = new ProcessStartInfo("ffmpeg", "-v error -y " + args) { RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "ffmpeg timed out");
        Assert.True(p.ExitCode == 0, $"ffmpeg {args}: {err}");
    }

    private static string Video(string path, int frames)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Ffmpeg($"-f lavfi -i testsrc2=size=32x24:rate=10 -frames:v {frames} -c:v mpeg4 \"{path}\"");
        return path;
    }

    private static string Frames(string folder, int frames, string ext = "jpg")
    {
        Directory.CreateDirectory(folder);
        Ffmpeg($"-f lavfi -i testsrc2=size=32x24:rate=10 -frames:v {frames} -start_number 0 \"{Path.Combine(folder, "%03d." + ext)}\"");
        Assert.Equal(frames, Directory.GetFiles(folder).Length);
        return folder;
    }

    private static byte[] MaskCell(W w, int[] abnormal, int frames, bool logical, bool compressed)
    {
        var masks = new byte[frames][];
        for (int f = 0; f < frames; f++)
        {
            var pixels = new double[24 * 32];
            if (abnormal.Contains(f)) pixels[24 * 5 + 7] = 1; // one set pixel, column 5 row 7
            masks[f] = w.Numeric("", logical ? MatClass.UInt8 : MatClass.UInt8, [24, 32], pixels, W.MiUInt8, logical: logical);
        }
        return w.File((w.Cell("volLabel", [1, frames], masks), compressed));
    }

    [Fact]
    public void AvenueLayoutReadsMasksAsFrameLabels()
    {
        string root = Path.Combine(_dir, "avenue");
        Video(Path.Combine(root, "training_videos", "01.avi"), 4);
        Video(Path.Combine(root, "training_videos", "02.avi"), 4);
        Video(Path.Combine(root, "testing_videos", "01.avi"), 6);
        Video(Path.Combine(root, "testing_videos", "02.avi"), 5);
        string masks = Directory.CreateDirectory(Path.Combine(root, "ground_truth_demo", "testing_label_mask")).FullName;
        var w = new W();
        File.WriteAllBytes(Path.Combine(masks, "1_label.mat"), MaskCell(w, [2, 3], 6, logical: true, compressed: true));
        File.WriteAllBytes(Path.Combine(masks, "2_label.mat"), MaskCell(w, [0, 4], 5, logical: false, compressed: false));

        var ds = VideoDataset.Open(root);
        Assert.Equal(DatasetLayout.Avenue, ds.Layout);
        Assert.Equal(["01", "02"], ds.Train.Select(v => v.Name).ToArray());
        Assert.Equal(Path.Combine(root, "testing_videos", "02.avi"), ds.Test[1].Source);
        Assert.False(ds.Test[0].IsFramesFolder);
        Assert.Equal([0, 0, 1, 1, 0, 0], ds.Test[0].Labels!);
        Assert.Equal([1, 0, 0, 0, 1], ds.Test[1].Labels!);

        File.Delete(Path.Combine(masks, "2_label.mat"));
        var e = Assert.Throws<DatasetException>(() => VideoDataset.Open(root));
        Assert.Contains("2_label.mat", e.Message);

        File.WriteAllBytes(Path.Combine(masks, "2_label.mat"), [1, 2, 3]);
        e = Assert.Throws<DatasetException>(() => VideoDataset.Open(root));
        Assert.Contains("2_label.mat", e.Message);
    }

    [Fact]
    public void ShanghaiTechLayoutReadsNpyMasks()
    {
        string root = Path.Combine(_dir, "shanghaitech");
        Video(Path.Combine(root, "training", "videos", "01_001.avi"), 3);
        Frames(Path.Combine(root, "testing", "frames", "01_0014"), 5);
        Frames(Path.Combine(root, "testing", "frames", "01_0015"), 4);
        string maskDir = Directory.CreateDirectory(Path.Combine(root, "testing", "test_frame_mask")).FullName;
        File.WriteAllBytes(Path.Combine(maskDir, "01_0014.npy"), NpyTestWriter.Bools(0, 1, 1, 0, 0));
        var int64 = new byte[4 * 8];
        int64[8 * 3] = 1;
        File.WriteAllBytes(Path.Combine(maskDir, "01_0015.npy"), NpyTestWriter.Write("<i8", [4], int64, major: 2));

        var ds = VideoDataset.Open(root);
        Assert.Equal(DatasetLayout.ShanghaiTech, ds.Layout);
        Assert.Equal("01_001", Assert.Single(ds.Train).Name);
        Assert.Equal(["01_0014", "01_0015"], ds.Test.Select(v => v.Name).ToArray());
        Assert.True(ds.Test[0].IsFramesFolder);
        Assert.Equal([0, 1, 1, 0, 0], ds.Test[0].Labels!);
        Assert.Equal([0, 0, 0, 1], ds.Test[1].Labels!);

        File.WriteAllBytes(Path.Combine(maskDir, "01_0015.npy"), NpyTestWriter.Bools(0, 1, 0));
        var e = Assert.Throws<DatasetException>(() => VideoDataset.Open(root));
        Assert.Contains("01_0015.npy", e.Message);
        Assert.Contains("mismatch", e.Message);

        File.Delete(Path.Combine(maskDir, "01_0015.npy"));
        Assert.Contains("01_0015.npy", Assert.Throws<DatasetException>(() => VideoDataset.Open(root)).Message);
    }

    [Fact]
    public void GenericLayoutMixesVideosAndFrameFolders()
    {
        string root = Path.Combine(_dir, "mycam");
        Video(Path.Combine(root, "train", "day1.avi"), 3);
        Frames(Path.Combine(root, "train", "day2"), 3, "png");
        Video(Path.Combine(root, "test", "evening.avi"), 4);
        File.WriteAllText(Path.Combine(root, "test", "evening.txt"), "0\n0\n1\n1\n");
        Frames(Path.Combine(root, "test", "night"), 3);
        Directory.CreateDirectory(Path.Combine(root, "test", "labels"));
        File.WriteAllText(Path.Combine(root, "test", "labels", "night.txt"), "1\n0\n0\n\n");

        var ds = VideoDataset.Open(root);
        Assert.Equal(DatasetLayout.Generic, ds.Layout);
        Assert.Equal("mycam", ds.Name);
        Assert.Equal(["day1", "day2"], ds.Train.Select(v => v.Name).ToArray());
        Assert.Equal(["evening", "night"], ds.Test.Select(v => v.Name).ToArray());
        Assert.Equal([0, 0, 1, 1], ds.Test[0].Labels!);
        Assert.Equal([1, 0, 0], ds.Test[1].Labels!);

        File.WriteAllText(Path.Combine(root, "test", "labels", "night.txt"), "1\n0\n");
        var e = Assert.Throws<DatasetException>(() => VideoDataset.Open(root));
        Assert.Contains("night.txt", e.Message);
        Assert.Contains("2 labels", e.Message);

        File.WriteAllText(Path.Combine(root, "test", "labels", "night.txt"), "1\nyes\n0\n");
        Assert.Contains("night.txt:2", Assert.Throws<DatasetException>(() => VideoDataset.Open(root)).Message);

        File.Delete(Path.Combine(root, "test", "evening.txt"));
        Assert.Contains("'evening'", Assert.Throws<DatasetException>(() => VideoDataset.Open(root)).Message);
    }

    [Fact]
    public void Ped1StyleMatWithSeveralRangesPerClip()
    {
        string root = Path.Combine(_dir, "ped1");
        Frames(Path.Combine(root, "training", "frames", "01"), 2);
        Frames(Path.Combine(root, "testing", "frames", "01"), 4);
        Frames(Path.Combine(root, "testing", "frames", "02"), 6);
        var w = new W();
        byte[] mat = w.File((w.Cell("gt", [1, 2],
            w.Numeric("", MatClass.Double, [2, 1], [2, 3], W.MiUInt8),
            w.Numeric("", MatClass.Double, [2, 2], [1, 2, 5, 6], W.MiUInt8)), true));
        File.WriteAllBytes(Path.Combine(root, "ped1.mat"), mat);

        var ds = VideoDataset.Open(root);
        Assert.Equal(DatasetLayout.UcsdFrames, ds.Layout);
        Assert.Single(ds.Train);
        Assert.Equal([0, 1, 1, 0], ds.Test[0].Labels!);
        Assert.Equal([1, 1, 0, 0, 1, 1], ds.Test[1].Labels!);

        // A range past the clip's last frame is a label count mismatch.
        File.WriteAllBytes(Path.Combine(root, "ped1.mat"), w.File((w.Cell("gt", [1, 2],
            w.Numeric("", MatClass.Double, [2, 1], [2, 5], W.MiUInt8),
            w.Numeric("", MatClass.Double, [2, 1], [1, 6], W.MiUInt8)), false)));
        var e = Assert.Throws<DatasetException>(() => VideoDataset.Open(root));
        Assert.Contains("ped1.mat", e.Message);
        Assert.Contains("mismatch", e.Message);

        // One cell per test clip.
        File.WriteAllBytes(Path.Combine(root, "ped1.mat"), w.File((w.Cell("gt", [1, 1], w.Numeric("", MatClass.Double, [2, 1], [1, 2], W.MiUInt8)), false)));
        Assert.Contains("2 test clips", Assert.Throws<DatasetException>(() => VideoDataset.Open(root)).Message);

        File.Delete(Path.Combine(root, "ped1.mat"));
        Assert.Contains("no test labels", Assert.Throws<DatasetException>(() => VideoDataset.Open(root)).Message);
    }

    [Fact]
    public void OriginalUcsdDistributionWithItsMatlabScript()
    {
        string root = Path.Combine(_dir, "UCSDped1");
        Frames(Path.Combine(root, "Train", "Train001"), 2, "tif");
        Frames(Path.Combine(root, "Test", "Test001"), 4, "tif");
        Frames(Path.Combine(root, "Test", "Test002"), 6, "tif");
        Frames(Path.Combine(root, "Test", "Test002_gt"), 6, "bmp"); // pixel masks: not a clip
        File.WriteAllText(Path.Combine(root, "Test", "Test001", "._001.tif"), "resource fork");
        string m = Path.Combine(root, "Test", "UCSDped1.m");
        File.WriteAllText(m, "TestVideoFile = {};\n% frame-level ground truth\nTestVideoFile{end+1}.gt_frame = [2:3];\nTestVideoFile{end+1}.gt_frame = [1:2, 5:6];\n");

        var ds = VideoDataset.Open(root);
        Assert.Equal(DatasetLayout.UcsdFrames, ds.Layout);
        Assert.Equal("Train001", Assert.Single(ds.Train).Name);
        Assert.Equal(["Test001", "Test002"], ds.Test.Select(v => v.Name).ToArray());
        Assert.Equal([0, 1, 1, 0], ds.Test[0].Labels!);
        Assert.Equal([1, 1, 0, 0, 1, 1], ds.Test[1].Labels!);

        File.WriteAllText(m, "TestVideoFile{end+1}.gt_frame = [2:3];\nTestVideoFile{end+1}.gt_frame = [1:two];\n");
        Assert.Contains("UCSDped1.m:2", Assert.Throws<DatasetException>(() => VideoDataset.Open(root)).Message);
        File.WriteAllText(m, "TestVideoFile{end+1}.gt_frame = [2:3];\n");
        Assert.Contains("1 gt_frame entries", Assert.Throws<DatasetException>(() => VideoDataset.Open(root)).Message);
    }

    [Fact]
    public void UnknownLayoutAndMissingRootAreTypedErrorsNamingThePath()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var e = Assert.Throws<DatasetException>(() => VideoDataset.Open(empty));
        Assert.Contains(empty, e.Message);
        Assert.Contains("unknown dataset layout", e.Message);
        string missing = Path.Combine(_dir, "missing");
        Assert.Contains(missing, Assert.Throws<DatasetException>(() => VideoDataset.Open(missing)).Message);
    }

    [Fact]
    public void NaturalOrderPutsTwoBeforeTen()
    {
        string[] names = ["10", "2", "01_0015", "01_0014", "1", "a10", "a9"];
        Assert.Equal(["1", "01_0014", "01_0015", "2", "10", "a9", "a10"], names.OrderBy(n => n, NaturalComparer.Instance).ToArray());
    }
}
