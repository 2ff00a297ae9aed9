using Vad.Core.Cli;

namespace Vad.Cli;

/// <summary>The foundation CLI: evaluation, the decode benchmark and the demo. `./vad` forwards to it.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: Vad.Cli eval|bench-decode|demo [options]");
            return 2;
        }
        try
        {
            string[] rest = args[1..];
            return args[0] switch
            {
                "eval" => EvalCommand.Run(rest),
                "bench-decode" => DecodeBenchmarkCommand.Run(rest),
                "demo" => DemoCommand.Run(rest),
                _ => Fail($"unknown command '{args[0]}'"),
            };
        }
        catch (CommandArgsException e)
        {
            return Fail(e.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"vad: {message}");
        return 2;
    }
}
