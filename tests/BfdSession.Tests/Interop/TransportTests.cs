using BgpLb.BfdSession.Wire;
using BgpLb.BgpSpeaker.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace BgpLb.BfdSession.Tests.Interop;

/// <summary>
/// The transport rules, with hand-made packets sent from the peer namespace (python3) and what we
/// send read by tcpdump/tshark there: RFC 5881 §4–§5 (ports, source port range, TTL 255 both
/// ways), RFC 5883 (4784, minimum TTL), RFC 5880 §6.3 demultiplexing, named drop counters.
/// </summary>
[Trait("Category", "Interop")]
public sealed class TransportTests(ITestOutputHelper output)
{
    private const string Sender = "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); " +
        "s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(sys.argv[1])); s.bind(('" + NetnsLab.PeerV4 + "', 50001)); " +
        "s.sendto(bytes.fromhex(sys.argv[2]), ('" + NetnsLab.HostV4 + "', int(sys.argv[3])))";

    private static void Send(BfdLab lab, int ttl, string hex, int port = 3784) =>
        lab.Net.Ns($"python3 -c \"{Sender}\" {ttl} {hex} {port}");

    /// <summary>A Control packet from the peer: state, My Discriminator 0x0000BEEF, Your Discriminator as given, 1 s / 1 s, x3.</summary>
    private static string Packet(BfdState state, uint your, byte version = 1) =>
        $"{(version << 5):X2}{(int)state << 6:X2}0318" + "0000BEEF" + your.ToString("X8", System.Globalization.CultureInfo.InvariantCulture) + "000F4240000F424000000000";

    [Fact]
    public async Task Packets_are_checked_demultiplexed_and_counted_by_reason_and_ours_leave_with_ttl_255_from_a_high_port()
    {
        BfdLab.RequireBinaries("tcpdump and tshark", "tcpdump", "tshark", "python3");
        await using var lab = new BfdLab("transport");
        var single = BfdLab.PeerV4;
        var multi = BfdLab.PeerV4 with { Interface = null, Multihop = true };
        var v6 = BfdLab.PeerV6;

        // What we send, seen from the peer: 6 s covers the 1 s slow rate of three sessions.
        var pcap = $"{lab.Dir}/ours.pcap";
        var dump = lab.Net.Ns($"sh -c 'timeout 6 tcpdump -i p0 -U -w {pcap} udp and \\( dst port 3784 or dst port 4784 \\) >/dev/null 2>&1 & echo started'");
        Thread.Sleep(500);
        var s1 = lab.Sessions.AddOrUpdate(single, new BfdProfile());
        var s2 = lab.Sessions.AddOrUpdate(multi, new BfdProfile { MinimumTtl = 250 });
        var s3 = lab.Sessions.AddOrUpdate(v6, new BfdProfile());
        Assert.Equal(3, new[] { s1.SourcePort, s2.SourcePort, s3.SourcePort }.Distinct().Count());
        Assert.Equal(3, new[] { s1.LocalDiscriminator, s2.LocalDiscriminator, s3.LocalDiscriminator }.Distinct().Count());
        Assert.All(new[] { s1, s2, s3 }, s => Assert.InRange(s.SourcePort, 49152, 65535));

        // Single-hop: TTL 64 is refused (RFC 5881 §5), on the session found by addresses.
        Send(lab, 64, Packet(BfdState.Down, 0));
        // Your Discriminator names no session; zero while Up; version 2.
        Send(lab, 255, Packet(BfdState.Down, 0x99));
        Send(lab, 255, Packet(BfdState.Up, 0));
        Send(lab, 255, Packet(BfdState.Down, 0, version: 2));
        Assert.True(NetnsLab.WaitUntil(() => lab.Status(single).Counters.Dropped.GetValueOrDefault(BfdDropReason.TtlTooLow) == 1 &&
            lab.Sessions.UnmatchedDrops.Count == 3, TimeSpan.FromSeconds(5)), $"{lab.Status(single).Counters.Dropped.Count} {string.Join(",", lab.Sessions.UnmatchedDrops)}");
        Assert.Equal(1, lab.Sessions.UnmatchedDrops[BfdDropReason.UnknownYourDiscriminator]);
        Assert.Equal(1, lab.Sessions.UnmatchedDrops[BfdDropReason.ZeroYourDiscriminatorNotDown]);
        Assert.Equal(1, lab.Sessions.UnmatchedDrops[BfdDropReason.UnsupportedVersion]);
        Assert.Equal(BfdState.Down, lab.Status(single).State);

        // TTL 255, Your Discriminator 0, Down: selected by addresses (§6.3), Down -> Init.
        Send(lab, 255, Packet(BfdState.Down, 0));
        Assert.True(NetnsLab.WaitUntil(() => lab.Status(single).State == BfdState.Init, TimeSpan.FromSeconds(5)), lab.Status(single).ToString());
        Assert.Equal(0xBEEFu, lab.Status(single).RemoteDiscriminator);
        // Then by Your Discriminator: the peer's Init brings us Up.
        Send(lab, 255, Packet(BfdState.Init, s1.LocalDiscriminator));
        Assert.True(NetnsLab.WaitUntil(() => lab.Status(single).State == BfdState.Up, TimeSpan.FromSeconds(5)), lab.Status(single).ToString());

        // Multi-hop (RFC 5883, UDP 4784): below the profile's minimum TTL 250 refused, 250 accepted.
        Send(lab, 249, Packet(BfdState.Down, 0), 4784);
        Assert.True(NetnsLab.WaitUntil(() => lab.Status(multi).Counters.Dropped.GetValueOrDefault(BfdDropReason.TtlTooLow) == 1, TimeSpan.FromSeconds(5)));
        Send(lab, 250, Packet(BfdState.Down, 0), 4784);
        Assert.True(NetnsLab.WaitUntil(() => lab.Status(multi).State == BfdState.Init, TimeSpan.FromSeconds(5)), lab.Status(multi).ToString());
        // A single-hop session's discriminator on the multi-hop port is refused.
        Send(lab, 255, Packet(BfdState.Up, s1.LocalDiscriminator), 4784);
        Assert.True(NetnsLab.WaitUntil(() => lab.Status(single).Counters.Dropped.GetValueOrDefault(BfdDropReason.WrongPort) == 1, TimeSpan.FromSeconds(5)));

        // What left our side: TTL / hop limit 255, our source ports, 3784 single-hop and 4784 multi-hop.
        Assert.True(NetnsLab.WaitUntil(() => NetnsLab.Run("pgrep -f 'tcpdump -i p0 -U -w " + pcap + "'").Code != 0, TimeSpan.FromSeconds(10)), dump);
        var fields = NetnsLab.Sh($"tshark -r {pcap} -Y 'udp.srcport != 50001' -T fields -E separator=, -e ip.ttl -e ipv6.hlim -e udp.srcport -e udp.dstport 2>/dev/null");
        output.WriteLine(fields);
        var rows = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        Assert.Contains(rows, r => r[2] == s1.SourcePort.ToString(System.Globalization.CultureInfo.InvariantCulture) && r[3] == "3784" && r[0] == "255");
        Assert.Contains(rows, r => r[2] == s2.SourcePort.ToString(System.Globalization.CultureInfo.InvariantCulture) && r[3] == "4784" && r[0] == "255");
        Assert.Contains(rows, r => r[2] == s3.SourcePort.ToString(System.Globalization.CultureInfo.InvariantCulture) && r[3] == "3784" && r[1] == "255");
        Assert.All(rows, r => Assert.True(r[0] == "255" || r[1] == "255", string.Join(",", r)));
    }
}
