using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace BgpLb.BfdSession.Transport;

/// <summary>An IPv4 or IPv6 address as a value, so the receive path compares addresses without allocating.</summary>
internal readonly record struct RawAddress(AddressFamily Family, UInt128 Value)
{
    public static RawAddress From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var n);
        return From(address.AddressFamily, bytes[..n]);
    }

    /// <summary>From 4 (IPv4) or 16 (IPv6) network-order octets.</summary>
    public static RawAddress From(AddressFamily family, ReadOnlySpan<byte> bytes) => family == AddressFamily.InterNetwork
        ? new RawAddress(family, BinaryPrimitives.ReadUInt32BigEndian(bytes))
        : new RawAddress(family, BinaryPrimitives.ReadUInt128BigEndian(bytes));

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (Family == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Value);
            return new IPAddress(bytes[..4]);
        }
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Value);
        return new IPAddress(bytes);
    }

    public override string ToString() => ToIPAddress().ToString();
}
