using System.Globalization;
using Vad.Core;
using Xunit;

namespace Vad.Core.Tests;

public class BenchMachineTests
{
    [Fact]
    public void The_one_minute_load_is_the_first_figure_of_the_load_average()
    {
        var raw = BenchMachine.LoadAverage();
        Assert.True(File.Exists("/proc/loadavg"), "this suite runs on Linux, where /proc/loadavg exists");
        var load = BenchMachine.OneMinuteLoad();
        Assert.NotNull(load);
        Assert.True(load >= 0);
        // The same figure as the raw line's first field (both reads happen within the same 5-second kernel update, or one apart).
        double first = double.Parse(raw.Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.InRange(load!.Value, first - 1, first + 1);
    }
}
