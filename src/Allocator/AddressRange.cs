using System.Globalization;

namespace BgpLb.Allocator;

/// <summary>
/// One entry of a pool's <c>addresses</c>: a CIDR (<c>198.18.0.0/15</c>) or an inclusive range
/// (<c>198.18.0.10-198.18.0.20</c>), held as first and last address so a /64 is two numbers, never a list.
/// </summary>
public sealed record AddressRange
{
    private AddressRange(IpAddress first, IpAddress last, string text)
    {
        First = first;
        Last = last;
        Text = text;
    }

    public IpAddress First { get; }

    public IpAddress Last { get; }

    /// <summary>The text it was parsed from, for messages.</summary>
    public string Text { get; }

    public IpFamily Family => First.Family;

    /// <summary>Number of addresses; a full IPv6 range (::/0) would be 2^128, which saturates to <see cref="UInt128.MaxValue"/>.</summary>
    public UInt128 Size => Last.Value - First.Value == UInt128.MaxValue ? UInt128.MaxValue : Last.Value - First.Value + 1;

    public bool Contains(IpAddress address) =>
        address.Family == Family && address.Value >= First.Value && address.Value <= Last.Value;

    public bool Overlaps(AddressRange other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return other.Family == Family && other.First.Value <= Last.Value && First.Value <= other.Last.Value;
    }

    public static AddressRange Parse(string text) =>
        TryParse(text, out var range, out var error) ? range : throw new FormatException(error);

    /// <summary>Parses a CIDR or an a-b range; on failure <paramref name="error"/> says what is wrong with the text.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AddressRange? range, out string error)
    {
        range = null;
        error = "";
        var trimmed = text?.Trim() ?? "";
        var dash = trimmed.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            if (!IpAddress.TryParse(trimmed[..dash], out var first) || !IpAddress.TryParse(trimmed[(dash + 1)..], out var last))
            {
                error = $"invalid IP range \"{trimmed}\": both ends must be IP addresses";
                return false;
            }
            if (first.Family != last.Family)
            {
                error = $"invalid IP range \"{trimmed}\": the ends are of different families";
                return false;
            }
            if (first.Value > last.Value)
            {
                error = $"invalid IP range \"{trimmed}\": start is after end";
                return false;
            }
            if (!NoV4Mapped(first, last, trimmed, out error))
            {
                return false;
            }
            range = new AddressRange(first, last, trimmed);
            return true;
        }
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IpAddress.TryParse(trimmed[..slash], out var network)
            || !int.TryParse(trimmed.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || length > IpAddress.Bits(network.Family))
        {
            error = $"invalid CIDR \"{trimmed}\"";
            return false;
        }
        var hostBits = IpAddress.Bits(network.Family) - length;
        // A shift by the full 128 bits is undefined for UInt128, so a /0 builds its mask by hand.
        var hostMask = hostBits == 0 ? UInt128.Zero : hostBits >= IpAddress.Bits(IpFamily.IPv6) ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        var start = network.Value & ~hostMask;
        var end = start | hostMask;
        if (network.Family == IpFamily.IPv6 && start <= V4MappedFirst + uint.MaxValue && end >= V4MappedFirst)
        {
            error = $"invalid CIDR \"{trimmed}\": IPv6 pools may not include ::ffff:0:0/96, the IPv4-mapped addresses";
            return false;
        }
        range = new AddressRange(new IpAddress(network.Family, start), new IpAddress(network.Family, end), trimmed);
        return true;
    }

    // ::ffff:0:0, the start of the IPv4-mapped block.
    private static readonly UInt128 V4MappedFirst = (UInt128)0xFFFF_0000_0000;

    /// <summary>
    /// An IPv6 range may not reach into ::ffff:0:0/96: those addresses are IPv4 addresses here (as in Go,
    /// so in MetalLB), and a range of one family cannot hold another's.
    /// </summary>
    private static bool NoV4Mapped(IpAddress first, IpAddress last, string text, out string error)
    {
        error = "";
        if (first.Family == IpFamily.IPv6 && first.Value <= V4MappedFirst + uint.MaxValue && last.Value >= V4MappedFirst)
        {
            error = $"invalid IP range \"{text}\": IPv6 pools may not include ::ffff:0:0/96, the IPv4-mapped addresses";
            return false;
        }
        return true;
    }

    public override string ToString() => Text;
}
