using System.Net;
using BgpLb.L2Fallback.Arp;
using BgpLb.L2Fallback.Tests.Support;
using Xunit;

namespace BgpLb.L2Fallback.Tests.Arp;

public class ArpResponderTests
{
    private static readonly MacAddress Us = Mac.Parse("02:00:00:00:00:02");
    private static readonly MacAddress Client = Mac.Parse("02:00:00:00:00:01");
    private static readonly MacAddress Other = Mac.Parse("02:00:00:00:00:03");
    private static readonly IPAddress Vip = IPAddress.Parse("198.18.0.10");
    private static readonly IPAddress ClientIp = IPAddress.Parse("198.51.100.1");

    private static ArpResponder.Decision Decide(ArpPacket packet)
    {
        var frame = new byte[ArpCodec.FrameLength];
        ArpCodec.Write(packet, frame);
        return ArpResponder.Decide(frame, Us, ip => ip.Equals(Vip));
    }

    private static ArpPacket Request(IPAddress target, MacAddress? ethernetDestination = null) =>
        new(ethernetDestination ?? MacAddress.Broadcast, Client, ArpOperation.Request, Client, ClientIp, MacAddress.Zero, target);

    [Fact]
    public void A_broadcast_request_for_an_owned_vip_is_answered_to_the_requester()
    {
        var decision = Decide(Request(Vip));
        Assert.Equal(L2DropReason.None, decision.Reason);
        Assert.Equal(ArpOperation.Reply, decision.Reply.Operation);
        Assert.Equal(Client, decision.Reply.EthernetDestination);
        Assert.Equal(Us, decision.Reply.SenderHardware);
        Assert.Equal(Vip, decision.Reply.SenderProtocol);
        Assert.Equal(ClientIp, decision.Reply.TargetProtocol);
    }

    [Fact]
    public void A_unicast_request_to_our_mac_is_answered() =>
        Assert.Equal(L2DropReason.None, Decide(Request(Vip, Us)).Reason);

    [Fact]
    public void A_request_for_an_address_we_do_not_own_is_dropped_as_not_owned() =>
        Assert.Equal(L2DropReason.NotOwned, Decide(Request(IPAddress.Parse("198.18.0.99"))).Reason);

    [Fact]
    public void A_request_unicast_to_another_mac_is_dropped_for_its_ethernet_destination() =>
        Assert.Equal(L2DropReason.EthernetDestination, Decide(Request(Vip, Other)).Reason);

    [Fact]
    public void A_reply_is_not_answered() =>
        Assert.Equal(L2DropReason.NotARequest, Decide(Request(IPAddress.Parse("198.51.100.7")) with { Operation = ArpOperation.Reply }).Reason);

    [Fact]
    public void Another_hosts_announcement_is_not_answered() =>
        Assert.Equal(L2DropReason.Announcement, Decide(ArpCodec.Gratuitous(ArpOperation.Request, Other, IPAddress.Parse("198.51.100.7"))).Reason);

    [Theory]
    [InlineData(ArpOperation.Request)]
    [InlineData(ArpOperation.Reply)]
    public void Another_hosts_announcement_of_our_vip_is_a_conflict(ArpOperation operation) =>
        Assert.Equal(L2DropReason.ConflictingAnnouncement, Decide(ArpCodec.Gratuitous(operation, Other, Vip)).Reason);

    [Fact]
    public void Our_own_frames_are_recognised() =>
        Assert.Equal(L2DropReason.Outgoing, Decide(ArpCodec.Gratuitous(ArpOperation.Request, Us, Vip)).Reason);

    [Fact]
    public void A_truncated_frame_is_malformed_with_the_decode_error()
    {
        var decision = ArpResponder.Decide(new byte[20], Us, _ => true);
        Assert.Equal(L2DropReason.Malformed, decision.Reason);
        Assert.Equal(ArpDecodeError.Truncated, decision.Error);
    }

    [Fact]
    public void An_rfc5227_probe_from_the_unspecified_address_is_answered_to_the_prober()
    {
        var probe = Request(Vip) with { SenderProtocol = IPAddress.Any };
        var decision = Decide(probe);
        Assert.Equal(L2DropReason.None, decision.Reason);
        Assert.Equal(Client, decision.Reply.TargetHardware);
    }
}
