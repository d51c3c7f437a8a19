using System.Net;

namespace BgpLb.L2Fallback.Arp;

/// <summary>
/// What to do with one received ARP frame on one interface: answer (with the reply to send) or drop
/// with a reason. Pure; <paramref name="owns"/> says whether this node owns a VIP on this interface.
/// </summary>
internal static class ArpResponder
{
    public readonly record struct Decision(L2DropReason Reason, ArpDecodeError Error, ArpPacket Reply);

    public static Decision Decide(ReadOnlySpan<byte> frame, MacAddress ours, Func<IPAddress, bool> owns)
    {
        var error = ArpCodec.TryDecode(frame, out var packet);
        if (error != ArpDecodeError.None)
        {
            return new Decision(L2DropReason.Malformed, error, default);
        }
        if (packet.SenderHardware == ours || packet.EthernetSource == ours)
        {
            return new Decision(L2DropReason.Outgoing, error, default);
        }
        var targetOwned = owns(packet.TargetProtocol);
        if (packet.Operation != ArpOperation.Request)
        {
            // A reply claiming one of our VIPs from another MAC is a second announcer on the segment.
            return new Decision(
                targetOwned || owns(packet.SenderProtocol) ? L2DropReason.ConflictingAnnouncement : L2DropReason.NotARequest, error, default);
        }
        if (packet.IsGratuitous)
        {
            // RFC 5227 §3: an announcement is not a question; one for our VIP means someone else claims it.
            return new Decision(targetOwned ? L2DropReason.ConflictingAnnouncement : L2DropReason.Announcement, error, default);
        }
        if (packet.EthernetDestination != MacAddress.Broadcast && packet.EthernetDestination != ours)
        {
            return new Decision(L2DropReason.EthernetDestination, error, default);
        }
        if (!targetOwned)
        {
            return new Decision(L2DropReason.NotOwned, error, default);
        }
        return new Decision(L2DropReason.None, error, ArpCodec.ReplyTo(packet, ours));
    }
}
