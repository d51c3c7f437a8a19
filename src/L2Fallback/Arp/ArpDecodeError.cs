namespace BgpLb.L2Fallback.Arp;

/// <summary>Why a frame is not an Ethernet/IPv4 ARP packet we can read.</summary>
public enum ArpDecodeError
{
    None,
    /// <summary>Shorter than the 14-octet Ethernet header plus the 28-octet Ethernet/IPv4 ARP body.</summary>
    Truncated,
    /// <summary>The EtherType is not 0x0806.</summary>
    NotArp,
    /// <summary>ar$hrd is not 1 (Ethernet).</summary>
    UnsupportedHardwareType,
    /// <summary>ar$pro is not 0x0800 (IPv4).</summary>
    UnsupportedProtocolType,
    /// <summary>ar$hln is not 6 or ar$pln is not 4.</summary>
    UnsupportedAddressLength,
    /// <summary>ar$op is neither request (1) nor reply (2).</summary>
    UnknownOperation,
}
