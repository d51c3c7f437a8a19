using System.Net;
using System.Net.Sockets;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// The resilience tests' lab: a <see cref="NetnsLab"/> (same addresses, sockets opened in the host
/// namespace through setns) under the <c>bgplbr-</c> namespace prefix, so that these tests and the
/// interop tests never remove each other's namespaces when they run side by side, plus a scratch
/// directory for the router's config, logs and sockets. Removed in all outcomes (stale ones of an
/// earlier crash first, by <see cref="NetnsLab"/>).
/// </summary>
internal sealed class ResilienceLab : IDisposable
{
    private const string DefaultPrefix = "bgplbr";
    private readonly NetnsLab _net;

    /// <param name="name">The lab's name, after the prefix.</param>
    /// <param name="prefix">Namespace prefix: a test that must never share stale-lab clean-up with the others (the stress test) takes its own.</param>
    public ResilienceLab(string name, string prefix = DefaultPrefix)
    {
        _net = new NetnsLab(name, prefix);
        Dir = Directory.CreateTempSubdirectory($"{prefix}-{name}-").FullName;
    }

    /// <summary>The router's namespace.</summary>
    public string Namespace => _net.Namespace;

    /// <summary>Our side's namespace.</summary>
    public string HostNamespace => _net.HostNamespace;

    /// <summary>Scratch directory for the router (config, log, control socket, PID file).</summary>
    public string Dir { get; }

    public string Ns(string command, int timeoutSeconds = 20) => _net.Ns(command, timeoutSeconds);

    public string Host(string command, int timeoutSeconds = 20) => _net.Host(command, timeoutSeconds);

    /// <summary>Our session's settings: AS 4200000001 against the router's AS 64512, 1 s first retry, at most 4 s.</summary>
    public static PeerOptions Options(ushort holdTime = 90, ushort? gracefulRestartTime = null) => new()
    {
        LocalAsn = InteropScenario.OurAsn,
        PeerAsn = PeerAsn.Of(InteropScenario.PeerAsnNumber),
        RouterId = 0xCB007102,
        HoldTime = holdTime,
        ConnectRetryTime = TimeSpan.FromSeconds(1),
        MaxConnectRetryTime = TimeSpan.FromSeconds(4),
        GracefulRestartTime = gracefulRestartTime,
    };

    /// <summary>The router as seen from our namespace, sockets opened there.</summary>
    public PeerEndpoint Endpoint(string? password = null) => new(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort))
    {
        LocalAddress = IPAddress.Parse(NetnsLab.HostV4),
        NextHopV6 = IPAddress.Parse(NetnsLab.HostV6),
        SocketFactory = CreateSocket,
        Password = password,
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };

    public PeerSession Session(PeerOptions options) => new(options, Endpoint(), TimeProvider.System, new Random(1));

    /// <summary>A TCP socket in the host namespace (see <see cref="NetnsLab.CreateSocket(AddressFamily)"/>).</summary>
    public Socket CreateSocket(AddressFamily family) => _net.CreateSocket(family);

    public void Dispose()
    {
        _net.Dispose();
        InteropScenario.TryDelete(Dir);
    }
}
