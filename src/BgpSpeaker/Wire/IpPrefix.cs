using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace BgpLb.BgpSpeaker.Wire;

/// <summary>
/// An IPv4 or IPv6 prefix held by value (no <see cref="IPAddress"/> allocation on the route path).
/// The address is left-aligned in 128 bits for both families; host bits are always zero. Stored
/// as two 64-bit halves rather than a <see cref="UInt128"/>, whose 16-octet alignment would pad
/// every <see cref="Nlri"/> to 48 octets instead of 32.
/// </summary>
public readonly struct IpPrefix : IEquatable<IpPrefix>, IComparable<IpPrefix>, INlriEntry
{
    private readonly ulong _high;
    private readonly ulong _low;

    private IpPrefix(Afi family, UInt128 bits, byte length)
    {
        Family = family;
        Length = length;
        bits &= Mask(length);
        _high = (ulong)(bits >> 64);
        _low = (ulong)bits;
    }

    public Afi Family { get; }

    public byte Length { get; }

    public int MaxLength => Family == Afi.IPv4 ? 32 : 128;

    /// <summary>An IPv4 prefix; <paramref name="address"/> in host order, host bits cleared.</summary>
    public static IpPrefix V4(uint address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, 32u, nameof(length));
        return new IpPrefix(Afi.IPv4, (UInt128)address << 96, (byte)length);
    }

    /// <summary>An IPv6 prefix; <paramref name="address"/> as a 128-bit big-endian value.</summary>
    public static IpPrefix V6(UInt128 address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, 128u, nameof(length));
        return new IpPrefix(Afi.IPv6, address, (byte)length);
    }

    public static IpPrefix Create(IPAddress address, int length)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return address.AddressFamily == AddressFamily.InterNetwork
            ? V4(BinaryPrimitives.ReadUInt32BigEndian(bytes), length)
            : written == 16 ? V6(BinaryPrimitives.ReadUInt128BigEndian(bytes), length)
            : throw new ArgumentException("Not an IPv4 or IPv6 address.", nameof(address));
    }

    /// <summary>Parses "198.18.0.0/15" or "2001:db8:ffff::/48"; an address alone is a host prefix.</summary>
    public static IpPrefix Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var address = IPAddress.Parse(slash < 0 ? text : text[..slash]);
        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = slash < 0 ? max : int.Parse(text.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture);
        return Create(address, length);
    }

    /// <summary>Builds a prefix from the first <c>ceil(length/8)</c> octets of a wire NLRI.</summary>
    internal static IpPrefix FromWire(Afi family, int length, ReadOnlySpan<byte> significant)
    {
        Span<byte> full = stackalloc byte[16];
        full.Clear();
        significant.CopyTo(full);
        return new IpPrefix(family, BinaryPrimitives.ReadUInt128BigEndian(full), (byte)length);
    }

    /// <summary>The IPv4 address in host order (only for IPv4 prefixes).</summary>
    public uint V4Address => (uint)(_high >> 32);

    public UInt128 Bits => new(_high, _low);

    public IPAddress Address
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128BigEndian(bytes, Bits);
            return new IPAddress(Family == Afi.IPv4 ? bytes[..4] : bytes);
        }
    }

    /// <summary>Octets the prefix occupies on the wire after its length octet (RFC 4271 §4.3).</summary>
    public int WireBytes => (Length + 7) >> 3;

    /// <summary>Writes the significant octets of the prefix (without the length octet).</summary>
    internal void WriteSignificant(Span<byte> destination)
    {
        Span<byte> full = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(full, Bits);
        full[..WireBytes].CopyTo(destination);
    }

    private static UInt128 Mask(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    public bool Equals(IpPrefix other) => Family == other.Family && Length == other.Length && _high == other._high && _low == other._low;

    public override bool Equals(object? obj) => obj is IpPrefix other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Family, Length, _high, _low);

    /// <summary>Family, then address, then length: the order of every table on the route path (IPv4 before IPv6).</summary>
    public int CompareTo(IpPrefix other) =>
        Family != other.Family ? (Family < other.Family ? -1 : 1)
        : _high != other._high ? (_high < other._high ? -1 : 1)
        : _low != other._low ? (_low < other._low ? -1 : 1)
        : Length.CompareTo(other.Length);

    IpPrefix INlriEntry.Prefix => this;

    /// <summary>Our own routes carry path identifier 0 (RFC 7911 §3 leaves its value to the sender).</summary>
    uint INlriEntry.PathId => 0;

    public static bool operator ==(IpPrefix left, IpPrefix right) => left.Equals(right);

    public static bool operator !=(IpPrefix left, IpPrefix right) => !left.Equals(right);

    public static bool operator <(IpPrefix left, IpPrefix right) => left.CompareTo(right) < 0;

    public static bool operator <=(IpPrefix left, IpPrefix right) => left.CompareTo(right) <= 0;

    public static bool operator >(IpPrefix left, IpPrefix right) => left.CompareTo(right) > 0;

    public static bool operator >=(IpPrefix left, IpPrefix right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Address}/{Length}";
}
