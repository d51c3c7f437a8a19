using System.Buffers.Binary;
using System.Net;
using BgpLb.L2Fallback.Ndp;
using BgpLb.L2Fallback.Tests.Support;
using CsCheck;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Ndp;

public class NdpCodecTests
{
    private static readonly MacAddress Node = Mac.Parse("02:00:00:00:00:02");
    private static readonly MacAddress Client = Mac.Parse("02:00:00:00:00:01");
    private static readonly IPAddress Vip = IPAddress.Parse("2001:db8:ffff::10");
    private static readonly IPAddress ClientIp = IPAddress.Parse("2001:db8:2::1");
    private const int IcmpOffset = 14 + 40;

    private static byte[] Encode(NdpPacket packet)
    {
        var frame = new byte[NdpCodec.FrameLengthWithLinkLayerOption];
        return frame[..NdpCodec.Write(packet, frame)];
    }

    private static NdpPacket Solicitation(IPAddress source, IPAddress destination, MacAddress? sourceLinkLayer) => new(
        Ipv6Multicast.EthernetAddress(destination.IsIPv6Multicast ? destination : Ipv6Multicast.SolicitedNode(Vip)),
        Client, source, destination, 255, NdpMessageType.NeighborSolicitation, NeighborAdvertisementFlags.None, Vip, sourceLinkLayer);

    [Fact]
    public void Answer_to_a_solicitation_matches_the_hand_derived_rfc4861_frame()
    {
        var ns = Solicitation(ClientIp, Ipv6Multicast.SolicitedNode(Vip), Client);
        Assert.Equal(Vectors.Load("rfc/na-solicited.hex"), Encode(NdpCodec.AdvertisementFor(ns, Node)));
    }

    [Fact]
    public void Unsolicited_advertisement_matches_the_hand_derived_frame() =>
        Assert.Equal(Vectors.Load("rfc/na-unsolicited.hex"), Encode(NdpCodec.UnsolicitedAdvertisement(Node, Vip)));

    [Theory]
    [InlineData("rfc/na-solicited.hex")]
    [InlineData("rfc/na-unsolicited.hex")]
    [InlineData("captured/ndp-linux-ns.hex")]
    [InlineData("captured/ndp-na-on-wire.hex")]
    public void Vectors_decode_and_reencode_to_the_same_bytes(string vector)
    {
        var bytes = Vectors.Load(vector);
        Assert.Equal(NdpDecodeError.None, NdpCodec.TryDecode(bytes, out var packet));
        Assert.Equal(bytes, Encode(packet));
    }

    [Fact]
    public void Linux_solicitation_decodes_to_its_fields()
    {
        Assert.Equal(NdpDecodeError.None, NdpCodec.TryDecode(Vectors.Load("captured/ndp-linux-ns.hex"), out var p));
        Assert.Equal(NdpMessageType.NeighborSolicitation, p.Type);
        Assert.Equal(ClientIp, p.Source);
        Assert.Equal(IPAddress.Parse("ff02::1:ff00:10"), p.Destination);
        Assert.Equal(Mac.Parse("33:33:ff:00:00:10"), p.EthernetDestination);
        Assert.Equal(Vip, p.Target);
        Assert.Equal(Mac.Parse("b6:0d:51:64:8e:83"), p.LinkLayerAddress);
    }

    [Fact]
    public void Our_advertisement_captured_on_the_wire_is_what_AdvertisementFor_builds_for_the_linux_solicitation()
    {
        NdpCodec.TryDecode(Vectors.Load("captured/ndp-linux-ns.hex"), out var ns);
        Assert.Equal(Vectors.Load("captured/ndp-na-on-wire.hex"), Encode(NdpCodec.AdvertisementFor(ns, Mac.Parse("0e:53:64:93:92:be"))));
    }

    [Fact]
    public void Duplicate_address_detection_is_answered_to_all_nodes_without_the_solicited_flag()
    {
        var dad = Solicitation(IPAddress.IPv6None, Ipv6Multicast.SolicitedNode(Vip), null);
        var na = NdpCodec.AdvertisementFor(dad, Node);
        Assert.Equal(Ipv6Multicast.AllNodes, na.Destination);
        Assert.Equal(Mac.Parse("33:33:00:00:00:01"), na.EthernetDestination);
        Assert.Equal(NeighborAdvertisementFlags.Override, na.Flags);
        Assert.Equal(NdpDecodeError.None, NdpCodec.TryDecode(Encode(na), out _));
    }

    [Fact]
    public void Solicited_node_address_and_its_mac_follow_rfc4291_and_rfc2464()
    {
        Assert.Equal(IPAddress.Parse("ff02::1:ffab:cdef"), Ipv6Multicast.SolicitedNode(IPAddress.Parse("2001:db8:ffff::12ab:cdef")));
        Assert.Equal(Mac.Parse("33:33:ff:ab:cd:ef"), Ipv6Multicast.EthernetAddress(IPAddress.Parse("ff02::1:ffab:cdef")));
        Assert.True(Ipv6Multicast.IsSolicitedNode(IPAddress.Parse("ff02::1:ff00:1")));
        Assert.False(Ipv6Multicast.IsSolicitedNode(IPAddress.Parse("ff02::1")));
    }

    /// <summary>Each RFC 4861 §7.1.1 / §7.1.2 rule, broken alone on an otherwise valid frame (checksum fixed up after).</summary>
    public static TheoryData<string, NdpDecodeError> Violations => new()
    {
        { "hop-limit-64", NdpDecodeError.HopLimitNot255 },
        { "bad-checksum", NdpDecodeError.BadChecksum },
        { "code-1", NdpDecodeError.NonZeroCode },
        { "multicast-target", NdpDecodeError.MulticastTarget },
        { "zero-length-option", NdpDecodeError.BadOptionLength },
        { "option-overruns", NdpDecodeError.BadOptionLength },
        { "short-message", NdpDecodeError.MessageTooShort },
        { "unspecified-source-to-unicast", NdpDecodeError.UnspecifiedSourceNotToSolicitedNode },
        { "unspecified-source-with-lla", NdpDecodeError.UnspecifiedSourceWithLinkLayerOption },
        { "na-solicited-to-multicast", NdpDecodeError.SolicitedToMulticast },
        { "not-icmpv6", NdpDecodeError.NotIcmpv6 },
        { "echo-request", NdpDecodeError.NotNeighborDiscovery },
        { "ipv4-version", NdpDecodeError.BadIpVersion },
        { "payload-longer-than-frame", NdpDecodeError.Truncated },
        { "not-ipv6-ethertype", NdpDecodeError.NotIpv6 },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Each_rfc4861_validation_rule_rejects_with_its_own_error(string violation, NdpDecodeError expected)
    {
        var frame = violation switch
        {
            "unspecified-source-to-unicast" => Encode(Solicitation(IPAddress.IPv6None, Vip, null) with { EthernetDestination = Node }),
            "unspecified-source-with-lla" => Encode(Solicitation(IPAddress.IPv6None, Ipv6Multicast.SolicitedNode(Vip), Client)),
            "na-solicited-to-multicast" => Encode(NdpCodec.UnsolicitedAdvertisement(Node, Vip) with { Flags = NeighborAdvertisementFlags.Solicited }),
            _ => Vectors.Load("captured/ndp-linux-ns.hex"),
        };
        var fixChecksum = true;
        switch (violation)
        {
            case "hop-limit-64": frame[14 + 7] = 64; break;
            case "bad-checksum": frame[IcmpOffset + 2] ^= 0xff; fixChecksum = false; break;
            case "code-1": frame[IcmpOffset + 1] = 1; break;
            case "multicast-target": frame[IcmpOffset + 8] = 0xff; break;
            case "zero-length-option": frame[IcmpOffset + 25] = 0; break;
            case "option-overruns": frame[IcmpOffset + 25] = 2; break;
            case "short-message":
                frame = frame[..(IcmpOffset + 20)];
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4), 20);
                break;
            case "not-icmpv6": frame[14 + 6] = 17; break;
            case "echo-request": frame[IcmpOffset] = 128; break;
            case "ipv4-version": frame[14] = 0x40; break;
            case "payload-longer-than-frame": BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4), 33); fixChecksum = false; break;
            case "not-ipv6-ethertype": frame[13] = 0x00; break;
        }
        if (fixChecksum && frame.Length >= IcmpOffset + 4)
        {
            FixChecksum(frame);
        }
        Assert.Equal(expected, NdpCodec.TryDecode(frame, out _));
    }

    private static void FixChecksum(byte[] frame)
    {
        var icmp = frame.AsSpan(IcmpOffset);
        icmp[2] = icmp[3] = 0;
        var sum = NdpCodec.Checksum(frame.AsSpan(14 + 8, 16), frame.AsSpan(14 + 24, 16), icmp);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], sum);
    }

    private static readonly Gen<MacAddress> GenMac = Gen.Byte.Array[6].Select(b => MacAddress.Read(b));
    private static readonly Gen<IPAddress> GenUnicast = Gen.Byte.Array[16].Where(b => b[0] != 0xff).Select(b => new IPAddress(b));

    [Fact]
    public void Decode_of_encode_is_identity_for_advertisements() =>
        Gen.Select(GenMac, GenMac, GenUnicast, GenUnicast, GenUnicast, Gen.Byte[0, 7], Gen.Bool)
            .Select((a, b, src, dst, target, flags, option) => new NdpPacket(a, b, src, dst, 255, NdpMessageType.NeighborAdvertisement,
                (NeighborAdvertisementFlags)(flags << 5), target, option ? b : null))
            .Sample(p => NdpCodec.TryDecode(Encode(p), out var back) == NdpDecodeError.None && back == p);

    [Fact]
    public void Decode_of_encode_is_identity_for_solicitations() =>
        Gen.Select(GenMac, GenUnicast, GenUnicast, GenUnicast)
            .Select((mac, src, dst, target) => new NdpPacket(mac, mac, src, dst, 255, NdpMessageType.NeighborSolicitation,
                NeighborAdvertisementFlags.None, target, mac))
            .Where(p => !p.Source.Equals(IPAddress.IPv6None))
            .Sample(p => NdpCodec.TryDecode(Encode(p), out var back) == NdpDecodeError.None && back == p);

    [Fact]
    public void Any_bytes_decode_to_a_packet_or_a_typed_error_without_throwing() =>
        Gen.Byte.Array[0, 120].Sample(bytes => Enum.IsDefined(NdpCodec.TryDecode(bytes, out _)));

    [Fact]
    public void Mutated_vectors_decode_to_a_packet_or_a_typed_error() =>
        Gen.Select(Gen.Int[0, 85], Gen.Byte, Gen.Int[0, 86]).Sample((offset, value, cut) =>
        {
            var frame = Vectors.Load("captured/ndp-linux-ns.hex");
            frame[offset] = value;
            return Enum.IsDefined(NdpCodec.TryDecode(frame.AsSpan(0, cut), out _));
        });
}
