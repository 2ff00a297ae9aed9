using Vad.Core.Evaluation;
using Xunit;

namespace Vad.Core.Tests;

public sealed class ScoresFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vad-scores-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriteThenReadRoundTripsExactly()
    {
        double[] values = [0, 1, 0.1, 1e-17, -3.25, 123456.789012345, double.Epsilon];
        ScoresFolder.Write(_dir, "01", values);
        ScoresFolder.Write(_dir, "02", [0.5]);
        var read = ScoresFolder.Read(_dir);
        Assert.Equal(["01", "02"], read.Keys.ToArray());
        Assert.Equal(values, read["01"]);
        Assert.Equal("0\n1\n0.1\n", string.Concat(File.ReadAllLines(Path.Combine(_dir, "01.txt")).Take(3).Select(l => l + "\n")));
    }

    [Fact]
    public void InvariantCultureRegardlessOfTheCurrentCulture()
    {
        var saved = Thread.CurrentThread.CurrentCulture;
        try
        {
            // A decimal-comma culture (built by hand: the test host may run in globalization-invariant mode).
            var comma = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            Thread.CurrentThread.CurrentCulture = comma;
            Assert.Equal("0,25", 0.25.ToString());
            ScoresFolder.Write(_dir, "v", [0.25]);
            Assert.Equal("0.25", File.ReadAllText(Path.Combine(_dir, "v.txt")).Trim());
            Assert.Equal([0.25], ScoresFolder.ReadFile(Path.Combine(_dir, "v.txt")));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = saved;
        }
    }

    [Fact]
    public void TrailingBlankLinesAreIgnoredButNonNumbersAreErrorsWithFileAndLine()
    {
        string ok = Path.Combine(_dir, "ok.txt");
        File.WriteAllText(ok, "0.5\n1e-3\n  2 \n\n\n");
        Assert.Equal([0.5, 0.001, 2], ScoresFolder.ReadFile(ok));

        string bad = Path.Combine(_dir, "bad.txt");
        File.WriteAllText(bad, "0.5\n0,7\n");
        var e = Assert.Throws<EvaluationException>(() => ScoresFolder.ReadFile(bad));
        Assert.Contains("bad.txt:2", e.Message);

        File.WriteAllText(bad, "0.5\n\n0.7\n");
        Assert.Contains("bad.txt:2", Assert.Throws<EvaluationException>(() => ScoresFolder.ReadFile(bad)).Message);

        File.WriteAllText(bad, "NaN\n");
        Assert.Contains("not a finite number", Assert.Throws<EvaluationException>(() => ScoresFolder.ReadFile(bad)).Message);
    }

    [Fact]
    public void MissingFolderOrVideoIsAnError()
    {
        string nowhere = Path.Combine(_dir, "nope");
        Assert.Contains(nowhere, Assert.Throws<EvaluationException>(() => ScoresFolder.Read(nowhere)).Message);
        Assert.Contains("no <video>.txt", Assert.Throws<EvaluationException>(() => ScoresFolder.Read(_dir)).Message);
        ScoresFolder.Write(_dir, "01", [1]);
        var e = Assert.Throws<EvaluationException>(() => ScoresFolder.Read(_dir, ["01", "02"]));
        Assert.Contains("'02'", e.Message);
        Assert.Throws<EvaluationException>(() => ScoresFolder.Write(_dir, "x", [double.PositiveInfinity]));
    }
}
