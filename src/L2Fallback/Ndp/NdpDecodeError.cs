namespace BgpLb.L2Fallback.Ndp;

/// <summary>Why a frame is not a valid Neighbor Solicitation or Advertisement (RFC 4861 §7.1.1, §7.1.2).</summary>
public enum NdpDecodeError
{
    None,
    /// <summary>Shorter than an Ethernet header, an IPv6 header and the payload length it states.</summary>
    Truncated,
    /// <summary>The EtherType is not 0x86DD.</summary>
    NotIpv6,
    /// <summary>The IP version field is not 6.</summary>
    BadIpVersion,
    /// <summary>Next Header is not ICMPv6 (58); extension headers before ICMPv6 are not read.</summary>
    NotIcmpv6,
    /// <summary>An ICMPv6 message other than type 135 or 136.</summary>
    NotNeighborDiscovery,
    /// <summary>§7.1.1/§7.1.2: the IP Hop Limit must be 255, proving the sender is on-link.</summary>
    HopLimitNot255,
    /// <summary>§7.1.1/§7.1.2: the ICMPv6 checksum (RFC 4443 §2.3, with the RFC 8200 §8.1 pseudo-header) is wrong.</summary>
    BadChecksum,
    /// <summary>§7.1.1/§7.1.2: ICMP Code must be 0.</summary>
    NonZeroCode,
    /// <summary>§7.1.1/§7.1.2: ICMP length must be 24 octets or more.</summary>
    MessageTooShort,
    /// <summary>§7.1.1/§7.1.2: the Target Address must not be a multicast address.</summary>
    MulticastTarget,
    /// <summary>§7.1.1/§7.1.2: every option must have a length greater than zero (and fit in the message).</summary>
    BadOptionLength,
    /// <summary>§7.1.1: an NS from the unspecified address must go to a solicited-node multicast address.</summary>
    UnspecifiedSourceNotToSolicitedNode,
    /// <summary>§7.1.1: an NS from the unspecified address must not carry a source link-layer address option.</summary>
    UnspecifiedSourceWithLinkLayerOption,
    /// <summary>§7.1.2: an NA to a multicast address must have the Solicited flag clear.</summary>
    SolicitedToMulticast,
}
