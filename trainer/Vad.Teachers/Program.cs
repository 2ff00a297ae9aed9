namespace Vad.Teachers;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("Vad.Teachers: no commands yet");
        return 2;
    }
}
