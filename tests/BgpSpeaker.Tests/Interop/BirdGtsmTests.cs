using System.Net;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>
/// GTSM (RFC 5082) against BIRD's <c>ttl security</c>: with both ends on, the session comes up and
/// every segment on the wire carries TTL 255; with one end off, the other end's kernel drops what
/// arrives with a lower TTL, and the capture in the router's namespace shows the TTLs that failed.
/// </summary>
[Trait("Category", "Interop")]
public sealed partial class BirdGtsmTests(ITestOutputHelper output)
{
    private const string LabPrefix = "bgplbs";

    private static string BirdConfig(string dir, bool ttlSecurity, bool ipv6 = false) => $$"""
        router id {{NetnsLab.PeerV4}};
        log "{{dir}}/bird.log" all;
        protocol device { }
        protocol bgp bgplb {
          local {{(ipv6 ? NetnsLab.PeerV6 : NetnsLab.PeerV4)}} as {{InteropScenario.PeerAsnNumber}};
          neighbor {{(ipv6 ? NetnsLab.HostV6 : NetnsLab.HostV4)}} as {{InteropScenario.OurAsn}};
          passive on;
          {{(ttlSecurity ? "ttl security yes;" : "")}}
          hold time 9;
          ipv4 { import all; export none; };
          ipv6 { import all; export none; };
        }
        """;

    /// <summary>BIRD and a capture of TCP 179 on its interface, both in the lab's router namespace.</summary>
    private static (string Dir, Func<string, string> Birdc) StartBird(NetnsLab lab, bool ttlSecurity, bool ipv6 = false)
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        InteropScenario.RequireBinaries("tcpdump", "tcpdump");
        var dir = Directory.CreateTempSubdirectory("bgplb-gtsm-").FullName;
        File.WriteAllText(Path.Combine(dir, "bird.conf"), BirdConfig(dir, ttlSecurity, ipv6));
        NetnsLab.Sh($"ip netns exec {lab.Namespace} timeout 60 tcpdump -i p0 -nn -v -l 'tcp port 179' > {dir}/capture.txt 2>&1 &");
        Assert.True(NetnsLab.WaitUntil(() => File.Exists($"{dir}/capture.txt") && File.ReadAllText($"{dir}/capture.txt").Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
            "tcpdump did not start in the router namespace");
        lab.Ns($"bird -c {dir}/bird.conf -s {dir}/bird.ctl -P {dir}/bird.pid");
        Assert.True(InteropScenario.WaitForListener(lab, TimeSpan.FromSeconds(10)), "BIRD does not listen on 179");
        return (dir, command => NetnsLab.Run($"birdc -s {dir}/bird.ctl {command}").Output);
    }

    private static PeerSession Session(NetnsLab lab, byte? gtsmHops, bool ipv6 = false) => new(
        new PeerOptions { LocalAsn = InteropScenario.OurAsn, PeerAsn = PeerAsn.Of(InteropScenario.PeerAsnNumber), RouterId = 0xCB007102, HoldTime = 9, ConnectRetryTime = TimeSpan.FromSeconds(1) },
        new PeerEndpoint(new IPEndPoint(IPAddress.Parse(ipv6 ? NetnsLab.PeerV6 : NetnsLab.PeerV4), PeerEndpoint.BgpPort))
        {
            LocalAddress = IPAddress.Parse(ipv6 ? NetnsLab.HostV6 : NetnsLab.HostV4),
            NextHopV4 = ipv6 ? IPAddress.Parse(NetnsLab.HostV4) : null,
            SocketFactory = lab.CreateSocket,
            GtsmHops = gtsmHops,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
        TimeProvider.System, new Random(1));

    /// <summary>
    /// The TTLs (IPv6: hop limits) seen in the capture, per source address. tcpdump -v writes an
    /// IPv4 header line, then "src.port > dst.port: Flags [..]"; IPv6 "IP6 (… hlim N, … length: L) src.port > dst.port: Flags [..]"
    /// on one line. Resets are left out: not session traffic.
    /// </summary>
    private static Dictionary<string, HashSet<int>> Ttls(string dir)
    {
        var ttls = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        foreach (Match m in CapturedPacket().Matches(File.ReadAllText($"{dir}/capture.txt")))
        {
            if (m.Groups["flags"].Value.StartsWith('R'))
            {
                continue; // a reset for a connection the router refused comes from the kernel, with its default TTL
            }
            var source = m.Groups["src"].Value;
            if (!ttls.TryGetValue(source, out var set))
            {
                ttls[source] = set = [];
            }
            set.Add(int.Parse(m.Groups["ttl"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        return ttls;
    }

    [GeneratedRegex(@"(?:ttl (?<ttl>\d+),[^\n]*\n\s+(?<src>\d+\.\d+\.\d+\.\d+)|hlim (?<ttl>\d+),[^\n]*?length: \d+\) (?<src>[0-9a-f:]+))\.\d+ > [^ ]+ Flags \[(?<flags>[^\]]*)\]")]
    private static partial Regex CapturedPacket();

    /// <summary>
    /// The capture once every one of <paramref name="sources"/> shows in it: tcpdump writes what it
    /// captured a little after the packets flew, later still on a loaded machine (bounded wait).
    /// </summary>
    private Dictionary<string, HashSet<int>> CapturedFrom(string dir, params string[] sources)
    {
        var ttls = Ttls(dir);
        Assert.True(NetnsLab.WaitUntil(() => sources.All((ttls = Ttls(dir)).ContainsKey), TimeSpan.FromSeconds(10)),
            $"the capture lacks one of {string.Join(", ", sources)}: {Describe(ttls)}");
        output.WriteLine(Describe(ttls));
        return ttls;
    }

    private static string Describe(Dictionary<string, HashSet<int>> ttls) =>
        string.Join("; ", ttls.Select(kv => $"{kv.Key}: ttl {string.Join(",", kv.Value)}"));

    [Fact]
    public async Task Gtsm_on_both_ends_establishes_with_ttl_255_both_ways()
    {
        using var lab = new NetnsLab("gtsm", LabPrefix);
        var (dir, birdc) = StartBird(lab, ttlSecurity: true);
        try
        {
            await using var session = Session(lab, gtsmHops: 1);
            session.Start();
            Assert.True(NetnsLab.WaitUntil(() => session.State == BgpState.Established, TimeSpan.FromSeconds(20)),
                $"{session.State} {session.LastConnectionError}\n{birdc("show protocols all bgplb")}");
            Assert.Contains("Established", birdc("show protocols bgplb"), StringComparison.Ordinal);
            var ttls = CapturedFrom(dir, NetnsLab.HostV4, NetnsLab.PeerV4);
            Assert.Equal([255], ttls[NetnsLab.HostV4]);
            Assert.Equal([255], ttls[NetnsLab.PeerV4]);
        }
        finally
        {
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }

    [Fact]
    public async Task Without_gtsm_our_ttl_1_is_dropped_by_birds_ttl_security()
    {
        using var lab = new NetnsLab("gtsmoff", LabPrefix);
        var (dir, birdc) = StartBird(lab, ttlSecurity: true);
        try
        {
            await using var session = Session(lab, gtsmHops: null); // eBGP single hop: TTL 1
            session.Start();
            // BIRD's kernel (IP_MINTTL 255 on its session socket) drops our segments, so BIRD never gets to
            // Established. Which of our segments are dropped depends on BIRD: it sets IP_MINTTL on the socket
            // it accepted, after accept(), so on a slow machine our OPEN may land in that window, BIRD answers
            // it, and our side sees BIRD's OPEN and KEEPALIVE (seen in CI) while BIRD never gets our KEEPALIVE.
            // The drop is BIRD's, so BIRD's own state is what is asserted, sampled for 8 s.
            Assert.False(NetnsLab.WaitUntil(() => birdc("show protocols bgplb").Contains("Established", StringComparison.Ordinal), TimeSpan.FromSeconds(8), 200),
                $"BIRD established with our TTL 1 against its ttl security (we are {session.State})");
            var ttls = CapturedFrom(dir, NetnsLab.HostV4);
            Assert.Equal([1], ttls[NetnsLab.HostV4]);
        }
        finally
        {
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }

    [Fact]
    public async Task Our_gtsm_minimum_drops_a_router_that_does_not_send_255()
    {
        using var lab = new NetnsLab("gtsmmin", LabPrefix);
        var (dir, birdc) = StartBird(lab, ttlSecurity: false);
        try
        {
            await using var session = Session(lab, gtsmHops: 1);
            session.Start();
            // BIRD's listener answers our SYN with TTL 255, but its session socket then sends with
            // TTL 1 (direct eBGP): our IP_MINTTL 255 drops BIRD's OPEN, so we never leave OpenSent.
            Assert.False(NetnsLab.WaitUntil(() => session.State == BgpState.Established, TimeSpan.FromSeconds(8)), "established with a router sending TTL 1");
            Assert.NotEqual(BgpState.OpenConfirm, session.State);
            Assert.DoesNotContain("Established", birdc("show protocols bgplb"), StringComparison.Ordinal);
            var ttls = CapturedFrom(dir, NetnsLab.HostV4, NetnsLab.PeerV4);
            Assert.Equal([255], ttls[NetnsLab.HostV4]);
            Assert.Contains(1, ttls[NetnsLab.PeerV4]); // BIRD's OPEN and its retransmissions, which our kernel dropped
        }
        finally
        {
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }

    [Fact]
    public async Task Over_ipv6_transport_gtsm_establishes_and_bird_gets_both_families()
    {
        using var lab = new NetnsLab("gtsm6", LabPrefix);
        var (dir, birdc) = StartBird(lab, ttlSecurity: true, ipv6: true);
        try
        {
            await using var session = Session(lab, gtsmHops: 1, ipv6: true);
            session.SetRoutes([new Route(IpPrefix.Parse("198.18.0.1/32")), new Route(IpPrefix.Parse("2001:db8:ffff::1/128"))]);
            session.Start();
            Assert.True(NetnsLab.WaitUntil(() => session.State == BgpState.Established, TimeSpan.FromSeconds(20)),
                $"{session.State} {session.LastConnectionError}\n{birdc("show protocols all bgplb")}");
            Assert.True(NetnsLab.WaitUntil(() => birdc("show route count protocol bgplb").Contains("2 of 2 routes", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                birdc("show route all protocol bgplb"));
            // IPv6 VIP: our session address; IPv4 VIP over the IPv6 session: the configured NextHopV4.
            Assert.Contains($"BGP.next_hop: {NetnsLab.HostV6}", birdc("show route all 2001:db8:ffff::1/128 protocol bgplb"), StringComparison.Ordinal);
            Assert.Contains($"BGP.next_hop: {NetnsLab.HostV4}", birdc("show route all 198.18.0.1/32 protocol bgplb"), StringComparison.Ordinal);
            var ttls = CapturedFrom(dir, NetnsLab.HostV6, NetnsLab.PeerV6);
            Assert.Equal([255], ttls[NetnsLab.HostV6]); // hop limit, IPV6_UNICAST_HOPS
            Assert.Equal([255], ttls[NetnsLab.PeerV6]);
        }
        finally
        {
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }
}
