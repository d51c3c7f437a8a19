using System.Net;

namespace BgpLb.Allocator;

/// <summary>
/// An IPv4 or IPv6 address as a number, so ranges are arithmetic and nothing is keyed by text
/// (MetalLB keys its maps by <c>ip.String()</c>). 16 bytes: IPv4 is held as its IPv4-mapped IPv6 form
/// (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), which is also how Go's net.IP, and so MetalLB, reads
/// "::ffff:a.b.c.d". Two 64-bit halves rather than a <see cref="UInt128"/> field, which is 16-byte aligned
/// and would pad a dictionary entry.
/// </summary>
public readonly record struct IpAddress : IComparable<IpAddress>
{
    private const int V4Octets = 4;
    private const int V6Octets = 16;
    private const int BitsPerHalf = 64;
    private const int BitsPerOctet = 8;

    // ::ffff:0:0/96, the IPv4-mapped block: the low half of an IPv4 address is 0000:ffff:a.b:c.d.
    private const ulong V4MappedLow = 0xFFFF_0000_0000;
    private const ulong V4MappedMask = 0xFFFF_FFFF_0000_0000;

    private readonly ulong _high;
    private readonly ulong _low;

    public IpAddress(IpFamily family, UInt128 value)
    {
        if (family == IpFamily.IPv4)
        {
            if (value > uint.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "an IPv4 address is 32 bits");
            }
            _low = V4MappedLow | (ulong)value;
            return;
        }
        _high = (ulong)(value >> BitsPerHalf);
        _low = (ulong)value;
        if (IsV4Mapped(_high, _low))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "an IPv4-mapped IPv6 address is an IPv4 address");
        }
    }

    public IpFamily Family => IsV4Mapped(_high, _low) ? IpFamily.IPv4 : IpFamily.IPv6;

    /// <summary>The address as a number: 32 bits for IPv4, 128 for IPv6.</summary>
    public UInt128 Value => IsV4Mapped(_high, _low) ? (uint)_low : new UInt128(_high, _low);

    public static IpAddress V4(uint value) => new(IpFamily.IPv4, value);

    public static IpAddress V6(UInt128 value) => new(IpFamily.IPv6, value);

    /// <summary>
    /// Strict dotted-quad or RFC 4291 text. <see cref="IPAddress.TryParse(string, out IPAddress)"/> alone
    /// would accept "1" as 0.0.0.1 and zone ids; a Service's loadBalancerIP never means those.
    /// </summary>
    public static bool TryParse(string? text, out IpAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text) || text.Contains('%', StringComparison.Ordinal))
        {
            return false;
        }
        text = text.Trim();
        var isV6 = text.Contains(':', StringComparison.Ordinal);
        if (!isV6 && text.Count(c => c == '.') != V4Octets - 1)
        {
            return false;
        }
        if (!IPAddress.TryParse(text, out var parsed))
        {
            return false;
        }
        address = FromIPAddress(parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed);
        return true;
    }

    public static IpAddress Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"not an IP address: \"{text}\"");

    public static IpAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[V6Octets];
        address.TryWriteBytes(bytes, out var written);
        return written == V4Octets
            ? V4(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes))
            : IsV4Mapped(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes))
                ? V4((uint)System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes))
                : V6(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes));
    }

    public IPAddress ToIPAddress()
    {
        if (Family == IpFamily.IPv4)
        {
            Span<byte> v4 = stackalloc byte[V4Octets];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)_low);
            return new IPAddress(v4);
        }
        Span<byte> v6 = stackalloc byte[V6Octets];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(v6, Value);
        return new IPAddress(v6);
    }

    /// <summary>IPv4 before IPv6, then numerically.</summary>
    public int CompareTo(IpAddress other) =>
        Family != other.Family ? Family.CompareTo(other.Family) : Value.CompareTo(other.Value);

    public static bool operator <(IpAddress left, IpAddress right) => left.CompareTo(right) < 0;

    public static bool operator >(IpAddress left, IpAddress right) => left.CompareTo(right) > 0;

    public static bool operator <=(IpAddress left, IpAddress right) => left.CompareTo(right) <= 0;

    public static bool operator >=(IpAddress left, IpAddress right) => left.CompareTo(right) >= 0;

    public override string ToString() => ToIPAddress().ToString();

    internal static int Bits(IpFamily family) => (family == IpFamily.IPv4 ? V4Octets : V6Octets) * BitsPerOctet;

    /// <summary>Whether an IPv6 number lies in ::ffff:0:0/96, which this type reserves for IPv4.</summary>
    internal static bool IsV4Mapped(UInt128 v6) => IsV4Mapped((ulong)(v6 >> BitsPerHalf), (ulong)v6);

    private static bool IsV4Mapped(ulong high, ulong low) => high == 0 && (low & V4MappedMask) == V4MappedLow;
}
