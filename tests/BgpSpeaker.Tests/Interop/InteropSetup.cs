using System.Net;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Session;
using BgpLb.BgpSpeaker.Wire;

namespace BgpLb.BgpSpeaker.Tests.Interop;

/// <summary>What one <see cref="InteropCase"/> means for both ends: ASNs, who connects, which addresses carry the session.</summary>
internal sealed record InteropSetup(InteropCase Case)
{
    public const uint Med = 100;

    /// <summary>Not the routers' default (100): a router showing 200 got it from us.</summary>
    public const uint LocalPref = 200;

    public const uint LargeCommunityLocal1 = 1;
    public const uint LargeCommunityLocal2 = 2;

    public bool Internal => Case is InteropCase.IbgpActiveIpv6 or InteropCase.IbgpPassiveIpv4;

    /// <summary>We wait for the router's connection (RFC 4271 §8.1.1 PassiveTcpEstablishment) on our listener.</summary>
    public bool Passive => Case is InteropCase.EbgpPassiveIpv6 or InteropCase.IbgpPassiveIpv4;

    public bool Ipv6Transport => Case is InteropCase.EbgpPassiveIpv6 or InteropCase.IbgpActiveIpv6;

    public uint OurAsn => Case == InteropCase.IbgpPassiveIpv4 ? 64512u : 4200000001u;

    public uint RouterAsn => Case switch
    {
        InteropCase.EbgpActiveIpv4 => 64512u,
        InteropCase.EbgpPassiveIpv6 => 4200000002u,
        _ => OurAsn,
    };

    /// <summary>The router's end of the session.</summary>
    public string RouterAddress => Ipv6Transport ? NetnsLab.PeerV6 : NetnsLab.PeerV4;

    /// <summary>Our end of the session.</summary>
    public string OurAddress => Ipv6Transport ? NetnsLab.HostV6 : NetnsLab.HostV4;

    /// <summary>A lab name distinct per router and case, e.g. <c>mx-frr-ibgp-pas-v4</c>.</summary>
    public string LabName(string router) => $"mx-{router}-{(Internal ? "ibgp" : "ebgp")}-{(Passive ? "pas" : "act")}-{(Ipv6Transport ? "v6" : "v4")}";

    /// <summary>
    /// 198.18.0.1-10/32 and 2001:db8:ffff::1-a/128, all with MED, communities 65000:100 and
    /// NO_EXPORT, large community OurAsn:1:2 and LOCAL_PREF (which only iBGP carries).
    /// </summary>
    public List<Route> Routes() =>
        Enumerable.Range(1, 10).Select(i => $"198.18.0.{i}/32").Concat(Enumerable.Range(1, 10).Select(i => $"2001:db8:ffff::{i:x}/128"))
            .Select(Vip).ToList();

    /// <summary>198.18.0.11/32 and 2001:db8:ffff::b/128, with the same attributes.</summary>
    public List<Route> ExtraRoutes() => [Vip("198.18.0.11/32"), Vip("2001:db8:ffff::b/128")];

    private Route Vip(string prefix) => new(IpPrefix.Parse(prefix))
    {
        MultiExitDisc = Med,
        LocalPref = LocalPref,
        Communities = new[] { Community.Of(65000, 100), Community.NoExport },
        LargeCommunities = new[] { new LargeCommunity(OurAsn, LargeCommunityLocal1, LargeCommunityLocal2) },
    };

    public PeerOptions Options() => new()
    {
        LocalAsn = OurAsn,
        PeerAsn = PeerAsn.Of(RouterAsn),
        RouterId = 0xCB007102, // 203.0.113.2; the routers use 203.0.113.1 (RFC 6286: distinct on iBGP)
        HoldTime = 90,
        ConnectRetryTime = TimeSpan.FromSeconds(1),
    };

    /// <summary>
    /// The router as our peer: next hop self is our address on the link in both families, the
    /// other family's one configured (the session's own local address covers only its family), and
    /// our link-local one since the router shares the link (RFC 2545 §3).
    /// </summary>
    public PeerEndpoint Endpoint(NetnsLab lab) => new(new IPEndPoint(IPAddress.Parse(RouterAddress), PeerEndpoint.BgpPort))
    {
        LocalAddress = IPAddress.Parse(OurAddress),
        NextHopV4 = IPAddress.Parse(NetnsLab.HostV4),
        NextHopV6 = IPAddress.Parse(NetnsLab.HostV6),
        LinkLocalV6 = IPAddress.Parse(NetnsLab.HostLinkLocal),
        SocketFactory = lab.CreateSocket,
    };
}
