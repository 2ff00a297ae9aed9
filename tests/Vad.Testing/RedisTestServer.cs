using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Vad.Testing;

/// <summary>
/// A real redis-server on loopback for integration tests: the one `./vad test` started (VAD_TEST_REDIS=host:port), or
/// one this fixture starts on a free port (no persistence) and stops at dispose. <see cref="StartOwn"/> always starts a
/// private one (for tests that restart Redis).
/// </summary>
public sealed class RedisTestServer : IDisposable
{
    private Process? _process;
    private readonly string? _dir;

    public string Host { get; } = "127.0.0.1";
    public int Port { get; }
    public string Configuration => $"{Host}:{Port},abortConnect=false,connectTimeout=2000";
    public string Endpoint => $"{Host}:{Port}";

    public RedisTestServer() : this(useShared: true) { }

    private RedisTestServer(bool useShared)
    {
        string? shared = useShared ? Environment.GetEnvironmentVariable("VAD_TEST_REDIS") : null;
        if (!string.IsNullOrWhiteSpace(shared))
        {
            var parts = shared.Split(':');
            Host = parts[0];
            Port = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            WaitUntilListening(TimeSpan.FromSeconds(10));
            return;
        }
        Port = TestPorts.Free();
        _dir = Directory.CreateTempSubdirectory("vad-redis-").FullName;
        Start();
    }

    public static RedisTestServer StartOwn() => new(useShared: false);

    /// <summary>True when this fixture owns the process (so it may stop and restart it).</summary>
    public bool OwnsProcess => _dir is not null;

    public void Start()
    {
        if (_dir is null) throw new InvalidOperationException("the shared redis-server is not this fixture's to start");
        var psi = new ProcessStartInfo("redis-server",
            $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no --dir {_dir}")
        { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            _process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed (./vad test installs it with apt)", e);
        }
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening(TimeSpan.FromSeconds(10));
    }

    /// <summary>Kills the server (as a crash would) and waits for it to go.</summary>
    public void Kill()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    private void WaitUntilListening(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(Host, Port);
                return;
            }
            catch (SocketException) when (sw.Elapsed < timeout)
            {
                Thread.Sleep(50);
            }
        }
    }

    public void Dispose()
    {
        Kill();
        if (_dir is not null) try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
