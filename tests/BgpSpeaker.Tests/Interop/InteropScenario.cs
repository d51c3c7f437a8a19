using System.Net;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// The scenario every interop test runs (as <see cref="BirdSessionTests"/> does against BIRD): us as
/// AS 4200000001 actively connecting from the lab's host namespace to a router AS 64512 in its peer
/// namespace, over IPv4 with IPv4 and IPv6 unicast, announcing 10 IPv4 /32 and 10 IPv6 /128 VIPs.
/// </summary>
internal static class InteropScenario
{
    public const uint OurAsn = 4200000001;
    public const uint PeerAsnNumber = 64512;
    public const string ShutdownMessage = "bgplb maintenance";

    /// <summary>The IPv4 VIPs 198.18.0.1-10/32 (MED 100, communities 65000:100 and NO_EXPORT, large community OurAsn:1:2) then the IPv6 ones 2001:db8:ffff::1-a/128 (MED 100).</summary>
    public static List<Route> Routes() => Enumerable.Range(1, 10).Select(i => new Route(IpPrefix.Parse($"198.18.0.{i}/32"))
    {
        MultiExitDisc = 100,
        Communities = new[] { Community.Of(65000, 100), Community.NoExport },
        LargeCommunities = new[] { new LargeCommunity(OurAsn, 1, 2) },
    }).Concat(Enumerable.Range(1, 10).Select(i => new Route(IpPrefix.Parse($"2001:db8:ffff::{i:x}/128")) { MultiExitDisc = 100 })).ToList();

    /// <summary>Our session, not started, with its sockets in <paramref name="lab"/>'s host namespace.</summary>
    public static PeerSession Session(NetnsLab lab)
    {
        var options = new PeerOptions
        {
            LocalAsn = OurAsn,
            PeerAsn = PeerAsn.Of(PeerAsnNumber),
            RouterId = 0xC0000202,
            HoldTime = 90,
            ConnectRetryTime = TimeSpan.FromSeconds(1),
        };
        var endpoint = new PeerEndpoint(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort))
        {
            LocalAddress = IPAddress.Parse(NetnsLab.HostV4),
            NextHopV6 = IPAddress.Parse(NetnsLab.HostV6),
            SocketFactory = lab.CreateSocket,
        };
        return new PeerSession(options, endpoint, TimeProvider.System, new Random(1));
    }

    /// <summary>Waits (bounded) until something in the peer namespace listens on TCP 179.</summary>
    public static bool WaitForListener(NetnsLab lab, TimeSpan timeout) =>
        NetnsLab.WaitUntil(() => lab.Ns("ss -Hltn sport = :179").Contains(":179", StringComparison.Ordinal), timeout);

    /// <summary>Fails with a clear message when a daemon binary is missing (the tests never skip).</summary>
    public static void RequireBinaries(string package, params string[] binaries)
    {
        foreach (var binary in binaries)
        {
            Xunit.Assert.True(NetnsLab.Run($"command -v {binary}").Code == 0,
                $"{binary} is not installed: run ./test.sh as root, it installs the {package} package");
        }
    }

    public static string ReadOrNone(string path) => File.Exists(path) ? File.ReadAllText(path) : $"(no {path})";

    /// <summary>Best effort: the daemon's working directory (config, logs, sockets) once it is killed.</summary>
    public static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
