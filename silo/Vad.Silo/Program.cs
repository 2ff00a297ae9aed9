namespace Vad.Silo;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine("usage: ./vad silo   (configured by appsettings.json + VAD_* environment variables, see CONFIG-CONTRACT)");
            return 0;
        }
        VadConfig cfg;
        try
        {
            cfg = VadConfig.FromEnvironment();
        }
        catch (VadConfigException e)
        {
            Console.Error.WriteLine($"vad silo: {e.Message}");
            return 2;
        }
        var app = VadSiloHost.Build(args, cfg);
        await app.RunAsync();
        return 0;
    }
}
