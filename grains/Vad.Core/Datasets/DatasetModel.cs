namespace Vad.Core.Datasets;

/// <summary>A dataset that cannot be read: unknown layout, missing or inconsistent labels. The message names the path.</summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Which on-disk layout <see cref="VideoDataset.Open"/> recognised.</summary>
public enum DatasetLayout
{
    /// <summary>training/frames/NN, testing/frames/NN + testing/labels/NN.txt or a MATLAB cell of ranges (UCSD Ped1/Ped2 style);
    /// also the original UCSD distribution (Train/TrainNNN, Test/TestNNN, Test/UCSDpedN.m).</summary>
    UcsdFrames,
    /// <summary>CUHK Avenue: training_videos/*.avi, testing_videos/*.avi, ground_truth_demo/testing_label_mask/N_label.mat.</summary>
    Avenue,
    /// <summary>ShanghaiTech Campus: training/videos or training/frames, testing/frames/VID, testing/test_frame_mask/VID.npy.</summary>
    ShanghaiTech,
    /// <summary>train/ (normal videos or frame folders), test/ (videos or frame folders, one 0/1 labels file per video).</summary>
    Generic,
}

/// <summary>One clip of a dataset.</summary>
/// <param name="Name">Clip name, e.g. "01" (the frames folder name or the video file name without extension).</param>
/// <param name="Source">A frames folder or a video file path, as <c>FrameSource.Open</c> takes it.</param>
/// <param name="Labels">Frame-level ground truth, 0 = normal, 1 = abnormal, one per frame (test clips); null for training clips.</param>
public sealed record DatasetVideo(string Name, string Source, int[]? Labels)
{
    /// <summary>True when <see cref="Source"/> is a folder of frame images rather than a video file.</summary>
    public bool IsFramesFolder => Directory.Exists(Source);
}

/// <summary>A video anomaly detection dataset: normal training clips and labelled test clips.</summary>
public sealed class VideoDataset
{
    public VideoDataset(string name, string root, DatasetLayout layout, IReadOnlyList<DatasetVideo> train, IReadOnlyList<DatasetVideo> test, string labelsSource)
    {
        Name = name;
        Root = root;
        Layout = layout;
        Train = train;
        Test = test;
        LabelsSource = labelsSource;
    }

    /// <summary>Dataset name (the root folder's name, e.g. "ped2").</summary>
    public string Name { get; }
    /// <summary>Absolute path of the dataset root.</summary>
    public string Root { get; }
    public DatasetLayout Layout { get; }
    public IReadOnlyList<DatasetVideo> Train { get; }
    public IReadOnlyList<DatasetVideo> Test { get; }
    /// <summary>Where the test labels came from (a folder or file), for reports.</summary>
    public string LabelsSource { get; }

    public int TestFrames => Test.Sum(v => v.Labels?.Length ?? 0);
    public int TestAbnormalFrames => Test.Sum(v => v.Labels?.Count(l => l != 0) ?? 0);

    /// <summary>Recognises the layout under <paramref name="root"/> (see <see cref="DatasetLayout"/>) and reads the
    /// clip lists and the test labels. Throws <see cref="DatasetException"/> naming the path on any problem.</summary>
    public static VideoDataset Open(string root) => DatasetLayouts.Open(root);
}
