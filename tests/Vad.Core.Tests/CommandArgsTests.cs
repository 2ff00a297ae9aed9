using Vad.Core.Cli;
using Xunit;

namespace Vad.Core.Tests;

public class CommandArgsTests
{
    [Fact]
    public void Options_flags_and_positionals_are_read_in_all_their_forms()
    {
        var a = new CommandArgs(["in.mp4", "--batch", "32", "--lr=0.5", "--mirror", "--splits", "a,b", "--splits", "c", "--", "--raw"], "mirror");
        Assert.Equal(32, a.GetInt("batch", 64));
        Assert.Equal(0.5, a.GetDouble("lr", 1));
        Assert.True(a.Flag("mirror"));
        Assert.Equal(["a", "b", "c"], a.GetAll("splits"));
        Assert.Equal(["in.mp4", "--raw"], a.Positionals);
        a.RejectUnknown();
        Assert.False(new CommandArgs(["--mirror=false"], "mirror").Flag("mirror"));
        Assert.False(new CommandArgs([], "mirror").Flag("mirror"));
        Assert.Equal(-3, new CommandArgs(["--offset", "-3"]).GetInt("offset", 0)); // a negative number is a value
    }

    [Fact]
    public void An_option_whose_value_is_missing_is_refused_rather_than_swallowing_the_next_option()
    {
        // Before: "--mirror" undeclared took "--batch" as its value and the run trained at the default batch.
        var e = Assert.Throws<CommandArgsException>(() => new CommandArgs(["--mirror", "--batch", "32"]));
        Assert.Contains("--mirror needs a value, got the option --batch", e.Message);
        Assert.Throws<CommandArgsException>(() => new CommandArgs(["--batch"]));
        Assert.Throws<CommandArgsException>(() => new CommandArgs(["--batch", "32", "--zzz", "1"]).RejectUnknown());
    }

    [Fact]
    public void Reading_an_undeclared_flag_is_a_programming_error_even_when_it_is_not_given()
    {
        var a = new CommandArgs(["--batch", "32"], "help");
        Assert.Throws<InvalidOperationException>(() => a.Flag("mirror"));
        Assert.False(a.Flag("help"));
    }
}
