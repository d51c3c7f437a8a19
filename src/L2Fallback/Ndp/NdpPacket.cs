using System.Net;

namespace BgpLb.L2Fallback.Ndp;

/// <summary>
/// A Neighbor Solicitation or Advertisement with the Ethernet and IPv6 headers it travels in.
/// <see cref="LinkLayerAddress"/> is the source link-layer address option of an NS (type 1) or the
/// target link-layer address option of an NA (type 2), when present. <see cref="Flags"/> is
/// <see cref="NeighborAdvertisementFlags.None"/> for an NS.
/// </summary>
public readonly record struct NdpPacket(
    MacAddress EthernetDestination,
    MacAddress EthernetSource,
    IPAddress Source,
    IPAddress Destination,
    byte HopLimit,
    NdpMessageType Type,
    NeighborAdvertisementFlags Flags,
    IPAddress Target,
    MacAddress? LinkLayerAddress);
