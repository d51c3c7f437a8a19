namespace BgpLb.L2Fallback.Ndp;

/// <summary>ICMPv6 types of the two Neighbor Discovery messages we read and write (RFC 4861 §4.3, §4.4).</summary>
public enum NdpMessageType : byte
{
    NeighborSolicitation = 135,
    NeighborAdvertisement = 136,
}
