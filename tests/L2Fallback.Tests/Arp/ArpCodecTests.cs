using System.Net;
using BgpLb.L2Fallback.Arp;
using BgpLb.L2Fallback.Tests.Support;
using CsCheck;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Arp;

public class ArpCodecTests
{
    private static readonly MacAddress Node = Mac.Parse("02:00:00:00:00:02");
    private static readonly MacAddress Client = Mac.Parse("02:00:00:00:00:01");
    private static readonly IPAddress Vip = IPAddress.Parse("198.18.0.10");

    private static byte[] Encode(ArpPacket packet)
    {
        var frame = new byte[ArpCodec.FrameLength];
        ArpCodec.Write(packet, frame);
        return frame;
    }

    [Fact]
    public void Reply_to_a_request_matches_the_hand_derived_rfc826_frame()
    {
        var request = new ArpPacket(MacAddress.Broadcast, Client, ArpOperation.Request, Client, IPAddress.Parse("198.51.100.1"), MacAddress.Zero, Vip);
        Assert.Equal(Vectors.Load("rfc/arp-reply.hex"), Encode(ArpCodec.ReplyTo(request, Node)));
    }

    [Fact]
    public void Gratuitous_request_matches_the_rfc5227_announcement_frame() =>
        Assert.Equal(Vectors.Load("rfc/garp-request.hex"), Encode(ArpCodec.Gratuitous(ArpOperation.Request, Node, Vip)));

    [Fact]
    public void Gratuitous_reply_matches_the_hand_derived_frame() =>
        Assert.Equal(Vectors.Load("rfc/garp-reply.hex"), Encode(ArpCodec.Gratuitous(ArpOperation.Reply, Node, Vip)));

    [Theory]
    [InlineData("rfc/arp-reply.hex")]
    [InlineData("rfc/garp-request.hex")]
    [InlineData("rfc/garp-reply.hex")]
    [InlineData("captured/arp-linux-request.hex")]
    [InlineData("captured/arp-reply-on-wire.hex")]
    public void Vectors_decode_and_reencode_to_the_same_bytes(string vector)
    {
        var bytes = Vectors.Load(vector);
        Assert.Equal(ArpDecodeError.None, ArpCodec.TryDecode(bytes, out var packet));
        Assert.Equal(bytes, Encode(packet));
    }

    [Fact]
    public void Linux_request_decodes_to_its_fields()
    {
        Assert.Equal(ArpDecodeError.None, ArpCodec.TryDecode(Vectors.Load("captured/arp-linux-request.hex"), out var p));
        Assert.Equal(ArpOperation.Request, p.Operation);
        Assert.Equal(MacAddress.Broadcast, p.EthernetDestination);
        Assert.Equal(Mac.Parse("b6:0d:51:64:8e:83"), p.SenderHardware);
        Assert.Equal(IPAddress.Parse("198.51.100.1"), p.SenderProtocol);
        Assert.Equal(MacAddress.Zero, p.TargetHardware);
        Assert.Equal(Vip, p.TargetProtocol);
        Assert.False(p.IsGratuitous);
    }

    [Fact]
    public void Our_reply_captured_on_the_wire_is_what_ReplyTo_builds_for_the_linux_request()
    {
        ArpCodec.TryDecode(Vectors.Load("captured/arp-linux-request.hex"), out var request);
        var reply = ArpCodec.ReplyTo(request, Mac.Parse("0e:53:64:93:92:be"));
        Assert.Equal(Vectors.Load("captured/arp-reply-on-wire.hex"), Encode(reply));
    }

    [Theory]
    [InlineData(41, 0, 0, ArpDecodeError.Truncated)]
    [InlineData(42, 13, 0x00, ArpDecodeError.NotArp)]            // EtherType 0x0806 -> 0x0800
    [InlineData(42, 15, 0x06, ArpDecodeError.UnsupportedHardwareType)]
    [InlineData(42, 16, 0x86, ArpDecodeError.UnsupportedProtocolType)]
    [InlineData(42, 18, 0x08, ArpDecodeError.UnsupportedAddressLength)]
    [InlineData(42, 19, 0x10, ArpDecodeError.UnsupportedAddressLength)]
    [InlineData(42, 21, 0x03, ArpDecodeError.UnknownOperation)] // op 3 (RARP request)
    public void Each_malformed_field_gives_its_own_error(int length, int offset, byte value, ArpDecodeError expected)
    {
        var frame = Vectors.Load("captured/arp-linux-request.hex")[..length];
        if (offset > 0)
        {
            frame[offset] = value;
        }
        Assert.Equal(expected, ArpCodec.TryDecode(frame, out _));
    }

    [Fact]
    public void Ethernet_padding_after_the_packet_is_ignored()
    {
        var padded = Vectors.Load("rfc/garp-request.hex").Concat(new byte[18]).ToArray();
        Assert.Equal(ArpDecodeError.None, ArpCodec.TryDecode(padded, out var p));
        Assert.True(p.IsGratuitous);
    }

    private static readonly Gen<MacAddress> GenMac = Gen.Byte.Array[6].Select(b => MacAddress.Read(b));
    private static readonly Gen<IPAddress> GenIpv4 = Gen.Byte.Array[4].Select(b => new IPAddress(b));

    [Fact]
    public void Decode_of_encode_is_identity() =>
        Gen.Select(GenMac, GenMac, Gen.OneOf(Gen.Const(ArpOperation.Request), Gen.Const(ArpOperation.Reply)), GenMac, GenIpv4, GenMac, GenIpv4)
            .Select((a, b, op, sha, spa, tha, tpa) => new ArpPacket(a, b, op, sha, spa, tha, tpa))
            .Sample(p =>
            {
                var status = ArpCodec.TryDecode(Encode(p), out var back);
                return status == ArpDecodeError.None && back == p;
            });

    [Fact]
    public void Any_bytes_decode_to_a_packet_or_a_typed_error_without_throwing() =>
        Gen.Byte.Array[0, 80].Sample(bytes =>
        {
            var status = ArpCodec.TryDecode(bytes, out _);
            return Enum.IsDefined(status);
        });

    [Fact]
    public void Mutated_vectors_decode_to_a_packet_or_a_typed_error() =>
        Gen.Select(Gen.Int[0, 41], Gen.Byte).Sample((offset, value) =>
        {
            var frame = Vectors.Load("captured/arp-linux-request.hex");
            frame[offset] = value;
            return Enum.IsDefined(ArpCodec.TryDecode(frame, out _));
        });
}
