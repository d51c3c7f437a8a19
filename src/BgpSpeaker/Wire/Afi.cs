namespace BgpLb.BgpSpeaker.Wire;

/// <summary>Address Family Identifiers (IANA "Address Family Numbers").</summary>
public enum Afi : ushort
{
    IPv4 = 1,
    IPv6 = 2,
}

/// <summary>Subsequent Address Family Identifiers (RFC 4760 §6, IANA SAFI registry).</summary>
public enum Safi : byte
{
    Unicast = 1,
    Multicast = 2,
}

/// <summary>An AFI/SAFI pair as carried by capabilities and MP attributes.</summary>
public readonly record struct AfiSafi(Afi Afi, Safi Safi)
{
    public static readonly AfiSafi IPv4Unicast = new(Afi.IPv4, Safi.Unicast);
    public static readonly AfiSafi IPv6Unicast = new(Afi.IPv6, Safi.Unicast);

    public override string ToString() => $"{Afi}/{Safi}";
}
