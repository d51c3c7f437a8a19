namespace BgpLb.L2Fallback;

/// <summary>IEEE 802.3 EtherType values this library sends and receives.</summary>
public enum EtherType : ushort
{
    Ipv4 = 0x0800,
    Arp = 0x0806,
    Ipv6 = 0x86DD,
}
