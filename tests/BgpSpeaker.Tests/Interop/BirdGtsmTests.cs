using System.Net;
using System.Text.RegularExpressions;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Session;
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

    private static string BirdConfig(string dir, bool ttlSecurity) => $$"""
        router id {{NetnsLab.PeerV4}};
        log "{{dir}}/bird.log" all;
        protocol device { }
        protocol bgp bgplb {
          local {{NetnsLab.PeerV4}} as {{InteropScenario.PeerAsnNumber}};
          neighbor {{NetnsLab.HostV4}} as {{InteropScenario.OurAsn}};
          passive on;
          {{(ttlSecurity ? "ttl security yes;" : "")}}
          hold time 9;
          ipv4 { import all; export none; };
        }
        """;

    /// <summary>BIRD and a capture of TCP 179 on its interface, both in the lab's router namespace.</summary>
    private static (string Dir, Func<string, string> Birdc) StartBird(NetnsLab lab, bool ttlSecurity)
    {
        InteropScenario.RequireBinaries("bird2", "bird", "birdc");
        InteropScenario.RequireBinaries("tcpdump", "tcpdump");
        var dir = Directory.CreateTempSubdirectory("bgplb-gtsm-").FullName;
        File.WriteAllText(Path.Combine(dir, "bird.conf"), BirdConfig(dir, ttlSecurity));
        NetnsLab.Sh($"ip netns exec {lab.Namespace} timeout 60 tcpdump -i p0 -nn -v -l 'tcp port 179' > {dir}/capture.txt 2>&1 &");
        Assert.True(NetnsLab.WaitUntil(() => File.Exists($"{dir}/capture.txt") && File.ReadAllText($"{dir}/capture.txt").Contains("listening on", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
            "tcpdump did not start in the router namespace");
        lab.Ns($"bird -c {dir}/bird.conf -s {dir}/bird.ctl -P {dir}/bird.pid");
        Assert.True(InteropScenario.WaitForListener(lab, TimeSpan.FromSeconds(10)), "BIRD does not listen on 179");
        return (dir, command => NetnsLab.Run($"birdc -s {dir}/bird.ctl {command}").Output);
    }

    private static PeerSession Session(NetnsLab lab, byte? gtsmHops) => new(
        new PeerOptions { LocalAsn = InteropScenario.OurAsn, PeerAsn = PeerAsn.Of(InteropScenario.PeerAsnNumber), RouterId = 0xCB007102, HoldTime = 9, ConnectRetryTime = TimeSpan.FromSeconds(1) },
        new PeerEndpoint(new IPEndPoint(IPAddress.Parse(NetnsLab.PeerV4), PeerEndpoint.BgpPort))
        {
            LocalAddress = IPAddress.Parse(NetnsLab.HostV4),
            SocketFactory = lab.CreateSocket,
            GtsmHops = gtsmHops,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        },
        TimeProvider.System, new Random(1));

    /// <summary>The TTLs seen in the capture, per source address (tcpdump -v: IP header line, then "src.port > dst.port").</summary>
    private static Dictionary<string, HashSet<int>> Ttls(string dir)
    {
        var ttls = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        foreach (Match m in CapturedPacket().Matches(File.ReadAllText($"{dir}/capture.txt")))
        {
            var source = m.Groups["src"].Value;
            if (!ttls.TryGetValue(source, out var set))
            {
                ttls[source] = set = [];
            }
            set.Add(int.Parse(m.Groups["ttl"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        return ttls;
    }

    [GeneratedRegex(@"ttl (?<ttl>\d+),[^\n]*\n\s+(?<src>\d+\.\d+\.\d+\.\d+)\.\d+ > ")]
    private static partial Regex CapturedPacket();

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
            var ttls = Ttls(dir);
            output.WriteLine(Describe(ttls));
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
            // BIRD's kernel (IP_MINTTL 255 on its socket) drops our segments: BIRD never gets our OPEN.
            Assert.False(NetnsLab.WaitUntil(() => session.State == BgpState.Established, TimeSpan.FromSeconds(8)), "established with TTL 1 against ttl security");
            Assert.DoesNotContain("Established", birdc("show protocols bgplb"), StringComparison.Ordinal);
            var ttls = Ttls(dir);
            output.WriteLine(Describe(ttls));
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
            var ttls = Ttls(dir);
            output.WriteLine(Describe(ttls));
            Assert.Equal([255], ttls[NetnsLab.HostV4]);
            Assert.Contains(1, ttls[NetnsLab.PeerV4]); // BIRD's OPEN and its retransmissions, which our kernel dropped
        }
        finally
        {
            NetnsLab.Run($"kill $(cat {dir}/bird.pid)");
        }
    }
}
