using System.Net;
using BgpLb.L2Fallback.Ndp;
using BgpLb.L2Fallback.Tests.Support;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Ndp;

public class NdpResponderTests
{
    private static readonly MacAddress Us = Mac.Parse("02:00:00:00:00:02");
    private static readonly MacAddress Client = Mac.Parse("02:00:00:00:00:01");
    private static readonly IPAddress Vip = IPAddress.Parse("2001:db8:ffff::10");
    private static readonly IPAddress ClientIp = IPAddress.Parse("2001:db8:2::1");

    private static NdpResponder.Decision Decide(NdpPacket packet)
    {
        var frame = new byte[NdpCodec.FrameLengthWithLinkLayerOption];
        var length = NdpCodec.Write(packet, frame);
        return NdpResponder.Decide(frame.AsSpan(0, length), Us, ip => ip.Equals(Vip));
    }

    private static NdpPacket Solicit(IPAddress target, bool multicast = true) => new(
        multicast ? Ipv6Multicast.EthernetAddress(Ipv6Multicast.SolicitedNode(target)) : Us,
        Client, ClientIp, multicast ? Ipv6Multicast.SolicitedNode(target) : target, 255,
        NdpMessageType.NeighborSolicitation, NeighborAdvertisementFlags.None, target, Client);

    [Fact]
    public void A_solicitation_to_the_solicited_node_group_of_an_owned_vip_is_answered()
    {
        var decision = Decide(Solicit(Vip));
        Assert.Equal(L2DropReason.None, decision.Reason);
        Assert.Equal(NdpMessageType.NeighborAdvertisement, decision.Reply.Type);
        Assert.Equal(ClientIp, decision.Reply.Destination);
        Assert.Equal(Client, decision.Reply.EthernetDestination);
        Assert.Equal(NeighborAdvertisementFlags.Solicited | NeighborAdvertisementFlags.Override, decision.Reply.Flags);
        Assert.Equal(Us, decision.Reply.LinkLayerAddress);
    }

    [Fact]
    public void A_unicast_solicitation_for_an_owned_vip_is_answered() =>
        Assert.Equal(L2DropReason.None, Decide(Solicit(Vip, multicast: false)).Reason);

    [Fact]
    public void A_solicitation_for_another_address_is_dropped_as_not_owned() =>
        Assert.Equal(L2DropReason.NotOwned, Decide(Solicit(IPAddress.Parse("2001:db8:ffff::99"))).Reason);

    [Fact]
    public void A_solicitation_to_another_hosts_mac_is_dropped_for_its_ethernet_destination() =>
        Assert.Equal(L2DropReason.EthernetDestination, Decide(Solicit(Vip) with { EthernetDestination = Mac.Parse("02:00:00:00:00:03") }).Reason);

    [Fact]
    public void An_advertisement_of_another_address_is_not_answered() =>
        Assert.Equal(L2DropReason.NotARequest, Decide(NdpCodec.UnsolicitedAdvertisement(Client, ClientIp)).Reason);

    [Fact]
    public void Another_hosts_advertisement_of_our_vip_is_a_conflict() =>
        Assert.Equal(L2DropReason.ConflictingAnnouncement, Decide(NdpCodec.UnsolicitedAdvertisement(Client, Vip)).Reason);

    [Fact]
    public void A_solicitation_with_hop_limit_below_255_is_malformed()
    {
        var decision = Decide(Solicit(Vip) with { HopLimit = 254 });
        Assert.Equal(L2DropReason.Malformed, decision.Reason);
        Assert.Equal(NdpDecodeError.HopLimitNot255, decision.Error);
    }
}
