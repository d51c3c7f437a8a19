using System.Net;
using BgpLb.BgpSpeaker.Tests.Support;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Wire;

/// <summary>Vectors hand-derived from the RFC figures: each decodes to the value built here and re-encodes to its bytes.</summary>
public sealed class RfcVectorTests
{
    private static readonly CodecOptions FourOctet = new() { FourOctetAsn = true };
    private static readonly CodecOptions TwoOctet = new() { FourOctetAsn = false };
    private static readonly CodecOptions AddPath = new() { FourOctetAsn = true, AddPathReceive = AddPathFamilies.IPv4Unicast, AddPathSend = AddPathFamilies.IPv4Unicast };

    private static readonly IPAddress NextHop = IPAddress.Parse("192.0.2.1");

    private static Nlri P(string prefix, uint pathId = 0) => new(IpPrefix.Parse(prefix), pathId);

    private static void RoundTrip(string file, BgpMessage expected, CodecOptions options, bool canonical = true)
    {
        var bytes = VectorFile.Load($"rfc/{file}");
        var decoded = Codec.Decode(bytes, options);
        Assert.Equal(expected, decoded);
        if (canonical)
        {
            Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(Codec.Encode(expected, options)));
        }
        Assert.Equal(expected, Codec.Decode(Codec.Encode(expected, options), options));
    }

    [Fact]
    public void Keepalive_is_the_header_alone() =>
        RoundTrip("keepalive.hex", KeepaliveMessage.Instance, FourOctet);

    [Fact]
    public void Open_with_every_supported_capability_decodes_and_reencodes()
    {
        var expected = new OpenMessage(OpenMessage.AsTrans, 90, 0xC0000201, new Capability[]
        {
            new MultiprotocolCapability(AfiSafi.IPv4Unicast),
            new MultiprotocolCapability(AfiSafi.IPv6Unicast),
            new RouteRefreshCapability(),
            new FourOctetAsnCapability(4200000001),
            new GracefulRestartCapability(false, true, 120, new[] { new GracefulRestartFamily(AfiSafi.IPv4Unicast, true) }),
            new AddPathCapability(new[] { new AddPathFamily(AfiSafi.IPv4Unicast, AddPathMode.Both) }),
            new ExtendedMessageCapability(),
            new EnhancedRouteRefreshCapability(),
            new FqdnCapability("node1", "example"),
        });
        RoundTrip("open-capabilities.hex", expected, FourOctet);
        Assert.Equal(4200000001u, expected.Asn);
    }

    [Fact]
    public void Open_with_rfc9072_extended_parameters_keeps_the_extended_encoding()
    {
        var expected = new OpenMessage(OpenMessage.AsTrans, 90, 0xC0000201,
            new Capability[] { new MultiprotocolCapability(AfiSafi.IPv4Unicast), new FourOctetAsnCapability(4200000001) },
            CapabilityLayout.SingleParameter, ExtendedParameters: true);
        RoundTrip("open-extended-parameters.hex", expected, FourOctet);
    }

    [Fact]
    public void Ipv4_update_with_med_local_pref_and_communities()
    {
        var attributes = new PathAttributes
        {
            Origin = Origin.Igp,
            AsPath = AsPath.Sequence(65001, 4200000001),
            NextHop = NextHop,
            MultiExitDisc = 0,
            LocalPref = 100,
            Communities = new[] { Community.Of(65001, 1), Community.NoExport },
        };
        RoundTrip("update-ipv4.hex", new UpdateMessage(default, attributes, new[] { P("198.18.0.0/15"), P("198.18.0.1/32") }), FourOctet);
    }

    [Fact]
    public void Ipv6_update_carries_global_and_link_local_next_hops_in_mp_reach()
    {
        var attributes = new PathAttributes
        {
            MpReach = new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::1"), IPAddress.Parse("fe80::1"),
                new[] { P("2001:db8:ffff::1/128"), P("2001:db8:ffff::/48") }),
            Origin = Origin.Igp,
            AsPath = AsPath.Sequence(65001),
            LargeCommunities = new[] { new LargeCommunity(65001, 1, 2) },
        };
        RoundTrip("update-ipv6.hex", new UpdateMessage(default, attributes, default), FourOctet);
    }

    [Fact]
    public void Two_octet_speaker_path_is_merged_with_as4_path_and_as4_aggregator()
    {
        var attributes = new PathAttributes
        {
            Origin = Origin.Incomplete,
            AsPath = AsPath.Sequence(65001, 4200000001, 4200000002),
            NextHop = NextHop,
            AtomicAggregate = true,
            Aggregator = new Aggregator(4200000002, 0xC0000209),
        };
        // Not canonical: we send the whole path in AS4_PATH (RFC 6793 §4.2.2), the vector's OLD
        // speaker prepended 65001 to AS_PATH only.
        RoundTrip("update-as4-old-speaker.hex", new UpdateMessage(default, attributes, new[] { P("198.18.2.0/24") }), TwoOctet, canonical: false);
    }

    [Fact]
    public void Two_octet_session_sends_as_trans_with_as4_path()
    {
        var attributes = new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(65001, 4200000001), NextHop = NextHop };
        var bytes = Codec.Encode(new UpdateMessage(default, attributes, new[] { P("198.18.0.1/32") }), TwoOctet);
        var split = Codec.SplitAttributes(bytes);
        Assert.Contains(split, a => a.Type == (byte)AttributeType.AsPath && a.Value == "0202fde95ba0");
        Assert.Contains(split, a => a.Type == (byte)AttributeType.As4Path && a.Value == "02020000fde9fa56ea01" && a.Flags == 0xC0);
    }

    [Fact]
    public void Shutdown_notification_carries_the_rfc9003_communication()
    {
        var expected = NotificationMessage.Cease(CeaseSubcode.AdministrativeShutdown, "maintenance");
        RoundTrip("notification-shutdown.hex", expected, FourOctet);
        Assert.True(expected.TryGetShutdownCommunication(out var text));
        Assert.Equal("maintenance", text);
    }

    [Fact]
    public void Hold_timer_expired_notification() =>
        RoundTrip("notification-hold-timer.hex", new NotificationMessage(BgpErrorCode.HoldTimerExpired, 0, default), FourOctet);

    [Fact]
    public void Route_refresh_for_ipv4_unicast() =>
        RoundTrip("route-refresh.hex", new RouteRefreshMessage(Afi.IPv4, RouteRefreshSubtype.Normal, Safi.Unicast), FourOctet);

    [Theory]
    [InlineData("end-of-rib-ipv4.hex", Afi.IPv4)]
    [InlineData("end-of-rib-ipv6.hex", Afi.IPv6)]
    public void End_of_rib_markers(string file, Afi afi)
    {
        var family = new AfiSafi(afi, Safi.Unicast);
        RoundTrip(file, UpdateMessage.EndOfRib(family), FourOctet);
        Assert.True(UpdateMessage.EndOfRib(family).IsEndOfRib(out var seen));
        Assert.Equal(family, seen);
    }

    [Fact]
    public void Add_path_prefixes_carry_their_path_identifiers()
    {
        var attributes = new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(65001), NextHop = NextHop };
        RoundTrip("update-add-path.hex", new UpdateMessage(new[] { P("198.18.0.2/32", 2) }, attributes, new[] { P("198.18.0.1/32", 1) }), AddPath);
    }

    [Fact]
    public void As_set_and_confederation_segments_with_withdrawals_and_a_route_target()
    {
        var path = new AsPath(new[]
        {
            new AsPathSegment(AsPathSegmentType.AsConfedSequence, new uint[] { 65010 }),
            new AsPathSegment(AsPathSegmentType.AsSequence, new uint[] { 65001 }),
            new AsPathSegment(AsPathSegmentType.AsSet, new uint[] { 65002, 65003 }),
        });
        var attributes = new PathAttributes
        {
            Origin = Origin.Egp,
            AsPath = path,
            NextHop = NextHop,
            ExtendedCommunities = new[] { ExtendedCommunity.RouteTarget(65001, 7) },
        };
        RoundTrip("update-as-set-confed.hex", new UpdateMessage(new[] { P("198.18.3.0/24") }, attributes, new[] { P("198.18.4.0/22") }), FourOctet);
        Assert.Equal(2, path.PathLength); // RFC 4271 §9.1.2.2: a set counts once, a confederation segment not at all
        Assert.Equal("(65010) 65001 {65002,65003}", path.ToString());
    }

    [Fact]
    public void Attribute_longer_than_255_octets_uses_the_extended_length_flag()
    {
        var communities = Enumerable.Range(1, 70).Select(i => Community.Of(65001, (ushort)i)).ToArray();
        var attributes = new PathAttributes { Origin = Origin.Igp, AsPath = AsPath.Sequence(65001), NextHop = NextHop, Communities = communities };
        RoundTrip("update-extended-length.hex", new UpdateMessage(default, attributes, new[] { P("198.18.0.1/32") }), FourOctet);
    }
}
