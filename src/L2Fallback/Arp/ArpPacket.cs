using System.Net;

namespace BgpLb.L2Fallback.Arp;

/// <summary>
/// An Ethernet/IPv4 ARP packet with the Ethernet header it came in (RFC 826). Sender and target
/// protocol addresses are IPv4.
/// </summary>
public readonly record struct ArpPacket(
    MacAddress EthernetDestination,
    MacAddress EthernetSource,
    ArpOperation Operation,
    MacAddress SenderHardware,
    IPAddress SenderProtocol,
    MacAddress TargetHardware,
    IPAddress TargetProtocol)
{
    /// <summary>RFC 5227 §3: an announcement carries the announced address as both sender and target.</summary>
    public bool IsGratuitous => SenderProtocol.Equals(TargetProtocol);
}
