using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Tests.Rfc7606;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Rib;

/// <summary>
/// What the Adj-RIB-Out puts on the wire for whole route sets: golden bytes for small sets
/// (Vectors/rib/, composed by hand from the RFC layouts), and for 100,000 routes every UPDATE
/// full to the negotiated size (RFC 4271 §4.3: 4,096 octets; RFC 8654: 65,535) except the last.
/// </summary>
public sealed class DensePackingTests
{
    private static readonly CodecOptions Session = new() { FourOctetAsn = true };

    private static readonly PathAttributes V4 = new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(4_200_000_001),
        NextHop = IPAddress.Parse("203.0.113.2"),
    };

    private static readonly PathAttributes V6 = new()
    {
        Origin = Origin.Igp,
        AsPath = AsPath.Sequence(4_200_000_001),
        MpReach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::2"), null, default),
    };

    private static RouteSet Set(params string[] prefixes) => RouteSet.Create(prefixes.Select(p => new Route(IpPrefix.Parse(p))).ToList());

    /// <summary>The attributes per group as a session fits them: by family.</summary>
    private static PathAttributes?[] Fit(RouteSet set) => set.Templates.ToArray().Select(t => t.Prefix.Family == Afi.IPv4 ? V4 : V6).ToArray();

    private static byte[] Write(AdjRibOut rib, CodecOptions options)
    {
        var output = new ArrayBufferWriter<byte>();
        rib.WriteChanges(output, new UpdateBuilder(options));
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void Three_ipv4_routes_of_one_attribute_set_go_in_one_update_and_their_withdrawal_in_another()
    {
        var rib = new AdjRibOut();
        // Given out of order: the set sorts them.
        var set = Set("198.18.1.0/24", "198.18.0.2/32", "198.18.0.1/32");
        rib.SetDesired(set, Fit(set));
        Assert.Equal(HexVector.Load("rib/announce-3-ipv4.hex"), Write(rib, Session));
        rib.SetDesired(RouteSet.Empty, []);
        Assert.Equal(HexVector.Load("rib/withdraw-3-ipv4.hex"), Write(rib, Session));
    }

    [Fact]
    public void Ipv6_routes_are_withdrawn_in_one_mp_unreach_update()
    {
        var rib = new AdjRibOut();
        var set = Set("2001:db8:ffff:1::/64", "2001:db8:ffff::1/128");
        rib.SetDesired(set, Fit(set));
        Write(rib, Session);
        rib.SetDesired(RouteSet.Empty, []);
        Assert.Equal(HexVector.Load("rib/withdraw-2-ipv6.hex"), Write(rib, Session));
    }

    /// <summary>
    /// 100,000 /32s: (max − 23 header and length fields − 20 of attributes) / 5 per announcement,
    /// (max − 23) / 5 per withdrawal; so 810 and 814 a 4,096-octet UPDATE, 13,098 and 13,102 a
    /// 65,535-octet one.
    /// </summary>
    [Theory]
    [InlineData(BgpHeader.MaxMessageLength, 810, 814)]
    [InlineData(BgpHeader.ExtendedMaxMessageLength, 13_098, 13_102)]
    public void Hundred_thousand_routes_fill_every_update_but_the_last(int maxLength, int perAnnouncement, int perWithdrawal)
    {
        var options = Session with { MaxMessageLength = maxLength };
        var rib = new AdjRibOut();
        var first = IpPrefix.Parse("198.18.0.0/32").V4Address;
        var set = RouteSet.Create(Enumerable.Range(0, 100_000).Select(i => new Route(IpPrefix.V4(first + (uint)i, 32))).ToList());
        rib.SetDesired(set, Fit(set));
        AssertDense(Write(rib, options), perAnnouncement, maxLength);
        rib.SetDesired(RouteSet.Empty, []);
        AssertDense(Write(rib, options), perWithdrawal, maxLength);
    }

    private static void AssertDense(byte[] stream, int perMessage, int maxLength)
    {
        var lengths = new List<int>();
        for (var at = 0; at < stream.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(stream.AsSpan(at + BgpHeader.LengthOffset));
            Assert.InRange(length, BgpHeader.Length, maxLength);
            lengths.Add(length);
            at += length;
        }
        var messages = (100_000 + perMessage - 1) / perMessage;
        Assert.Equal(messages, lengths.Count);
        // Each full message is within one /32 (5 octets) of the maximum.
        Assert.All(lengths.Take(messages - 1), length => Assert.InRange(length, maxLength - 4, maxLength));
    }
}
