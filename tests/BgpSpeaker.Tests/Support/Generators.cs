using System.Net;
using BgpLb.BgpSpeaker.Wire;
using CsCheck;

namespace BgpLb.BgpSpeaker.Tests.Support;

/// <summary>CsCheck generators of valid messages: every value they make must survive encode then decode.</summary>
internal static class Generators
{
    public static readonly Gen<IpPrefix> V4Prefix =
        Gen.Select(Gen.UInt, Gen.Int[0, 32], (a, l) => IpPrefix.V4(a, l));

    public static readonly Gen<IpPrefix> V6Prefix =
        Gen.Select(Gen.ULong, Gen.ULong, Gen.Int[0, 128], (hi, lo, l) => IpPrefix.V6(new UInt128(hi, lo), l));

    public static Gen<Nlri> Nlri(Gen<IpPrefix> prefix, bool addPath) =>
        addPath ? Gen.Select(prefix, Gen.UInt[1, uint.MaxValue], (p, id) => new Nlri(p, id)) : prefix.Select(p => new Nlri(p));

    /// <summary>A unicast IPv4 address that passes the NEXT_HOP checks (not 0/8, 127/8 or 224/3).</summary>
    public static readonly Gen<IPAddress> V4NextHop =
        Gen.Select(Gen.Int[1, 223].Where(b => b != 127), Gen.Byte, Gen.Byte, Gen.Byte, (a, b, c, d) => new IPAddress(new[] { (byte)a, b, c, d }));

    public static readonly Gen<IPAddress> V6Address =
        Gen.Byte.Array[16].Select(b => new IPAddress(b));

    private static readonly Gen<uint> Asn = Gen.UInt[1, uint.MaxValue];

    public static readonly Gen<AsPath> AsPathGen =
        Gen.Select(Gen.Int[1, 4], Asn.Array[1, 12], (t, asns) => new AsPathSegment((AsPathSegmentType)t, asns))
            .Array[0, 4].Select(s => s.Length == 0 ? AsPath.Empty : new AsPath(s));

    /// <summary>Unknown optional attributes (types no row of AttributeTable claims), sorted as the writer sends them.</summary>
    private static readonly Gen<RawAttribute[]> Others =
        Gen.Select(Gen.Int[200, 250], Gen.Bool, Gen.Bool, Gen.Byte.Array[0, 300],
                (type, transitive, partial, value) => new RawAttribute(
                    AttributeFlags.Optional | (transitive ? AttributeFlags.Transitive | (partial ? AttributeFlags.Partial : 0) : 0), (byte)type, value))
            .Array[0, 3]
            .Select(a => a.DistinctBy(x => x.TypeCode).OrderBy(x => x.TypeCode).ToArray());

    public static Gen<UpdateMessage> Update(bool addPath, bool external) =>
        from withdrawn in Nlri(V4Prefix, addPath).Array[0, 10]
        from nlri in Nlri(V4Prefix, addPath).Array[0, 10]
        from origin in Gen.Int[-1, 2]
        from asPath in AsPathGen
        from hasPath in Gen.Bool
        from nextHop in V4NextHop
        from med in Gen.UInt
        from hasMed in Gen.Bool
        from localPref in Gen.UInt
        from hasLocalPref in Gen.Bool
        from atomic in Gen.Bool
        from aggregator in Gen.Select(Asn, Gen.UInt, (a, b) => (Aggregator?)new Aggregator(a, b))
        from hasAggregator in Gen.Bool
        from communities in Gen.UInt.Select(v => new Community(v)).Array[0, 5]
        from extended in Gen.ULong.Select(v => new ExtendedCommunity(v)).Array[0, 3]
        from large in Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt, (a, b, c) => new LargeCommunity(a, b, c)).Array[0, 3]
        from clusterList in Gen.UInt.Array[0, 3]
        from originator in Gen.UInt
        from hasOriginator in Gen.Bool
        from mpNlri in Nlri(V6Prefix, false).Array[0, 6]
        from hasMpReach in Gen.Bool
        from global in V6Address
        from linkLocal in V6Address
        from hasLinkLocal in Gen.Bool
        from mpWithdrawn in Nlri(V6Prefix, false).Array[0, 6]
        from hasMpUnreach in Gen.Bool
        from others in Others
        let reach = hasMpReach ? new MpReach(AfiSafi.IPv6Unicast, global, hasLinkLocal ? linkLocal : null, mpNlri) : null
        let reachable = nlri.Length > 0 || reach is { Nlri.IsEmpty: false }
        select new UpdateMessage(withdrawn, new PathAttributes
        {
            // RFC 7606 §3(d): reachable NLRI need ORIGIN and AS_PATH, NLRI-field ones a NEXT_HOP.
            Origin = origin >= 0 ? (Origin)origin : reachable ? Origin.Igp : null,
            AsPath = hasPath || reachable ? asPath : null,
            NextHop = nlri.Length > 0 || hasMed ? nextHop : null,
            MultiExitDisc = hasMed ? med : null,
            LocalPref = hasLocalPref && !external ? localPref : null,
            AtomicAggregate = atomic,
            Aggregator = hasAggregator ? aggregator : null,
            Communities = communities,
            OriginatorId = hasOriginator ? originator : null,
            ClusterList = clusterList,
            MpReach = reach,
            MpUnreach = hasMpUnreach ? new MpUnreach(AfiSafi.IPv6Unicast, mpWithdrawn) : null,
            ExtendedCommunities = extended,
            LargeCommunities = large,
            Other = others,
        }, nlri);

    private static readonly Gen<string> Label = Gen.Char['a', 'z'].Array[0, 20].Select(c => new string(c));

    private static readonly Gen<Capability> CapabilityGen = Gen.OneOf<Capability>(
        Gen.Int[1, 2].Select(a => (Capability)new MultiprotocolCapability(new AfiSafi((Afi)a, Safi.Unicast))),
        Gen.Const<Capability>(new RouteRefreshCapability()),
        Gen.Const<Capability>(new EnhancedRouteRefreshCapability()),
        Gen.Const<Capability>(new ExtendedMessageCapability()),
        Gen.UInt.Select(a => (Capability)new FourOctetAsnCapability(a)),
        Gen.Select(Gen.Bool, Gen.Bool, Gen.UShort[0, GracefulRestartCapability.MaxRestartTime],
            Gen.Select(Gen.Int[1, 2], Gen.Bool, (a, f) => new GracefulRestartFamily(new AfiSafi((Afi)a, Safi.Unicast), f)).Array[0, 3],
            (r, n, t, f) => (Capability)new GracefulRestartCapability(r, n, t, f)),
        Gen.Select(Gen.Int[1, 2], Gen.Int[1, 3], (a, m) => new AddPathFamily(new AfiSafi((Afi)a, Safi.Unicast), (AddPathMode)m)).Array[1, 3]
            .Select(f => (Capability)new AddPathCapability(f)),
        Gen.Select(Label, Label, (h, d) => (Capability)new FqdnCapability(h, d)),
        Gen.Select(Gen.Int[128, 250], Gen.Byte.Array[0, 20], (c, v) => (Capability)new UnknownCapability((byte)c, v)));

    public static readonly Gen<OpenMessage> Open =
        from myAs in Gen.UShort
        from hold in Gen.UShort
        from id in Gen.UInt
        from caps in CapabilityGen.Array[0, 12]
        from perCapability in Gen.Bool
        from extended in Gen.Bool
        select new OpenMessage(myAs, hold, id, caps,
            perCapability && caps.Length > 1 ? CapabilityLayout.ParameterPerCapability : CapabilityLayout.SingleParameter, extended);

    public static readonly Gen<BgpMessage> Message = Gen.OneOf<BgpMessage>(
        Open.Select(o => (BgpMessage)o),
        Update(false, false).Select(u => (BgpMessage)u),
        Gen.Select(Gen.Int[1, 7], Gen.Byte, Gen.Byte.Array[0, 64], (c, s, d) => (BgpMessage)new NotificationMessage((BgpErrorCode)c, s, d)),
        Gen.Select(Gen.Int[1, 2], Gen.Int[0, 2], (a, s) => (BgpMessage)new RouteRefreshMessage((Afi)a, (RouteRefreshSubtype)s, Safi.Unicast)),
        Gen.Const<BgpMessage>(KeepaliveMessage.Instance));
}
