namespace Vad.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("Vad.Cli: no commands yet");
        return 2;
    }
}
