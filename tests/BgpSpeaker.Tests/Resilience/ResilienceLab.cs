using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Tests.Interop;

namespace BgpLb.BgpSpeaker.Tests.Resilience;

/// <summary>
/// The resilience tests' lab, built as <see cref="NetnsLab"/> builds its own (same addresses, same
/// "sockets opened in the host namespace through setns" approach) but under the <c>bgplbr-</c>
/// namespace prefix, so that these tests and the interop tests never remove each other's
/// namespaces when they run side by side. Also owns a scratch directory for the router's config,
/// logs and sockets. Removed in all outcomes (stale ones of an earlier crash first).
/// </summary>
internal sealed class ResilienceLab : IDisposable
{
    private const string Prefix = "bgplbr";
    private const int CloneNewNet = 0x40000000;

    public ResilienceLab(string name)
    {
        // Namespaces this lab left behind in a crashed run (other labs may be running in parallel).
        NetnsLab.Run($"for n in $(ip netns list | awk '{{print $1}}' | grep '^{Prefix}-{name}-'); do ip netns pids $n | xargs -r kill -9; ip netns del $n; done");
        Namespace = $"{Prefix}-{name}-peer";
        HostNamespace = $"{Prefix}-{name}-host";
        Dir = Directory.CreateTempSubdirectory($"bgplbr-{name}-").FullName;
        NetnsLab.Sh($"ip netns add {Namespace}");
        NetnsLab.Sh($"ip netns add {HostNamespace}");
        Host($"ip link add h0 type veth peer name p0 netns {Namespace}");
        Host($"ip addr add {NetnsLab.HostV4}/24 dev h0");
        Host($"ip -6 addr add {NetnsLab.HostV6}/64 dev h0 nodad");
        Host("ip link set h0 up");
        Host("ip link set lo up");
        Ns($"ip addr add {NetnsLab.PeerV4}/24 dev p0");
        Ns($"ip -6 addr add {NetnsLab.PeerV6}/64 dev p0 nodad");
        Ns("ip link set p0 up");
        Ns("ip link set lo up");
    }

    /// <summary>The router's namespace.</summary>
    public string Namespace { get; }

    /// <summary>Our side's namespace.</summary>
    public string HostNamespace { get; }

    /// <summary>Scratch directory for the router (config, log, control socket, PID file).</summary>
    public string Dir { get; }

    public string Ns(string command, int timeoutSeconds = 20) => NetnsLab.Sh($"ip netns exec {Namespace} {command}", timeoutSeconds);

    public string Host(string command, int timeoutSeconds = 20) => NetnsLab.Sh($"ip netns exec {HostNamespace} {command}", timeoutSeconds);

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

    /// <summary>A TCP socket in the host namespace: created on a thread that joined it (setns), which then ends.</summary>
    public Socket CreateSocket(AddressFamily family)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{HostNamespace}");
                if (SetNs(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({HostNamespace}) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException($"Could not open a socket in {HostNamespace}.", failure);
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    public void Dispose()
    {
        NetnsLab.Run($"ip netns pids {Namespace} | xargs -r kill -9");
        NetnsLab.Run($"ip netns del {Namespace}");
        NetnsLab.Run($"ip netns del {HostNamespace}");
        InteropScenario.TryDelete(Dir);
    }
}
