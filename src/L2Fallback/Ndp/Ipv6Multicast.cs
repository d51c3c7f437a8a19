using System.Net;

namespace BgpLb.L2Fallback.Ndp;

/// <summary>IPv6 multicast addresses and their Ethernet mapping.</summary>
public static class Ipv6Multicast
{
    /// <summary>RFC 4291 §2.7.1: ff02::1, all nodes on the link.</summary>
    public static IPAddress AllNodes { get; } = IPAddress.Parse("ff02::1");

    private const int SolicitedNodeSuffix = 3;

    /// <summary>RFC 4291 §2.7.1: ff02::1:ff00:0/104 followed by the low 24 bits of <paramref name="unicast"/>.</summary>
    public static IPAddress SolicitedNode(IPAddress unicast)
    {
        ArgumentNullException.ThrowIfNull(unicast);
        Span<byte> bytes = stackalloc byte[16];
        RequireIpv6(unicast).TryWriteBytes(bytes, out _);
        Span<byte> result = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0];
        bytes[^SolicitedNodeSuffix..].CopyTo(result[^SolicitedNodeSuffix..]);
        return new IPAddress(result);
    }

    /// <summary>RFC 4291 §2.7 prefix ff02::1:ff00:0/104.</summary>
    public static bool IsSolicitedNode(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        ReadOnlySpan<byte> prefix = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
        return bytes[..prefix.Length].SequenceEqual(prefix);
    }

    /// <summary>RFC 2464 §7: 33:33 followed by the last four octets of the IPv6 multicast address.</summary>
    public static MacAddress EthernetAddress(IPAddress multicast)
    {
        ArgumentNullException.ThrowIfNull(multicast);
        Span<byte> bytes = stackalloc byte[16];
        RequireIpv6(multicast).TryWriteBytes(bytes, out _);
        Span<byte> mac = [0x33, 0x33, bytes[12], bytes[13], bytes[14], bytes[15]];
        return MacAddress.Read(mac);
    }

    private static IPAddress RequireIpv6(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? address
            : throw new ArgumentException($"{address} is not an IPv6 address.", nameof(address));
}
