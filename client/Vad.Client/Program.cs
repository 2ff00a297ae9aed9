namespace Vad.Client;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("Vad.Client: no commands yet");
        return 2;
    }
}
