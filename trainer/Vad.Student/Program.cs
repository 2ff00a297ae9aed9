namespace Vad.Student;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("Vad.Student: no commands yet");
        return 2;
    }
}
