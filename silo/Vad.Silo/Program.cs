namespace Vad.Silo;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("Vad.Silo: no commands yet");
        return 2;
    }
}
