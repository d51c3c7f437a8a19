using System.Net;

namespace BgpLb.Allocator;

/// <summary>
/// An IPv4 or IPv6 address as a number, so ranges are arithmetic and nothing is keyed by text
/// (MetalLB keys its maps by <c>ip.String()</c>). Two 64-bit halves rather than a <see cref="UInt128"/>
/// field: <see cref="UInt128"/> is 16-byte aligned, which would make this 32 bytes instead of 24.
/// </summary>
public readonly record struct IpAddress : IComparable<IpAddress>
{
    private const int V4Octets = 4;
    private const int V6Octets = 16;
    private const int BitsPerHalf = 64;

    private readonly ulong _high;
    private readonly ulong _low;

    public IpAddress(IpFamily family, UInt128 value)
    {
        if (family == IpFamily.IPv4 && value > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "an IPv4 address is 32 bits");
        }
        Family = family;
        _high = (ulong)(value >> BitsPerHalf);
        _low = (ulong)value;
    }

    public IpFamily Family { get; }

    public UInt128 Value => new(_high, _low);

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
        address = FromIPAddress(parsed);
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

    private const int BitsPerOctet = 8;
}
