namespace BgpLb.BgpSpeaker.Wire;

/// <summary>ADD-PATH families (RFC 7911), as a set.</summary>
[Flags]
public enum AddPathFamilies : byte
{
    None = 0,
    IPv4Unicast = 1,
    IPv6Unicast = 2,
}

/// <summary>
/// What the session negotiated that changes how bytes are read and written. The codec has no
/// other state; the session builds one of these after the OPEN exchange.
/// </summary>
public sealed record CodecOptions
{
    /// <summary>Before negotiation: 4096-octet messages, 2-octet AS numbers, no ADD-PATH.</summary>
    public static readonly CodecOptions Default = new();

    /// <summary>A 4-octet AS, Extended Message session with no ADD-PATH: what BgpLb normally negotiates.</summary>
    public static readonly CodecOptions Modern = new() { FourOctetAsn = true, MaxMessageLength = BgpHeader.ExtendedMaxMessageLength };

    /// <summary>4096 (RFC 4271 §4.1), or 65535 once both ends sent Extended Message (RFC 8654 §3).</summary>
    public int MaxMessageLength { get; init; } = BgpHeader.MaxMessageLength;

    /// <summary>Both ends advertised the 4-octet AS capability (RFC 6793 §3).</summary>
    public bool FourOctetAsn { get; init; }

    /// <summary>Families for which received NLRI carry a Path Identifier (RFC 7911 §4).</summary>
    public AddPathFamilies AddPathReceive { get; init; }

    /// <summary>Families for which sent NLRI carry a Path Identifier.</summary>
    public AddPathFamilies AddPathSend { get; init; }

    /// <summary>The peer is in another AS: LOCAL_PREF from it is discarded (RFC 7606 §7.5).</summary>
    public bool ExternalPeer { get; init; }

    internal static bool Has(AddPathFamilies set, Afi afi) =>
        (set & (afi == Afi.IPv4 ? AddPathFamilies.IPv4Unicast : AddPathFamilies.IPv6Unicast)) != 0;
}
