namespace BgpLb.L2Fallback.Transport;

/// <summary>linux/if_packet.h sll_pkttype: how the frame reached this host.</summary>
internal enum PacketType : byte
{
    Host = 0,
    Broadcast = 1,
    Multicast = 2,
    OtherHost = 3,
    Outgoing = 4,
}
