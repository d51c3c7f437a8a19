using System.Net;
using BgpLb.BgpSpeaker.Fsm;
using BgpLb.BgpSpeaker.Rib;
using BgpLb.BgpSpeaker.Wire;
using Xunit;

namespace BgpLb.BgpSpeaker.Tests.Rib;

public sealed class ExportPolicyTests
{
    private static NegotiatedSession Negotiate(uint peerAsn)
    {
        var options = new PeerOptions { LocalAsn = 64512, PeerAsn = PeerAsn.Of(peerAsn), RouterId = 0xC0000201 };
        var open = OpenMessage.Create(peerAsn, 90, 0xC0000202, new MultiprotocolCapability(AfiSafi.IPv4Unicast), new MultiprotocolCapability(AfiSafi.IPv6Unicast), new FourOctetAsnCapability(peerAsn));
        return NegotiatedSession.TryNegotiate(options, open, out _, out _)!;
    }

    private static readonly Route Vip = new(IpPrefix.Parse("198.18.0.10/32"))
    {
        MultiExitDisc = 50,
        LocalPref = 200,
        Communities = new[] { Community.Of(64512, 100) },
        LargeCommunities = new[] { new LargeCommunity(64512, 1, 2) },
    };

    [Fact]
    public void External_peers_get_our_as_next_hop_self_and_no_local_pref()
    {
        var policy = new ExportPolicy(64512, Negotiate(64513), IPAddress.Parse("192.0.2.2"), null, null);
        var a = policy.Attributes(Vip)!;
        Assert.Equal(Origin.Igp, a.Origin);
        Assert.Equal(AsPath.Sequence(64512), a.AsPath);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), a.NextHop);
        Assert.Null(a.LocalPref);
        Assert.Equal(50u, a.MultiExitDisc);
        Assert.Equal(Vip.Communities, a.Communities);
        Assert.Equal(Vip.LargeCommunities, a.LargeCommunities);
    }

    [Fact]
    public void Internal_peers_get_an_empty_as_path_and_local_pref()
    {
        var policy = new ExportPolicy(64512, Negotiate(64512), IPAddress.Parse("192.0.2.2"), null, null);
        var a = policy.Attributes(Vip)!;
        Assert.Equal(AsPath.Empty, a.AsPath);
        Assert.Equal(200u, a.LocalPref);
        Assert.Equal(ExportPolicy.DefaultLocalPref, policy.Attributes(Vip with { LocalPref = null })!.LocalPref);
    }

    [Fact]
    public void Ipv6_routes_carry_global_and_link_local_next_hops_in_mp_reach()
    {
        var policy = new ExportPolicy(64512, Negotiate(64513), null, IPAddress.Parse("2001:db8::2"), IPAddress.Parse("fe80::2"));
        var a = policy.Attributes(new Route(IpPrefix.Parse("2001:db8:ffff::10/128")))!;
        Assert.Null(a.NextHop);
        Assert.Equal(new MpReach(AfiSafi.IPv6Unicast, IPAddress.Parse("2001:db8::2"), IPAddress.Parse("fe80::2"), default), a.MpReach);
        Assert.Null(policy.Attributes(Vip)); // no IPv4 next hop on this session: nothing to announce
    }

    [Fact]
    public void Routes_with_equal_attributes_share_one_instance_for_grouping()
    {
        var policy = new ExportPolicy(64512, Negotiate(64513), IPAddress.Parse("192.0.2.2"), null, null);
        Assert.Same(policy.Attributes(Vip), policy.Attributes(Vip with { Prefix = IpPrefix.Parse("198.18.0.11/32") }));
    }
}
