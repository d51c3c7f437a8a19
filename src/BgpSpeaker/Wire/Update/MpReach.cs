using System.Net;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// MP_REACH_NLRI (RFC 4760 §3):
/// <code>
/// +---------------------------------------------------------+
/// | Address Family Identifier (2 octets)                    |
/// | Subsequent Address Family Identifier (1 octet)          |
/// | Length of Next Hop Network Address (1 octet)            |
/// | Network Address of Next Hop (variable)                  |
/// | Reserved (1 octet)                                      |
/// | Network Layer Reachability Information (variable)       |
/// +---------------------------------------------------------+
/// </code>
/// For IPv6 the next hop is a global address, optionally followed by a link-local one
/// (RFC 2545 §3: length 16 or 32).
/// </summary>
public sealed record MpReach(AfiSafi Family, IPAddress NextHop, IPAddress? LinkLocalNextHop, ValueArray<Nlri> Nlri)
{
    /// <summary>Next hop length on the wire.</summary>
    internal int NextHopLength => (NextHop.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 16) + (LinkLocalNextHop is null ? 0 : 16);
}

/// <summary>MP_UNREACH_NLRI (RFC 4760 §4): AFI(2) SAFI(1) Withdrawn Routes(variable).</summary>
public sealed record MpUnreach(AfiSafi Family, ValueArray<Nlri> Withdrawn);

/// <summary>A path attribute kept as received: unknown optional ones, and those we only validate.</summary>
public readonly record struct RawAttribute(AttributeFlags Flags, byte TypeCode, ValueArray<byte> Value)
{
    public override string ToString() => $"type {TypeCode} flags 0x{(byte)Flags:x2} value {Convert.ToHexString(Value.AsSpan())}";
}
