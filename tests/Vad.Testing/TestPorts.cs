using System.Net;
using System.Net.Sockets;

namespace Vad.Testing;

/// <summary>Ports for test servers and child processes to listen on.</summary>
public static class TestPorts
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Random PortRandom = new();

    /// <summary>
    /// A port that is free now and stays out of the OS's way. A port the OS picks (bind to 0) comes from the ephemeral
    /// range, where it is free only until the next outgoing connection of any process takes it: the silos' and the
    /// other test assemblies' connections did, and a silo then failed to bind its HTTP port ("address already in use").
    /// So the port is drawn below the ephemeral range (Linux 32768-60999), never handed out twice by this process, and
    /// checked free on loopback and on every interface (a silo's HTTP endpoint listens on [::]).
    /// </summary>
    public static int Free()
    {
        lock (HandedOut)
            for (int attempt = 0; attempt < 200; attempt++)
            {
                int port = PortRandom.Next(20000, 32000);
                if (!HandedOut.Contains(port) && CanListen(IPAddress.Loopback, port) && (!Socket.OSSupportsIPv6 || CanListen(IPAddress.IPv6Any, port)))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }
        throw new InvalidOperationException("no free port in 20000-31999 after 200 tries");
    }

    private static bool CanListen(IPAddress address, int port)
    {
        try
        {
            var l = new TcpListener(address, port);
            if (address.AddressFamily == AddressFamily.InterNetworkV6) l.Server.DualMode = true;
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException) { return false; }
    }
}
