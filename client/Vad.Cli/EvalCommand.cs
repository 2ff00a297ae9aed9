namespace Vad.Cli;

public static class EvalCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("vad: this command is being written");
        return 2;
    }
}
