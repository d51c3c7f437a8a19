using System.Net;

namespace BgpLb.L2Fallback.Ndp;

/// <summary>
/// What to do with one received NDP frame on one interface: answer a Neighbor Solicitation for an
/// owned VIP (RFC 4861 §7.2.3, §7.2.4) or drop with a reason. Pure.
/// </summary>
internal static class NdpResponder
{
    public readonly record struct Decision(L2DropReason Reason, NdpDecodeError Error, NdpPacket Reply);

    public static Decision Decide(ReadOnlySpan<byte> frame, MacAddress ours, Func<IPAddress, bool> owns)
    {
        var error = NdpCodec.TryDecode(frame, out var packet);
        if (error != NdpDecodeError.None)
        {
            return new Decision(L2DropReason.Malformed, error, default);
        }
        if (packet.EthernetSource == ours)
        {
            return new Decision(L2DropReason.Outgoing, error, default);
        }
        var targetOwned = owns(packet.Target);
        if (packet.Type != NdpMessageType.NeighborSolicitation)
        {
            return new Decision(targetOwned ? L2DropReason.ConflictingAnnouncement : L2DropReason.NotARequest, error, default);
        }
        var toUs = packet.EthernetDestination == ours
            || (packet.EthernetDestination.IsMulticast && packet.EthernetDestination == Ipv6Multicast.EthernetAddress(Ipv6Multicast.SolicitedNode(packet.Target)));
        if (!toUs)
        {
            return new Decision(L2DropReason.EthernetDestination, error, default);
        }
        if (!targetOwned)
        {
            return new Decision(L2DropReason.NotOwned, error, default);
        }
        return new Decision(L2DropReason.None, error, NdpCodec.AdvertisementFor(packet, ours));
    }
}
