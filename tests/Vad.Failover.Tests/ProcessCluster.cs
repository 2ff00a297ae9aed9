using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Vad.Client;
using Vad.Silo;
using Vad.Testing;

namespace Vad.Failover.Tests;

/// <summary>Where the real programs are: the same bin/&lt;configuration&gt;/... folder as this test assembly.</summary>
public static class Programs
{
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Cluster.sln"))) return d.FullName;
        throw new InvalidOperationException($"no Cluster.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The built program of a project (e.g. silo/Vad.Silo), in the output folder this test assembly uses.</summary>
    public static string Dll(string projectDir, string name)
    {
        string self = Path.Combine(RepoRoot, "tests", "Vad.Failover.Tests");
        string suffix = Path.GetRelativePath(self, AppContext.BaseDirectory); // bin/Release/net10.0/linux-x64
        string path = Path.Combine(RepoRoot, projectDir, suffix, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is not built (the test project references it)", path);
        return path;
    }
}

/// <summary>
/// A redis-server with an append-only file (fsync always) in a private folder, like the StatefulSet's volume: killed
/// with SIGKILL and started again on the same port it comes back with its data (membership table, grain state).
/// </summary>
public sealed class PersistentRedis : IDisposable
{
    private Process? _process;
    private readonly string _dir = Directory.CreateTempSubdirectory("vad-failover-redis-").FullName;
    public int Port { get; } = TestPorts.Free();
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000";

    public PersistentRedis() => Start();

    public void Start()
    {
        var psi = new ProcessStartInfo("redis-server",
            $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly yes --appendfsync always --dir {_dir}")
        { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        _process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (sw.Elapsed < TimeSpan.FromSeconds(10)) { Thread.Sleep(50); }
        }
    }

    /// <summary>SIGKILL, as a crash or a node loss would.</summary>
    public void Kill()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

/// <summary>One ./vad silo process (Vad.Silo.dll under dotnet), configured only by the manifests' environment variables.</summary>
public sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    public string Name { get; }
    public string Roles { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public SiloProcess(string name, string roles, IReadOnlyDictionary<string, string> clusterEnv, string logDir)
    {
        Name = name;
        Roles = roles;
        SiloPort = TestPorts.Free();
        GatewayPort = TestPorts.Free();
        HttpPort = TestPorts.Free();
        LogPath = Path.Combine(logDir, $"{name}.log");
        _log = new StreamWriter(LogPath) { AutoFlush = true };
        var psi = new ProcessStartInfo("dotnet", [Programs.Dll("silo/Vad.Silo", "Vad.Silo.dll")])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Programs.RepoRoot,
        };
        foreach (var (k, v) in clusterEnv) psi.Environment[k] = v;
        psi.Environment["VAD_ROLES"] = roles;
        psi.Environment["VAD_SILO_PORT"] = SiloPort.ToString();
        psi.Environment["VAD_GATEWAY_PORT"] = GatewayPort.ToString();
        psi.Environment["VAD_HTTP_PORT"] = HttpPort.ToString();
        psi.Environment["POD_NAME"] = name;
        psi.Environment["POD_IP"] = "127.0.0.1";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__Vad"] = "Information";
        psi.Environment["DOTNET_gcServer"] = "0";
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"silo {name} did not start");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(2) };
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"silo {Name} exited with {_process.ExitCode}:\n{Tail()}");
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            if (sw.Elapsed > timeout) throw new TimeoutException($"silo {Name} not ready within {timeout.TotalSeconds:0} s:\n{Tail()}");
            await Task.Delay(200);
        }
    }

    public string Tail(int lines = 40)
    {
        lock (_log)
        {
            try
            {
                using var fs = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var all = new StreamReader(fs).ReadToEnd().Split('\n');
                return string.Join('\n', all.TakeLast(lines));
            }
            catch (IOException e) { return e.Message; }
        }
    }

    /// <summary>kill -9: no graceful shutdown, no deactivation, the membership row stays until the others vote it dead.</summary>
    public void Kill9()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true); // SIGKILL on Linux
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        try { Kill9(); } catch (Exception) { }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }
}

/// <summary>
/// Redis + 2 cpu silos + 1 gpu-role silo as separate processes on loopback, and a cluster client in the test process,
/// all configured through the environment variables the k8s manifests set (CONFIG-CONTRACT.md).
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public PersistentRedis Redis { get; }
    public List<SiloProcess> Silos { get; } = [];
    public Dictionary<string, string> Env { get; }
    public string LogDir { get; }
    public ClusterConnection? Connection { get; private set; }
    public IClusterClient Client => Connection!.Client;

    private ProcessCluster(PersistentRedis redis, Dictionary<string, string> env, string logDir)
    {
        Redis = redis;
        Env = env;
        LogDir = logDir;
    }

    public static async Task<ProcessCluster> StartAsync(string modelPath, string testName)
    {
        var redis = new PersistentRedis();
        var env = new Dictionary<string, string>
        {
            ["VAD_CLUSTERING"] = "Redis",
            ["VAD_STORAGE"] = "Redis",
            ["VAD_REDIS"] = redis.Configuration,
            ["VAD_SERVICE_ID"] = "vad-failover",
            ["VAD_CLUSTER_ID"] = $"{testName}-{Guid.NewGuid():N}"[..Math.Min(40, testName.Length + 33)],
            ["VAD_MODEL"] = modelPath,
            // Failover in seconds, not the production defaults (tens of seconds): see silo/README.md.
            ["VAD_MEMBERSHIP_PROBE_TIMEOUT_S"] = "2",
            ["VAD_MEMBERSHIP_MISSED_PROBES"] = "3",
            ["VAD_RESPONSE_TIMEOUT_S"] = "5",
            ["VAD_DIRECTORY_LEASE_S"] = "5",
            ["VAD_SHUTDOWN_TIMEOUT_S"] = "5",
        };
        string logDir = Directory.CreateTempSubdirectory($"vad-failover-{testName}-").FullName;
        var cluster = new ProcessCluster(redis, env, logDir);
        try
        {
            // The gpu-role silo first (it hosts the inference grains), then the cpu silos.
            cluster.Silos.Add(new SiloProcess("gpu-0", "gpu", env, logDir));
            cluster.Silos.Add(new SiloProcess("cpu-0", "cpu", env, logDir));
            cluster.Silos.Add(new SiloProcess("cpu-1", "cpu", env, logDir));
            await Task.WhenAll(cluster.Silos.Select(s => s.WaitReadyAsync(TimeSpan.FromSeconds(90))));
            cluster.Connection = await ClusterConnection.ConnectAsync(cluster.ClientConfig(), timeout: TimeSpan.FromSeconds(30));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The client's configuration, parsed from the same variables by the same code as ./vad ingest.</summary>
    public VadConfig ClientConfig() =>
        VadConfig.From(new ConfigurationBuilder().AddInMemoryCollection(Env.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value))).Build());

    public SiloProcess Silo(string name) => Silos.Single(s => s.Name == name);

    /// <summary>The silo process a CameraStatus.Silo / SiloInfo.Address ("127.0.0.1:port@generation") names.</summary>
    public SiloProcess? ByAddress(string address) => Silos.FirstOrDefault(s => address.Contains($":{s.SiloPort}@", StringComparison.Ordinal));

    /// <summary>Logs of every silo, for a failing assertion's message.</summary>
    public string Logs() => string.Join("\n", Silos.Select(s => $"---- {s.Name} ({s.LogPath})\n{s.Tail(25)}"));

    public async ValueTask DisposeAsync()
    {
        if (Connection is not null)
        {
            try { await Connection.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { }
        }
        foreach (var s in Silos) s.Dispose();
        Redis.Dispose();
    }
}
